"""Is the file already in the output directory this result? (Runs are idempotent.)

A result whose file is already there, identical, is neither downloaded again nor saved a
second time under ``name-1``. "Identical" is decided, in this order:

1. **SHA-1.** When the server gives the result's SHA-1 (OPUS's ``hash``: the CDF files), the
   local file is hashed and compared (:func:`uws_lite.download.matches_local_file`). No request.
2. **Our mark.** Results without a hash (OPUS's ``stdout``, ``stderr``, ``provjson``) are
   marked when saved: an extended attribute ``user.uws_call_expres`` on the file records a
   digest of the result's URL and the SHA-1 and size of the bytes saved. A file whose mark
   names this result's URL and whose bytes still have that SHA-1 is this result: the results
   of a finished job do not change. No request. (A digest of the URL, not the URL, so that
   nothing secret a URL may carry is copied into file metadata.)
3. **Download and compare.** Without a hash or a mark (a file system without extended
   attributes, as on macOS, Windows or some network mounts; a file copied with ``cp``; one
   saved by something else) the result is downloaded under the next free name and compared
   byte for byte with the existing file: identical, the new copy is removed and the existing
   file counts as the result; different, the new copy stays under its new name.

A size the server announces must match in every case.
"""

from __future__ import annotations

import errno
import filecmp
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional

from uws_lite.download import file_sha1, matches_local_file

from .output import LOGGER

if TYPE_CHECKING:
    from uws_lite.models import Result

__all__ = ["MARK_ATTRIBUTE", "is_known_copy", "mark_saved", "same_content"]

MARK_ATTRIBUTE = "user.uws_call_expres"
_MARK_VERSION = 1

if sys.platform.startswith("linux"):

    def _set_mark(path: Path, value: bytes) -> None:
        os.setxattr(path, MARK_ATTRIBUTE, value, follow_symlinks=False)

    def _get_mark(path: Path) -> bytes:
        return os.getxattr(path, MARK_ATTRIBUTE, follow_symlinks=False)

else:  # macOS and Windows: os has no *xattr functions; marks are never found

    def _set_mark(path: Path, value: bytes) -> None:
        raise OSError(errno.ENOTSUP, "no extended attributes on this platform")

    def _get_mark(path: Path) -> bytes:
        raise OSError(errno.ENOTSUP, "no extended attributes on this platform")


def is_known_copy(path: Path, result: Result) -> Optional[bool]:
    """Whether ``path`` holds ``result``: True (verified identical), False (it is something
    else), None (cannot be told without downloading the result)."""
    if path.is_symlink():
        return False  # a link is never one of our downloads (and may point anywhere)
    if result.sha1:
        return matches_local_file(path, sha1=result.sha1, size=result.size)
    if not path.is_file():
        return False
    if result.size is not None and path.stat().st_size != result.size:
        return False
    mark = _read_mark(path)
    if mark is None or mark.get("source") != _source(result):
        return None
    return matches_local_file(path, sha1=str(mark.get("sha1", "")), size=_int(mark.get("size")))


def mark_saved(path: Path, result: Result) -> None:
    """Record on ``path`` that it holds ``result`` (for results without a server hash; see
    the module doc). Silently nothing where the file system keeps no extended attributes."""
    if result.sha1:
        return
    try:
        digest = file_sha1(path)
        size = path.stat().st_size
    except OSError as exc:
        LOGGER.debug("%s could not be read back to mark it: %s", path, exc.strerror)
        return
    value = json.dumps(
        {"v": _MARK_VERSION, "source": _source(result), "sha1": digest, "size": size},
        separators=(",", ":"),
    ).encode("ascii")
    try:
        _set_mark(path, value)
    except OSError as exc:  # ENOTSUP: the file system has no user attributes
        LOGGER.debug("%s cannot carry the mark of its source: %s", path, exc.strerror)


def same_content(first: Path, second: Path) -> bool:
    """Whether the two files hold the same bytes (compared in full)."""
    try:
        return filecmp.cmp(first, second, shallow=False)
    except OSError:
        return False


def _read_mark(path: Path) -> Optional[Dict[str, Any]]:
    try:
        raw = _get_mark(path)
        mark = json.loads(raw.decode("ascii"))
    except (OSError, ValueError, RecursionError):  # no mark, no attributes here, or not ours
        return None
    if not isinstance(mark, dict) or mark.get("v") != _MARK_VERSION:
        return None
    return mark


def _source(result: Result) -> str:
    # The URL identifies the result: OPUS's log URLs name the job (<list>/<job id>/stdout).
    return hashlib.sha256((result.href or "").encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _int(value: object) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
