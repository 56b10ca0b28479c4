"""Following many jobs of one job list at O(1) requests per interval: :class:`JobWatcher`.

``Client.wait`` follows one job: it long-polls ``WAIT`` and, on a server that ignores WAIT,
polls with backoff. A sweep of N jobs waiting that way costs N pollers, so the load on a
server that ignores WAIT grows with N (200 jobs made 227 status requests per second). A
:class:`JobWatcher` follows any number of jobs of one job list from ONE background thread:

- **One list request per tick.** Each tick (see below when) asks
  ``GET <list>?AFTER=<t>&PHASE=PENDING&...&PHASE=SUSPENDED``: the jobs not
  yet ended (UWS 1.1 §2.2.1 filters). ``t`` is the creation time of the oldest job followed,
  as the server wrote it (OPUS: naive local time, sent back as written), minus a minute: on
  the shared guest list of OPUS, the PHASE filter keeps the list to running jobs and AFTER
  keeps other guests' old ones out. A followed job listed in a new phase is reported with
  that phase (the rest of its :class:`Job` is the last document read). A followed job that
  is *not* listed has ended (or vanished): that job, and only that one, is read once
  (``GET <job>``) and its final document delivered (404: :class:`JobNotFound`).
- **When ticks come** (:func:`tick_spacing`): every ``interval`` seconds (1.5 s by default,
  with +-10 % jitter) once every job followed has been followed for ``3 * interval``
  (4.5 s); before that, every third of the time the youngest job has been followed, at
  least ``min_interval`` (0.2 s) apart, and a tick ``min_interval`` after a job is added.
  So a job end is seen within about a third of the time the job was followed (a 1-s job:
  0.3 s), and at most ``interval`` (+10 %) plus a request: short jobs are not slowed down
  much, long ones cost 1/interval. The default interval keeps the median delay under 2 s
  even when a sweep's jobs all end together (then they are noticed at the same tick, so
  the delays do not average out: at 2 s, a run's median was 0.7 to 2.1 s).
- **Request rate**: one list per tick plus one GET per job that ends, whatever N is: 0.67
  requests per second at the default interval while jobs run, at most 1/min_interval (5
  per second) in the few seconds after a job is added (a job followed by its id alone
  costs one more read, at once). Requests go one at a time, except that jobs to read are
  read ``parallel_reads`` (4) at a time: a sweep's watching needs at most that many
  connections however many jobs it has.
- **Why a list poll even where WAIT is honoured.** A WAIT long-poll sees an end at once,
  but it holds one connection per job for as long as the job runs: N jobs, N held
  connections and N threads. The watcher bounds connections instead, at the cost of up to
  ``interval`` seconds of delay. One job alone: use ``Client.wait``, which long-polls.
- **Each request is bounded**: ``request_timeout`` (30 s) for the whole request, retries
  and body included (``timeout=`` of ``Client.get_job_list``/``get_job``), so a hung list
  request delays the next tick by that much at most; it counts as a failed tick.
- **Servers that do not filter as asked** step the watcher down, once each, logged:
  (1) a list holding jobs in phases not asked for (ended ones, or UNKNOWN: UWS 1.0
  jobrefs may have no phase), or leaving out a followed job that the read then shows
  running (DaCHS applies only the *last* of several PHASE filters), makes it list with
  AFTER alone and take the phases from the list (reads stop after the first group that
  shows it, so a wrong list costs ``parallel_reads`` reads, not N); (2) with AFTER alone,
  a list holding jobs created before AFTER or leaving out a running job, a list the server
  refuses (403, 404, ...) or ``policy.max_bad_documents`` unreadable lists in a row make
  it stop listing and read the jobs themselves, round-robin, at most ``reads_per_tick``
  (4) per tick. The load stays O(1) per interval, but an end is then seen only within
  about ``ceil(N / reads_per_tick) * interval`` (38 s for 100 jobs). A job list with no
  filter at all (a guest list holds every guest's jobs) is never asked for.
- **Errors.** Connection failures, timeouts, 5xx and 429 on a tick are retried at the next
  tick, with the interval doubling up to 30 s while they last; they are passed to every
  waiter, whose wait ends as :func:`uws_lite.wait.wait_for_job`'s does (WaitTimeout at its
  deadline, carrying the last job and the error as its cause; with no deadline, the error
  after ``policy.error_patience``). The watcher thread never dies of a failed request.
- **Waiting** (:meth:`JobWatcher.wait`) has the contract of ``Client.wait``, with the same
  decisions (uws_lite.wait's own: HELD raises JobHeld, PENDING past ``pending_grace``
  raises JobNotStarted, bad job documents, deadlines), taken in the caller's thread, where
  ``on_change`` is called too. The deadline holds (the caller's thread does no I/O).
- **Lifecycle.** The thread starts with the first wait and ends when no job is followed
  (after Ctrl-C in the last waiting thread, too) or at :meth:`JobWatcher.close` (also the
  end of ``with JobWatcher(client) as watcher:``), which ends every wait still running
  with :class:`~uws_lite.errors.WatcherClosed`.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple, Union

from ._ticker import Entry, Observations, Seen, Ticker
from .client import Client
from .errors import UWSError, WaitTimeout, WatcherClosed
from .models import Job, Phase
from .numbers import check_count, check_seconds
from .text import for_terminal
from .wait import OnChange, WaitPolicy, WaitState, jittered

__all__ = ["JobWatcher", "tick_spacing"]

logger = logging.getLogger(__name__)

# A waiting thread blocks at most this long at once: Ctrl-C interrupts a blocked wait on
# POSIX, but on Windows only when it wakes up (100 idle waiters waking every second cost
# about half a percent of a core).
_SLICE = 1.0 if sys.platform == "win32" else 3600.0
_JOIN = 5.0  # close() waits this long for a request in flight
_POLICY = WaitPolicy()  # frozen: a shared default is safe


class JobWatcher:
    """Follows jobs of ``client``'s job list from one background thread (see the module doc).

    ``interval``: seconds between ticks (one list request each) once the jobs have been
    followed a while; ``min_interval``: the shortest, while a job followed is young (see
    :func:`tick_spacing`; at most ``interval``). ``reads_per_tick``: jobs
    read per tick when the server's job list cannot be used. ``parallel_reads``: job reads
    made at once (so connections: at most this many). ``request_timeout``: seconds each
    request of a tick may take in all (retries and body included). ``policy``: the waiting
    rules shared with ``Client.wait`` (``pending_grace``, ``error_patience``,
    ``max_bad_documents``; its polling knobs are not used here). ``client`` is shared with
    the caller's threads.
    """

    def __init__(
        self,
        client: Client,
        *,
        interval: float = 1.5,
        min_interval: float = 0.2,
        reads_per_tick: int = 4,
        parallel_reads: int = 4,
        request_timeout: float = 30.0,
        policy: WaitPolicy = _POLICY,
    ) -> None:
        self.interval = check_seconds(interval, "interval")
        self.min_interval = min(check_seconds(min_interval, "min_interval"), self.interval)
        self._client, self._policy, self._clock = client, policy, time.monotonic
        self._ticker = Ticker(
            client,
            policy,
            self._clock,
            reads_per_tick=check_count(reads_per_tick, "reads_per_tick"),
            parallel_reads=check_count(parallel_reads, "parallel_reads"),
            request_timeout=check_seconds(request_timeout, "request_timeout"),
        )
        self._entries: Dict[str, Entry] = {}
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self._next_tick = 0.0
        self._closed = False

    def __enter__(self) -> JobWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "listing" if self._ticker.listing else "reading jobs one by one"
        return f"JobWatcher({self._client.url!r}, {len(self._entries)} job(s), {mode})"

    @property
    def running(self) -> bool:
        """Whether the watcher thread is alive (it is only while jobs are followed)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def wait(
        self,
        job: Union[Job, str],
        *,
        timeout: Optional[float] = None,
        on_change: Optional[OnChange] = None,
    ) -> Job:
        """Block until the job is in a terminal phase and return its final document.

        ``job``: the :class:`Job` you have (from ``new_job``: no request is needed to know
        its state) or a job id (read once, at once). As ``Client.wait``: ``on_change`` is
        called with the first state and each phase change, from this thread; raises
        WaitTimeout at ``timeout`` (its ``job`` is the last state seen), JobHeld,
        JobNotStarted, JobNotFound, or a persistent error; ERROR and ABORTED are returned.
        Phase changes seen in the job list carry the last document read with the new
        phase. A job followed by id and not read by the deadline times out as a Job in
        phase UNKNOWN. Any number of threads may wait at once, for the same or other jobs.
        """
        job_id = job.job_id if isinstance(job, Job) else job
        self._client.job_url(job_id)  # InvalidRequest for a malformed id, before anything
        if timeout is not None:
            timeout = check_seconds(timeout, "timeout", zero_ok=True)
        state = WaitState(self._policy, timeout, self._clock, jittered)
        inbox: queue.SimpleQueue[Seen] = queue.SimpleQueue()
        known = job if isinstance(job, Job) else None
        if known is not None:
            inbox.put(Seen(known, None, state.start))
        if known is None or not known.phase.is_terminal:
            self._follow(job_id, known, inbox)
        try:
            while True:
                seen = self._next(inbox, state)
                now = self._clock()
                if seen is not None:
                    final = _take(state, seen, on_change, now)
                    if final is not None:
                        return final
                _check_time(state, job_id, now)
        finally:
            self._unfollow(job_id, inbox)

    def close(self) -> None:
        """Stop the watcher thread; every wait still running raises WatcherClosed (the
        jobs keep running on the server). A request in flight is not cut: the thread
        (a daemon) ends when it returns. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            entries, self._entries = list(self._entries.values()), {}
            thread = self._thread
            now = self._clock()
            for entry in entries:
                error = WatcherClosed(
                    f"The JobWatcher was closed while waiting for job "
                    f"{for_terminal(entry.job_id)}; the job keeps running on the server."
                )
                for inbox in entry.inboxes:
                    inbox.put(Seen(None, error, now))
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN)

    # -- the waiting threads' side
    def _follow(self, job_id: str, known: Optional[Job], inbox: queue.SimpleQueue[Seen]) -> None:
        with self._cond:
            if self._closed:
                raise WatcherClosed(
                    f"This JobWatcher is closed: job {for_terminal(job_id)} is not followed "
                    "(it keeps running on the server). Make a new JobWatcher."
                )
            now = self._clock()
            entry = self._entries.get(job_id)
            if entry is None:
                entry = self._entries[job_id] = Entry(job_id, known, now)
                # A new job: ticks come quicker for a while (tick_spacing).
                soon = now + self.min_interval
                self._next_tick = soon if self._thread is None else min(self._next_tick, soon)
            elif known is None and entry.job is not None:
                inbox.put(Seen(entry.job, None, now))  # already known: no read
            entry.inboxes.append(inbox)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="uws-lite-job-watcher", daemon=True
                )
                self._thread.start()
            self._cond.notify()  # an unread job is read at once

    def _unfollow(self, job_id: str, inbox: queue.SimpleQueue[Seen]) -> None:
        with self._cond:
            entry = self._entries.get(job_id)
            if entry is None or inbox not in entry.inboxes:
                return
            entry.inboxes.remove(inbox)
            if not entry.inboxes:
                del self._entries[job_id]
                self._cond.notify()  # the thread ends when nothing is followed

    def _next(self, inbox: queue.SimpleQueue[Seen], state: WaitState) -> Optional[Seen]:
        """The next observation, or None once the deadline has passed."""
        while True:
            left = _SLICE if state.deadline is None else state.deadline - self._clock()
            if left <= 0:  # what has come is still taken (timeout=0: the state known now)
                try:
                    return inbox.get_nowait()
                except queue.Empty:
                    return None
            try:
                return inbox.get(timeout=min(left, _SLICE))
            except queue.Empty:
                continue

    # -- the watcher thread
    def _run(self) -> None:
        while True:
            with self._cond:
                due = self._due()
                if due is None:
                    return
                entries, full = due
            try:
                seen = self._ticker.tick(entries) if full else self._ticker.first_reads(entries)
            except Exception as exc:  # a bug must reach the waiters, not kill the thread
                logger.exception("The job watcher's tick failed")
                error = UWSError(f"the job watcher failed: {exc!r}")
                error.__cause__ = exc
                seen = [(entry, Seen(None, error, self._clock())) for entry in entries]
            with self._cond:
                self._publish(seen)
                if full:
                    now = self._clock()
                    youngest = max((e.since for e in self._entries.values()), default=now)
                    spacing = tick_spacing(self.interval, self.min_interval, now - youngest)
                    self._next_tick = now + self._ticker.delay(spacing)

    def _due(self) -> Optional[Tuple[List[Entry], bool]]:
        """(Under the lock.) Block until a tick is due (True) or an unread job is to be
        read (False); None when the thread is to end (closed, or nothing followed)."""
        while True:
            if self._closed or not self._entries:
                if self._thread is threading.current_thread():
                    self._thread = None
                return None
            entries = list(self._entries.values())
            now = self._clock()
            if now >= self._next_tick:
                return entries, True
            if any(entry.unread for entry in entries):
                return entries, False
            self._cond.wait(self._next_tick - now)

    def _publish(self, seen: Observations) -> None:
        """(Under the lock.) Give each waiter what was seen of its job; forget ended jobs."""
        for entry, item in seen:
            if self._entries.get(entry.job_id) is not entry:
                continue  # no one waits for it any more
            if item.job is not None:
                entry.job = item.job
                if item.job.phase.is_terminal:
                    del self._entries[entry.job_id]
            for inbox in entry.inboxes:
                inbox.put(item)


def tick_spacing(interval: float, min_interval: float, followed_for: float) -> float:
    """Seconds from one tick to the next (before jitter and backoff) when the youngest job
    followed has been followed for ``followed_for`` seconds: a third of that, so that its
    end is seen within about a third of its run, between ``min_interval`` and ``interval``."""
    return min(interval, max(min_interval, followed_for / 3.0))


def _take(state: WaitState, seen: Seen, on_change: Optional[OnChange], now: float) -> Optional[Job]:
    """Apply uws_lite.wait's decisions to one observation; the job once it has ended."""
    if seen.error is not None:
        if not state.survives(seen.error, seen.asked):
            raise seen.error
        return None
    job = seen.job
    assert job is not None  # noqa: S101 (a Seen holds a job or an error)
    state.observe(job, now, on_change)
    return job if job.phase.is_terminal else None


def _check_time(state: WaitState, job_id: str, now: float) -> None:
    late = state.deadline is not None and now >= state.deadline
    if late and state.job is None and state.last_error is None:
        # The first read of a job followed by id has not come back yet.
        raise WaitTimeout(
            f"Job {for_terminal(job_id)} could not be read within {state.timeout:g} s. "
            "Wait again, or check the job on the server.",
            Job(job_id, Phase.UNKNOWN),
            timeout=float(state.timeout or 0),
        )
    state.check_time(now)
