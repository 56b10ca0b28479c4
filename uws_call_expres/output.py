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
from typing import TYPE_CHECKING, Any, Optional, TextIO, Type, TypeVar

from .words import PYTHON, Vocabulary

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = [
    "LOGGER",
    "Closing",
    "Console",
    "DownloadProgress",
    "close_bar",
    "in_notebook",
    "open_bar",
    "progress_wanted",
]

LOGGER = logging.getLogger("uws_call_expres")
# A library adds no output of its own to logging: without this, Python's "last resort"
# handler would print our warnings on stderr even in quiet mode.
LOGGER.addHandler(logging.NullHandler())

# One lock for all consoles: the jobs of a sweep print from several threads.
_PRINT_LOCK = threading.Lock()
# How many bars are drawn right now: while any is, lines go through tqdm.write, which
# clears the bars, prints the line and draws them again (no line lands inside a bar).
_LIVE_BARS = [0]


class Console:
    """The messages of one run. ``to_stderr`` moves the normal lines to standard error
    (``--json`` keeps standard output for the JSON); ``prefix`` tells jobs of a sweep apart;
    ``words`` is how hints name settings (:data:`~uws_call_expres.words.PYTHON` or ``CLI``)."""

    def __init__(
        self,
        verbose: bool = True,
        *,
        to_stderr: bool = False,
        prefix: str = "",
        words: Vocabulary = PYTHON,
    ) -> None:
        self.verbose = verbose
        self.to_stderr = to_stderr
        self.prefix = prefix
        self.words = words

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
            lines = [f"{self.prefix}{line}" for line in message.splitlines() or [""]]
            if _LIVE_BARS[0]:
                from tqdm import tqdm

                for line in lines:
                    tqdm.write(line, file=stream)
            else:
                for line in lines:
                    stream.write(f"{line}\n")
            stream.flush()


def progress_wanted(progress: Optional[bool], verbose: bool) -> bool:
    """Whether to draw bars. ``progress=None`` means: when verbose, and standard error is a
    terminal or this runs in a Jupyter notebook with ipywidgets (real widgets). In a notebook
    without ipywidgets there are no bars even with ``progress=True`` (text bars would put
    cursor escapes into the cell): the timestamped lines tell the progress instead."""
    if in_notebook():
        return progress is not False and (verbose or bool(progress)) and _have_widgets()
    if progress is not None:
        return progress
    if not verbose:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), where standard error is no
    terminal but widgets can be shown."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        shell = get() if get is not None else None
    except Exception:  # a half-initialised IPython
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _have_widgets() -> bool:
    try:
        import ipywidgets  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def open_bar(**options: Any) -> tqdm[Any]:
    """A tqdm bar on standard error: a widget in a notebook (``tqdm.auto``), text on a
    terminal. Lines printed by a :class:`Console` while it is open go above it. Close it with
    :func:`close_bar`."""
    bar: tqdm[Any]
    if in_notebook():
        from tqdm.auto import tqdm as auto_tqdm

        bar = auto_tqdm(file=sys.stderr, **options)
    else:
        from tqdm import tqdm as std_tqdm

        bar = std_tqdm(file=sys.stderr, **options)
    with _PRINT_LOCK:
        _LIVE_BARS[0] += 1
    return bar


def close_bar(bar: tqdm[Any]) -> None:
    """Close a bar of :func:`open_bar` and put the cursor back at column 0: a text bar that
    is not on the first row leaves it where its text ended (tqdm writes ``\r`` only for
    row 0), and the next line would start there."""
    try:
        bar.close()
        if not in_notebook():
            with _PRINT_LOCK:
                bar.fp.write("\r")
                bar.fp.flush()
    finally:
        with _PRINT_LOCK:
            _LIVE_BARS[0] = max(0, _LIVE_BARS[0] - 1)


_Self = TypeVar("_Self", bound="Closing")


class Closing:
    """A ``with`` block that calls :meth:`close` on the way out, however it ends."""

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release what the object holds (idempotent)."""


class DownloadProgress(Closing):
    """A download's progress callback ``(bytes done, total or None)`` drawing a tqdm bar.

    tqdm is imported on the first call only, so runs without bars never load it.
    """

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._bar: Optional[tqdm[Any]] = None
        self._lock = threading.Lock()

    def __call__(self, done: int, total: Optional[int]) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._bar is None:
                self._bar = open_bar(
                    total=total,
                    desc=self.label,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    leave=False,
                )
            bar = self._bar
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

    def close(self) -> None:
        with self._lock:
            bar, self._bar = self._bar, None
        if bar is not None:
            close_bar(bar)
