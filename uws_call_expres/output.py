"""What a run tells its user: console lines, log records, download progress bars.

Every message goes to the logger ``uws_call_expres`` (for applications that route logging)
*and*, when the run is verbose, to the console: the lines users of the documented recipe know
(the parameters, the phase, ``Job : <id>``, ``Job completed`` / ``Job failed``,
``Downloading <id>``) on standard output, warnings on standard error. Quiet prints nothing.
The console is written directly, not through a logging handler, so a call never changes the
application's logging configuration (if you route the logger yourself, pass ``verbose=False``).
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, TextIO, Type

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["LOGGER", "Console", "DownloadProgress", "printable", "progress_wanted"]

LOGGER = logging.getLogger("uws_call_expres")
# A library adds no output of its own to logging: without this, Python's "last resort"
# handler would print our warnings on stderr even in quiet mode.
LOGGER.addHandler(logging.NullHandler())

# One lock for all consoles: the jobs of a sweep print from several threads.
_PRINT_LOCK = threading.Lock()


class Console:
    """The messages of one run. ``to_stderr`` moves the normal lines to standard error
    (``--json`` keeps standard output for the JSON); ``prefix`` tells jobs of a sweep apart."""

    def __init__(self, verbose: bool = True, *, to_stderr: bool = False, prefix: str = "") -> None:
        self.verbose = verbose
        self.to_stderr = to_stderr
        self.prefix = prefix

    def info(self, message: str) -> None:
        LOGGER.info("%s%s", self.prefix, message)
        if self.verbose:
            self._write(message, sys.stderr if self.to_stderr else sys.stdout)

    def warning(self, message: str) -> None:
        LOGGER.warning("%s%s", self.prefix, message)
        if self.verbose:
            self._write(f"Warning: {message}", sys.stderr)

    def debug(self, message: str) -> None:
        LOGGER.debug("%s%s", self.prefix, message)

    def notice(self, message: str) -> None:
        """A message printed even in quiet mode (on standard error): how to re-attach to a job
        left running, which a user must see once, like an error message."""
        LOGGER.warning("%s%s", self.prefix, message)
        self._write(message, sys.stderr)

    def _write(self, message: str, stream: TextIO) -> None:
        with _PRINT_LOCK:
            for line in message.splitlines() or [""]:
                stream.write(f"{self.prefix}{line}\n")
            stream.flush()


def printable(text: str) -> str:
    """Server-given text (a job or result id, an error message) made safe for a terminal:
    control and invisible characters (escape sequences, bidi overrides) are shown escaped."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def progress_wanted(progress: Optional[bool], verbose: bool) -> bool:
    """``progress=None`` means: bars when verbose and standard error is a terminal."""
    if progress is not None:
        return progress
    if not verbose:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class DownloadProgress:
    """A download's progress callback ``(bytes done, total or None)`` drawing a tqdm bar.

    tqdm is imported on the first call only, so runs without bars never load it.
    """

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._bar: Optional[tqdm[Any]] = None

    def __call__(self, done: int, total: Optional[int]) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self.label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                leave=False,
                file=sys.stderr,
            )
        bar = self._bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> DownloadProgress:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
