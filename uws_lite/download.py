"""Downloads of job results: what is asked (:class:`DownloadItem`), what happened to each
(:class:`DownloadOutcome`, :class:`DownloadReport`), and whether a file on disk already is a
result (:func:`matches_local_file`).

:meth:`uws_lite.Client.download_many` (and :meth:`~uws_lite.Client.download`, for one file)
is the one way to download; every request goes through the client's transport
(:mod:`uws_lite.transport`: one redirect loop, credentials only to the service's origin).
What a download guarantees, and why:

- **Only http(s)** hrefs are fetched (a result href is server-given: ``file:``, ``uws:``
  or relative junk raise :class:`~uws_lite.errors.UnsafeURL`, before any request), and a
  redirect elsewhere than http(s) stops the download (UnsafeURL too).
- **Atomic.** Bytes go to ``.<name>.<random>.part`` next to the destination, created
  exclusively (``tempfile.mkstemp``: O_EXCL, O_NOFOLLOW, mode 0600, so nothing planted
  there, such as a symlink pointing elsewhere, is ever written through), and are renamed
  onto it only once complete and verified; on any failure (including Ctrl-C) the ``.part``
  file is removed, so a file under the final name is always complete. Without
  ``overwrite`` the rename uses a hard link, which fails rather than replace a file that
  appeared meanwhile. Nothing is fsync'ed (see :mod:`uws_lite._publish`).
- **Already there.** Without ``overwrite``, a file already at the destination that is the
  result (its SHA-1, else its size, matches: :func:`matches_local_file`) is not downloaded
  again: its outcome is ``PRESENT``. Any other file there is left alone: the item fails
  (:class:`~uws_lite.errors.InvalidRequest`, "already exists") without a request.
- **Resumable within one call.** A broken connection, a read timeout or a short body
  leads to ``Range: bytes=<have>-`` (with ``If-Range`` when the server gave a strong
  ETag or a Last-Modified date), at most 5 times: 206 appends, 200 (Range ignored, or the
  file changed) starts again from zero, 416 whose total equals what we have means "already
  complete". A ``.part`` file left by a killed process is *not* resumed by a later call:
  nothing proves it is the same file. Each call writes only the ``.part`` file it created.
- **Verified.** The length must match Content-Length (the Content-Range total on 206)
  and the result's size; the SHA-1 (OPUS's ``hash``) is computed while writing, on a
  worker thread, and must match. Otherwise :class:`~uws_lite.errors.IntegrityError`.
- **Bytes as stored.** ``Accept-Encoding: identity`` is sent and the body is never
  decoded: a server that still sends ``Content-Encoding: gzip`` is almost always one that
  labels a ``.gz`` file that way, and the file (and its SHA-1) is the gzip data, as
  ``curl -o`` would save it. This also keeps Range offsets meaningful.
- **Stalls are noticed, and a deadline holds.** No byte for ``stall_timeout`` seconds
  (default 20 s, :data:`uws_lite.transport.DEFAULT_STALL_TIMEOUT`; it replaces a longer
  read timeout) counts as a broken connection and is resumed as above. ``timeout``
  (seconds, for all the items of one call) is a total deadline: connects, reads, retries
  and resumes get at most the time left, a body still arriving at the deadline is cut
  (:mod:`uws_lite.deadline`), and every unfinished item fails with
  :class:`~uws_lite.errors.DownloadTimeout` within about 0.5 s after it; no file is left
  under its final name.
- **One failure costs no other.** Each item ends ``SAVED``, ``PRESENT`` or ``FAILED`` with
  its error; the others go on. Only Ctrl-C (or an exception that is no
  :class:`~uws_lite.errors.UWSError`, such as one raised by a progress callback) stops
  them all: the running ones stop, their ``.part`` files are removed, and it is re-raised;
  files already saved stay (complete and verified).
- **Fast and small.** The body is read straight from urllib3 in 1 MiB blocks and written
  with no intermediate copies: memory stays flat whatever the size.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Tuple, Union

from ._hashing import new_sha1
from .errors import UWSError

__all__ = [
    "DownloadItem",
    "DownloadOutcome",
    "DownloadReport",
    "DownloadStatus",
    "ItemProgress",
    "Progress",
    "file_sha1",
    "matches_local_file",
]

Progress = Callable[[int, Optional[int]], None]  # (bytes written, total or None)
_SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class DownloadItem:
    """One download: the result's URL, where it goes, and what it must be (its size and
    SHA-1, when the server gives them)."""

    url: str
    dest: Path
    expected_size: Optional[int] = None
    sha1: Optional[str] = None


ItemProgress = Callable[[DownloadItem, int, Optional[int]], None]


class DownloadStatus(enum.Enum):
    """What happened to one item of a download."""

    SAVED = "saved"
    """Downloaded, verified and saved under its destination by this call."""

    PRESENT = "present"
    """A file already at the destination was verified to be the result (SHA-1, else size);
    nothing was downloaded."""

    FAILED = "failed"
    """Not saved (the outcome's ``error`` says why); nothing was left under its name."""


@dataclass(frozen=True)
class DownloadOutcome:
    """What happened to one :class:`DownloadItem`."""

    item: DownloadItem
    status: DownloadStatus
    error: Optional[UWSError] = None
    """Why it failed (None unless FAILED): a DownloadError (IntegrityError, DownloadTimeout,
    UnsafeURL for a redirect elsewhere than http(s), an HTTP refusal with its ``status``),
    or an InvalidRequest for a file that took the destination's name meanwhile."""

    def __post_init__(self) -> None:
        if (self.status is DownloadStatus.FAILED) != (self.error is not None):
            raise ValueError("a FAILED outcome, and only a FAILED one, carries an error")

    @property
    def path(self) -> Path:
        """The destination (a file holding the result unless FAILED)."""
        return self.item.dest

    @property
    def ok(self) -> bool:
        """Whether the result is at :attr:`path` (SAVED or PRESENT)."""
        return self.status is not DownloadStatus.FAILED


@dataclass(frozen=True)
class DownloadReport:
    """One :class:`DownloadOutcome` per item, in the order the items were given."""

    outcomes: Tuple[DownloadOutcome, ...]

    def __iter__(self) -> Iterator[DownloadOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def __getitem__(self, index: int) -> DownloadOutcome:
        return self.outcomes[index]

    def _with(self, status: DownloadStatus) -> Tuple[DownloadOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def saved(self) -> Tuple[DownloadOutcome, ...]:
        """The items downloaded and saved by this call."""
        return self._with(DownloadStatus.SAVED)

    @property
    def present(self) -> Tuple[DownloadOutcome, ...]:
        """The items already there (verified), not downloaded."""
        return self._with(DownloadStatus.PRESENT)

    @property
    def failed(self) -> Tuple[DownloadOutcome, ...]:
        """The items not saved, each with its error."""
        return self._with(DownloadStatus.FAILED)

    @property
    def ok(self) -> bool:
        """Whether every item is saved or present."""
        return not self.failed

    @property
    def paths(self) -> Tuple[Path, ...]:
        """The files holding the results (saved or present), in item order."""
        return tuple(o.path for o in self.outcomes if o.ok)

    def raise_for_failures(self) -> None:
        """Raise the error of the first failed item (in item order), if any."""
        for outcome in self.failed:
            if outcome.error is not None:
                raise outcome.error


def file_sha1(path: Union[str, os.PathLike[str]]) -> str:
    """The hex SHA-1 of the file at ``path`` (OPUS's ``hash`` of a result), read in 1 MiB
    blocks."""
    hasher = new_sha1()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def matches_local_file(
    path: Union[str, os.PathLike[str]], *, sha1: Optional[str] = None, size: Optional[int] = None
) -> Optional[bool]:
    """Whether the file at ``path`` already holds a result with this SHA-1 (OPUS's ``hash``)
    or, without one, this size; None when neither is known (nothing to check against).

    False when ``path`` is not a file (missing, a directory). A size that differs is False
    without hashing. This is the one "is the file already this result" check: downloads
    use it for ``PRESENT``, and so do ``uws-lite download`` and uws_call_expres's saving.
    Downloads are atomic, so a complete file under the final name is a finished one.
    """
    target = Path(path)
    if not target.is_file():
        return False
    digest = (sha1 or "").strip().lower()
    if not _SHA1.fullmatch(digest):
        digest = ""
    if size is not None and target.stat().st_size != size:
        return False
    if digest:
        return file_sha1(target) == digest
    return None if size is None else True
