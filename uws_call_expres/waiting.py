"""Waiting you can see: timestamped phase lines, and a live bar of the elapsed time.

Every phase of the job is printed with the local time and its offset from UTC, and the time
elapsed against the run's limit::

    12:03:07 UTC+01:00 EXECUTING (elapsed 0:12 of at most 10:00)

With bars (a terminal, or a notebook with ipywidgets: see
:func:`~uws_call_expres.output.progress_wanted`) a bar also shows the elapsed time against
the limit while the job runs. The wait itself is a long poll that can hold for a minute, so
a ticker thread redraws the bar every :data:`TICK` seconds; it is stopped and the bar closed
on every way out of the ``with`` block (the end, an error, Ctrl-C), before anything else is
printed. Without bars only the lines are printed: no ``\\r``, no escape sequence.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Optional

from uws_lite.models import Job
from uws_lite.text import for_terminal

from .output import Closing, Console, close_bar, open_bar

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["TICK", "WaitDisplay", "clock_time", "duration_text"]

TICK = 0.5  # seconds between two redraws of the live bar


def duration_text(seconds: float) -> str:
    """``0:12``, ``10:00``, ``1:02:03``: a duration as a clock shows it."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clock_time(moment: datetime) -> str:
    """``12:03:07 UTC+01:00``: the local time of ``moment`` and its offset, so that nobody
    has to guess the zone (``UTC`` alone when the offset is zero)."""
    local = moment.astimezone()
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    zone = "UTC"
    if minutes:
        sign = "+" if minutes > 0 else "-"
        zone += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return f"{local:%H:%M:%S} {zone}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class WaitDisplay(Closing):
    """What the user sees while a job is followed.

    ``limit``: the run's duration limit in seconds (its executionDuration, else the access
    limit). Elapsed time counts from the job's start when the server gave one (a job taken
    over with attach), else from when this display was made (just after submitting).
    ``clock`` and ``now`` can be replaced (tests).
    """

    def __init__(
        self,
        console: Console,
        job: Job,
        limit: float,
        *,
        bar: bool,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self.console = console
        self.limit = float(limit)
        self.clock = clock
        self.now = now
        self.phase = job.phase
        self.shown = for_terminal(job.job_id)
        self.origin = clock() - _already_elapsed(job, now())
        self.want_bar = bar and console.verbose
        self._bar: Optional[tqdm[Any]] = None
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    @property
    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.origin)

    def line(self, job: Job) -> str:
        """``12:03:07 UTC+01:00 EXECUTING (elapsed 0:12 of at most 10:00)``."""
        return (
            f"{clock_time(self.now())} {job.phase} (elapsed {duration_text(self.elapsed)} "
            f"of at most {duration_text(self.limit)})"
        )

    def show(self, job: Job) -> None:
        """Print the job's phase line (the first one, and each change: ``on_change``)."""
        with self._lock:
            self.phase = job.phase
        self.console.info(self.line(job))
        if not job.phase.is_terminal:  # the bar closes now: no last redraw
            self._draw()

    # -- the live bar
    def __enter__(self) -> WaitDisplay:
        if self.want_bar:
            self._bar = open_bar(
                total=max(1, int(self.limit)),
                bar_format=self._format(self.elapsed),
                leave=False,
                dynamic_ncols=True,
            )
            self._draw()
            self._ticker = threading.Thread(
                target=self._tick, name="uws-call-expres-wait-bar", daemon=True
            )
            self._ticker.start()
        return self

    def close(self) -> None:
        """Stop the ticker and close the bar (idempotent)."""
        self._stop.set()
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.join()
        with self._lock:
            bar, self._bar = self._bar, None
        if bar is not None:
            close_bar(bar)

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            bar = self._bar
            if bar is None:
                return
            elapsed = self.elapsed
            done, shown = min(int(elapsed), bar.total or 0), self._format(elapsed)
            if (done, shown) == (bar.n, bar.bar_format):
                return  # nothing changed since the last tick: write nothing
            bar.n, bar.bar_format = done, shown
            bar.refresh()

    def _format(self, elapsed: float) -> str:
        # tqdm fills in {bar}; the rest is literal (braces of a server-given id doubled).
        label = f"Job {self.shown} {self.phase}".replace("{", "{{").replace("}", "}}")
        return f"{label} |{{bar}}| {duration_text(elapsed)} of at most {duration_text(self.limit)}"


def _already_elapsed(job: Job, now: datetime) -> float:
    """Seconds since the job started, when the server said (0 otherwise, or when its clock
    disagrees with ours)."""
    start = job.start_time
    if start is None:
        return 0.0
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    seconds = (now - start).total_seconds()
    return seconds if 0 <= seconds < 86_400 else 0.0
