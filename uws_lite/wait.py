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
from typing import Callable, Optional

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

__all__ = ["DEADLINE_MARGIN", "Fetch", "OnChange", "WaitPolicy", "wait_for_job"]

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


def _jitter(delay: float) -> float:
    # Only ever shorten: the latency bound in the module docstring must hold.
    return delay * random.uniform(0.8, 1.0)  # noqa: S311 (timing jitter, not security)


def _transient(exc: UWSError) -> bool:
    if isinstance(exc, (ConnectionFailed, RequestTimeout, ServerError)):
        return True
    return isinstance(exc, HTTPStatusError) and exc.status == 429


def _bad_document(exc: UWSError) -> bool:
    # A 2xx answer that is not the job: cut short, or a proxy's/portal's HTML page.
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
    jitter: Callable[[float], float] = _jitter,
) -> Job:
    """Block until the job is in a terminal phase and return it (see the module doc).

    Raises WaitTimeout (carrying the last job seen) after ``timeout`` seconds, JobHeld,
    JobNotStarted, JobNotFound, the last transient error when it never got an answer, or
    the last bad document (ParseError, ServiceErrorDocument) after too many in a row.
    """
    if timeout is not None:
        timeout = check_seconds(timeout, "timeout", zero_ok=True)
    start = clock()
    deadline = None if timeout is None else start + timeout
    job: Optional[Job] = None
    delay = policy.first_delay
    pending_since: Optional[float] = None
    quick_changes = 0
    failing_since: Optional[float] = None
    last_error: Optional[UWSError] = None
    bad_documents = 0  # in a row, since the last good job document

    while True:
        wait_s: Optional[int] = None
        if job is not None and job.phase.is_active:
            wait_s = _wait_seconds(policy, clock(), deadline, job.phase, pending_since)
        asked = clock()
        try:
            new: Optional[Job] = fetch(wait_s, job.phase if wait_s is not None and job else None)
        except UWSError as exc:
            if _bad_document(exc):
                bad_documents += 1
                if bad_documents >= policy.max_bad_documents:
                    raise
            elif not _transient(exc):
                raise
            new, last_error = None, exc
            failing_since = asked if failing_since is None else failing_since
        now = clock()
        held = (
            wait_s is not None and new is not None and now - asked >= policy.early_fraction * wait_s
        )

        changed = False
        if new is not None:
            failing_since, last_error, bad_documents = None, None, 0
            changed = job is None or new.phase is not job.phase
            job = new
            if changed and on_change is not None:
                on_change(job)
            if job.phase.is_terminal:
                return job
            if job.phase is Phase.HELD:
                raise JobHeld(
                    f"Job {job.job_id} is HELD: the server will not run it until PHASE=RUN is "
                    "sent again (Client.run_job).",
                    job,
                )
            if job.phase is Phase.PENDING:
                pending_since = now if pending_since is None else pending_since
                if not changed and now - pending_since >= policy.pending_grace:
                    raise JobNotStarted(
                        f"Job {job.job_id} is still PENDING after {now - pending_since:.0f} s: "
                        "it was never started. Send PHASE=RUN (Client.run_job).",
                        job,
                    )
            else:
                pending_since = None

        if deadline is not None and now >= deadline:
            if job is None:
                # Never got an answer: the failure itself is the news.
                raise _never_answered(last_error)
            note = f" (last attempt failed: {last_error})" if last_error else ""
            raise WaitTimeout(
                f"Job {job.job_id} is still {job.phase} after waiting {timeout:g} s{note}. "
                "Wait again, or check the job on the server.",
                job,
                timeout=float(timeout or 0),
            ) from last_error
        if (
            failing_since is not None
            and deadline is None
            and now - failing_since > policy.error_patience
        ):
            raise _never_answered(last_error)

        # Pacing: no sleep after the server held the request, or right after a phase
        # change (the next state may follow at once); otherwise back off.
        quick_changes = quick_changes + 1 if changed and not held else 0
        if held or (changed and quick_changes <= policy.max_quick_changes):
            delay = policy.first_delay
            continue
        pause = min(
            delay,
            policy.max_delay,
            max(policy.first_delay, policy.latency_fraction * (now - start)),
        )
        pause = jitter(pause)
        if deadline is not None:
            pause = min(pause, max(0.0, deadline - now))
        sleep(pause)
        delay = min(delay * 2, policy.max_delay)


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
