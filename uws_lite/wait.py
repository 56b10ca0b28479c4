"""Waiting for a UWS job to end: long-poll with ``WAIT`` (UWS 1.1 §2.2.1.2), fall back to
polling with backoff when the server does not block, keep a total deadline.

How :func:`wait_for_job` paces itself (every iteration either was held by the server or
slept, so it never busy-loops):

- In an *active* phase (PENDING, QUEUED, EXECUTING) it asks ``WAIT=n&PHASE=<current>``,
  ``n`` bounded by ``policy.max_wait`` (kept below the read timeout by the client: proxies
  and servers cut long idle requests, pyvo #713) and by the time left. A server honouring
  WAIT answers as soon as the phase changes, so the end is seen at once with few requests.
- An answer that came back *early* (faster than ``early_fraction * n``) with the phase
  unchanged means the server ignores WAIT (UWS 1.0, pyvo #440) or returned early, which
  §2.2.1.2 allows: sleep, with exponential backoff and jitter, then ask again. WAIT is
  still sent on every request, so a server that honours it some of the time is used.
- The polling delay starts at ``first_delay``, doubles up to ``max_delay``, and never
  exceeds ``latency_fraction`` of the time waited so far (nor the time left): the end of a
  job of duration D is noticed within about max(first_delay, latency_fraction * D).
  Jitter only shortens a delay, so that bound holds.
- UNKNOWN and SUSPENDED are not active (WAIT must not block there): plain polling.
- HELD raises :class:`JobHeld`; a job still PENDING after ``pending_grace`` seconds (and
  seen at least twice) raises :class:`JobNotStarted` (PHASE=RUN was never sent or was
  ignored: astroquery #963). Terminal phases are returned, ERROR and ABORTED included.
- Connection failures, timeouts, 5xx and 429 (already retried by urllib3 per request)
  are survived at loop level while the deadline allows; with no deadline, for at most
  ``error_patience`` seconds of continuous failure. A 404 (:class:`JobNotFound`) ends it.
- A bad job document (:class:`ParseError`: truncated or not XML; or a 2xx HTML page,
  :class:`ServiceErrorDocument`) is survived the same way: a proxy or an overloaded
  server can send one, and the GET is idempotent. But ``max_bad_documents`` of them in a
  row (with no good document in between; network errors neither count nor break the
  row) raise the last one: a server that always answers garbage fails fast.
- **The deadline holds.** With ``timeout=T`` the call returns or raises within
  ``T + DEADLINE_MARGIN`` (2 s: the time to notice and raise, with room for a loaded
  machine) whatever the server does, provided ``fetch`` bounds each request by the
  deadline as :meth:`uws_lite.Client.wait` does (:mod:`uws_lite.deadline`): connects and
  reads get at most the time left, urllib3 retries stop and their ``Retry-After`` or
  backoff sleeps are cut to the time left (with a warning), a body still arriving at the
  deadline is cut off. The sleeps of this loop never pass the deadline either. Measured
  overshoots are in the README ("Deadlines that hold"). Only a DNS look-up is unbounded.
- ``timeout`` must be a finite number >= 0 (0: ask once); NaN, infinities, booleans and
  strings raise :class:`InvalidRequest` (:func:`uws_lite.numbers.check_seconds`).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from .errors import (
    ConnectionFailed,
    HTTPStatusError,
    InvalidRequest,
    JobHeld,
    JobNotStarted,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    UWSError,
    WaitTimeout,
)
from .models import Job, Phase
from .numbers import check_count, check_seconds
from .text import for_terminal

__all__ = [
    "DEADLINE_MARGIN",
    "Fetch",
    "OnChange",
    "WaitPolicy",
    "WaitState",
    "is_bad_document",
    "is_transient",
    "jittered",
    "wait_for_job",
]

# The promise: a wait with timeout=T ends by T + DEADLINE_MARGIN seconds (module doc).
DEADLINE_MARGIN = 2.0

# fetch(wait, phase): GET the job, with WAIT=wait&PHASE=phase when wait is not None.
Fetch = Callable[[Optional[int], Optional[Phase]], Job]
OnChange = Callable[[Job], None]


@dataclass(frozen=True)
class WaitPolicy:
    """The knobs of :func:`wait_for_job` (seconds unless said otherwise)."""

    max_wait: int = 60
    first_delay: float = 0.2
    max_delay: float = 10.0
    latency_fraction: float = 0.08
    early_fraction: float = 0.5
    pending_grace: float = 10.0
    error_patience: float = 300.0
    # Phase changes seen in a row without the server holding the request before a sleep
    # is forced anyway (guards against a server flapping between phases).
    max_quick_changes: int = 3
    # Bad job documents in a row (truncated XML, an HTML page with a 2xx status) after
    # which the last one is raised instead of asking again.
    max_bad_documents: int = 3

    def __post_init__(self) -> None:
        check_count(self.max_wait, "max_wait (seconds)")
        check_count(self.max_quick_changes, "max_quick_changes", minimum=0)
        check_count(self.max_bad_documents, "max_bad_documents")
        for name in ("first_delay", "max_delay"):
            check_seconds(getattr(self, name), name)
        for name in ("pending_grace", "error_patience", "latency_fraction", "early_fraction"):
            check_seconds(getattr(self, name), name, zero_ok=True)
        if not self.first_delay <= self.max_delay:
            raise InvalidRequest("need 0 < first_delay <= max_delay")


def jittered(delay: float) -> float:
    """``delay`` shortened at random by up to 20 %: only ever shorter, so that the latency
    bound in the module docstring holds."""
    return delay * random.uniform(0.8, 1.0)  # noqa: S311 (timing jitter, not security)


def is_transient(exc: UWSError) -> bool:
    """Whether ``exc`` may pass by itself: a connection failure, a timeout, a 5xx or a 429
    (already retried by urllib3 for the one request); a wait survives it while it may."""
    if isinstance(exc, (ConnectionFailed, RequestTimeout, ServerError)):
        return True
    return isinstance(exc, HTTPStatusError) and exc.status == 429


def is_bad_document(exc: UWSError) -> bool:
    """Whether ``exc`` is a 2xx answer that is not the document asked for: cut short (a
    :class:`ParseError`), or a proxy's or portal's HTML page (:class:`ServiceErrorDocument`
    with a 2xx status). Survived a few times in a row (``WaitPolicy.max_bad_documents``)."""
    if isinstance(exc, ParseError):
        return True
    return isinstance(exc, ServiceErrorDocument) and 200 <= exc.status < 300


def wait_for_job(
    fetch: Fetch,
    *,
    timeout: Optional[float] = None,
    on_change: Optional[OnChange] = None,
    policy: WaitPolicy = WaitPolicy(),  # frozen: a shared default is safe
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[float], float] = jittered,
) -> Job:
    """Block until the job is in a terminal phase and return it (see the module doc).

    Raises WaitTimeout (carrying the last job seen) after ``timeout`` seconds, JobHeld,
    JobNotStarted, JobNotFound, the last transient error when it never got an answer, or
    the last bad document (ParseError, ServiceErrorDocument) after too many in a row.
    """
    if timeout is not None:
        timeout = check_seconds(timeout, "timeout", zero_ok=True)
    state = WaitState(policy, timeout, clock, jitter)
    while True:
        wait_s, phase = state.next_request()
        asked = clock()
        try:
            job: Optional[Job] = fetch(wait_s, phase)
        except UWSError as exc:
            if not state.survives(exc, asked):
                raise
            job = None
        now = clock()
        changed = False
        if job is not None:
            changed = state.observe(job, now, on_change)
            if job.phase.is_terminal:
                return job
        state.check_time(now)
        held = (
            job is not None and wait_s is not None and now - asked >= policy.early_fraction * wait_s
        )
        pause = state.pause(now, held=held, changed=changed)
        if pause is not None:
            sleep(pause)


class WaitState:
    """What one wait has seen so far, and the decisions made on it: the rules of
    :func:`wait_for_job` (HELD, PENDING past the grace period, which errors are survived,
    the deadline), shared with :meth:`uws_lite.watch.JobWatcher.wait`. ``timeout``: seconds
    from now (None: no deadline); ``clock`` and ``jitter`` as for :func:`wait_for_job`."""

    def __init__(
        self,
        policy: WaitPolicy,
        timeout: Optional[float],
        clock: Callable[[], float],
        jitter: Callable[[float], float],
    ) -> None:
        self.policy, self.timeout, self.clock, self.jitter = policy, timeout, clock, jitter
        self.start = clock()
        self.deadline = None if timeout is None else self.start + timeout
        self.job: Optional[Job] = None  # the last good job document
        self.delay = policy.first_delay  # the next polling pause, before its caps
        self.quick_changes = 0  # phase changes in a row that the server did not hold
        self.pending_since: Optional[float] = None
        self.failing_since: Optional[float] = None  # first failure since the last answer
        self.last_error: Optional[UWSError] = None
        self.bad_documents = 0  # in a row, since the last good job document

    def next_request(self) -> Tuple[Optional[int], Optional[Phase]]:
        """WAIT and PHASE for the next GET: a long poll in an active phase when there is
        time for one, else (None, None): a plain GET."""
        job = self.job
        if job is None or not job.phase.is_active:
            return None, None
        wait_s = _wait_seconds(
            self.policy, self.clock(), self.deadline, job.phase, self.pending_since
        )
        return (wait_s, job.phase) if wait_s is not None else (None, None)

    def survives(self, exc: UWSError, asked: float) -> bool:
        """Whether the wait goes on after ``exc`` (a request made at ``asked`` failed): a
        transient error, or one bad document too few to be a pattern."""
        if is_bad_document(exc):
            self.bad_documents += 1
            if self.bad_documents >= self.policy.max_bad_documents:
                return False
        elif not is_transient(exc):
            return False
        self.last_error = exc
        if self.failing_since is None:
            self.failing_since = asked
        return True

    def on_answer(self, job: Job) -> bool:
        """Take a good job document; whether it is the first or its phase changed."""
        self.failing_since, self.last_error, self.bad_documents = None, None, 0
        changed = self.job is None or job.phase is not self.job.phase
        self.job = job
        return changed

    def observe(self, job: Job, now: float, on_change: Optional[OnChange]) -> bool:
        """Take one job document: report a change of phase to ``on_change``, then, unless
        the job has ended, raise JobHeld or JobNotStarted as :meth:`check_phase` decides.
        Returns whether the phase changed (the caller returns a job that has ended)."""
        changed = self.on_answer(job)
        if changed and on_change is not None:
            on_change(job)
        if not job.phase.is_terminal:
            self.check_phase(job, now, changed)
        return changed

    def check_phase(self, job: Job, now: float, changed: bool) -> None:
        """Raise JobHeld, or JobNotStarted for a job still PENDING after the grace period."""
        name = for_terminal(job.job_id)
        if job.phase is Phase.HELD:
            raise JobHeld(
                f"Job {name} is HELD: the server will not run it until PHASE=RUN is "
                "sent again (Client.run_job).",
                job,
            )
        if job.phase is not Phase.PENDING:
            self.pending_since = None
            return
        if self.pending_since is None:
            self.pending_since = now
        if not changed and now - self.pending_since >= self.policy.pending_grace:
            raise JobNotStarted(
                f"Job {name} is still PENDING after {now - self.pending_since:.0f} s: "
                "it was never started. Send PHASE=RUN (Client.run_job).",
                job,
            )

    def check_time(self, now: float) -> None:
        """Raise at the deadline (WaitTimeout, or the error when no answer ever came), or,
        with no deadline, when errors have lasted longer than ``error_patience``."""
        job, error = self.job, self.last_error
        if self.deadline is not None and now >= self.deadline:
            if job is None:
                raise _never_answered(error)  # the failure itself is the news
            note = f" (last attempt failed: {error})" if error else ""
            raise WaitTimeout(
                f"Job {for_terminal(job.job_id)} is still {job.phase} after waiting "
                f"{self.timeout:g} s{note}. Wait again, or check the job on the server.",
                job,
                timeout=float(self.timeout or 0),
            ) from error
        if (
            self.failing_since is not None
            and self.deadline is None
            and now - self.failing_since > self.policy.error_patience
        ):
            raise _never_answered(error)

    def pause(self, now: float, *, held: bool, changed: bool) -> Optional[float]:
        """The sleep before the next request. None (ask again at once) after the server
        held the request, or right after a phase change (the next state may follow at
        once) unless changes come too fast; otherwise the growing polling delay, capped
        by the latency bound and the time left."""
        policy = self.policy
        self.quick_changes = self.quick_changes + 1 if changed and not held else 0
        if held or (changed and self.quick_changes <= policy.max_quick_changes):
            self.delay = policy.first_delay
            return None
        latency = max(policy.first_delay, policy.latency_fraction * (now - self.start))
        pause = self.jitter(min(self.delay, policy.max_delay, latency))
        if self.deadline is not None:
            pause = min(pause, max(0.0, self.deadline - now))
        self.delay = min(self.delay * 2, policy.max_delay)
        return pause


def _never_answered(error: Optional[UWSError]) -> UWSError:
    return error if error is not None else UWSError("the job could not be fetched")


def _wait_seconds(
    policy: WaitPolicy,
    now: float,
    deadline: Optional[float],
    phase: Phase,
    pending_since: Optional[float],
) -> Optional[int]:
    """The WAIT to ask for, or None when too little time is left to block (< 1 s)."""
    limit = float(policy.max_wait)
    if deadline is not None:
        limit = min(limit, deadline - now)
    if phase is Phase.PENDING and pending_since is not None:
        # Do not block past the grace period: a job that never starts is reported then.
        limit = min(limit, math.ceil(pending_since + policy.pending_grace - now))
    n = int(limit)
    return n if n >= 1 else None
