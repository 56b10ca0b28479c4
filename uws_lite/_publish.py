"""Where a download's bytes live until they are verified, and how they become the result.

Bytes go to ``.<name>.<random>.part`` next to the destination, created exclusively
(:func:`create_part`), and are renamed onto it only once complete and verified
(:func:`publish`); on any failure the ``.part`` file is removed (:func:`remove`), so a file
under the final name is always complete. Nothing is fsync'ed: that made a 1 GiB loopback
download 2 to 4 times slower and ``curl -o`` does not do it either; the guarantee holds
against crashes of the process, not against a power cut. The bytes are written in
256 KiB pieces (:func:`sliced_writer`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import IO, Callable, Tuple

from .errors import InvalidRequest

__all__ = ["PUBLISHED_MODE", "WRITE_SLICE", "create_part", "publish", "remove", "sliced_writer"]

logger = logging.getLogger(__name__)

_PART_NAME_MAX = 250  # bytes; file systems allow 255 per name


def create_part(dest: Path) -> Tuple[int, Path]:
    """A new, empty temporary file next to ``dest``: an open descriptor and its path.

    ``tempfile.mkstemp`` opens with O_CREAT|O_EXCL (and O_NOFOLLOW where the platform has
    it) under a random name, mode 0600: a file, link or symlink planted in the directory
    is never opened or written through, and a name cannot be guessed in advance.
    """
    prefix = f".{dest.name}."
    if len(prefix.encode("utf-8", "surrogateescape")) > _PART_NAME_MAX - 16:
        digest = hashlib.sha256(dest.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        prefix = f".{digest}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=dest.parent)
    return fd, Path(name)


def _umask() -> int:
    """The process's umask (read once, at import: setting it to read it is not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# What a plain open() would give the file: the temporary file is created 0600 (mkstemp) so
# that nobody else can read or write it while it is incomplete; the result gets the usual
# permissions when it is published.
PUBLISHED_MODE = 0o666 & ~_umask()


def publish(part: Path, dest: Path, overwrite: bool) -> None:
    """Give ``part`` the usual permissions and rename it onto ``dest``. Without
    ``overwrite`` a file that appeared at ``dest`` meanwhile is left alone
    (:class:`InvalidRequest`)."""
    with contextlib.suppress(OSError):  # a file system without modes (FAT) keeps its own
        os.chmod(part, PUBLISHED_MODE)
    if overwrite:
        os.replace(part, dest)
        return
    # A hard link fails if dest appeared during the download, where a rename would
    # silently replace it.
    try:
        os.link(part, dest)
    except FileExistsError:
        raise InvalidRequest(
            f"{dest} appeared during the download and was left alone; "
            "remove it or pass overwrite=True"
        ) from None
    except OSError:  # no hard links on this file system (FAT, some network mounts)
        if dest.exists():
            raise InvalidRequest(f"{dest} appeared during the download") from None
        os.replace(part, dest)
    else:
        os.unlink(part)


def remove(path: Path) -> None:
    """Remove a ``.part`` file; a failure is logged (the original error matters more)."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("could not remove the partial file %s: %s", path, exc.strerror)


WRITE_SLICE = 256 * 1024  # bytes per write() of a download (see sliced_writer)


def sliced_writer(out: IO[bytes]) -> Callable[[bytes], None]:
    """``out.write`` for the hot loop, in :data:`WRITE_SLICE` pieces (memoryview slices: no
    copy). Page-cache writes of 512 KiB-aligned sizes get large folios, which on virtual
    machines with free page reporting cost a host fault per page: 1 GiB of 1 MiB writes took
    9 times the CPU of the same bytes in 256 KiB writes (bench/README.md, "download"); on a
    machine without that, both cost the same."""
    write = out.write

    def sliced(chunk: bytes) -> None:
        if len(chunk) <= WRITE_SLICE:
            write(chunk)
            return
        view = memoryview(chunk)
        for start in range(0, len(view), WRITE_SLICE):
            write(view[start : start + WRITE_SLICE])

    return sliced
