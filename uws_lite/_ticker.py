"""One tick of a :class:`uws_lite.watch.JobWatcher`: its requests (the job list, the reads
it calls for, or the round-robin reads when the list is of no use), and what the ticks have
taught about the server. The design, request rates and fallbacks: :mod:`uws_lite.watch`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import queue
import random
import threading
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Sequence, Tuple, TypeVar, cast

from .client import Client
from .errors import UWSError
from .models import Job, JobList, Phase
from .text import for_terminal
from .wait import WaitPolicy, is_bad_document, is_transient

__all__ = [
    "AFTER_MARGIN",
    "BY_AFTER",
    "BY_PHASE",
    "BY_READS",
    "LISTED_PHASES",
    "MODES",
    "Entry",
    "Observations",
    "Seen",
    "Ticker",
]

logger = logging.getLogger("uws_lite.watch")

# The phases asked for in the job list: every phase in which a job has not ended, except
# UNKNOWN, which is also what a jobref without a phase reads as (Ticker.list_problem).
LISTED_PHASES = (Phase.PENDING, Phase.QUEUED, Phase.EXECUTING, Phase.HELD, Phase.SUSPENDED)
# Taken off the oldest creation time for AFTER: servers round or compare times differently.
AFTER_MARGIN = timedelta(minutes=1)
_LISTED = frozenset(LISTED_PHASES)
# How jobs are followed, each a fallback for the one before: the list filtered by PHASE and
# AFTER; the list filtered by AFTER alone (DaCHS applies only the last of several PHASE
# filters); reading the jobs themselves, a few per tick.
BY_PHASE, BY_AFTER, BY_READS = "phase", "after", "reads"
MODES = (BY_PHASE, BY_AFTER, BY_READS)
_MAX_BACKOFF = 30.0  # seconds between ticks while ticks fail
_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class Seen:
    """What one request told about one job: its state, or the error that came instead.
    ``asked``: the monotonic time the request was sent."""

    job: Optional[Job]
    error: Optional[UWSError]
    asked: float


class Entry:
    """A followed job: its last known state and the inboxes of the threads waiting for it.
    ``job`` is written by the watcher thread (under the watcher's lock) and ``read_at`` by
    the thread reading the job (one per entry at a time); waiting threads only read them.
    ``since``: when the first wait for it began (the watcher's clock)."""

    def __init__(self, job_id: str, job: Optional[Job], since: float = 0.0) -> None:
        self.job_id = job_id
        self.job = job
        self.since = since
        self.inboxes: List[queue.SimpleQueue[Seen]] = []
        self.read_at: Optional[float] = None  # last time the job itself was read

    @property
    def unread(self) -> bool:
        """No state known and no read tried yet: read at once, not at the next tick."""
        return self.job is None and self.read_at is None


Observations = List[Tuple[Entry, Seen]]


class Ticker:
    """The requests of one tick, and what the ticks have taught about the server: ``mode``
    is how jobs are followed, one of ``MODES``, each step a fallback for the one before."""

    def __init__(
        self,
        client: Client,
        policy: WaitPolicy,
        clock: Callable[[], float],
        *,
        reads_per_tick: int,
        parallel_reads: int,
        request_timeout: float,
    ) -> None:
        self.client, self.policy, self.clock = client, policy, clock
        self.reads_per_tick, self.parallel_reads = reads_per_tick, parallel_reads
        self.request_timeout = request_timeout  # each request's bound, retries included
        self.mode = BY_PHASE
        self._lock = threading.Lock()  # reads run in parallel and may step down
        self.bad_lists = 0  # unreadable job lists in a row
        self.failures = 0  # failed ticks in a row (for the backoff)

    @property
    def listing(self) -> bool:
        """Whether ticks still ask for the job list."""
        return self.mode != BY_READS

    def tick(self, entries: Sequence[Entry]) -> Observations:
        """One tick: the job list and the reads it calls for, or the round-robin reads."""
        after = self.after(entries)
        if self.mode == BY_READS or (self.mode == BY_AFTER and after is None):
            return self.read_tick(entries)  # never a job list with no filter at all
        asked = self.clock()
        phases = LISTED_PHASES if self.mode == BY_PHASE else None
        try:
            listed = self.client.get_job_list(
                phases=phases, after=after, timeout=self.request_timeout
            )
        except UWSError as exc:
            return self.list_failed(exc, entries, asked)
        self.bad_lists = self.failures = 0
        problem = self.list_problem(listed, after)
        if problem is not None:
            self.step_down(problem)
            return []  # the next tick asks in the new mode
        return self.list_tick(entries, {ref.job_id: ref.phase for ref in listed}, asked)

    def list_tick(
        self, entries: Sequence[Entry], phases: Dict[str, Phase], asked: float
    ) -> Observations:
        """Report the listed phases; read each job that ended (listed so, or no longer
        listed), and a few of those whose phase says nothing (UNKNOWN)."""
        seen: Observations = []
        reads: List[Tuple[Entry, Optional[str]]] = []  # with the mode, if it should be listed
        unknown: List[Entry] = []
        for entry in entries:
            phase = phases.get(entry.job_id)
            if entry.job is None or (phase is not None and phase.is_terminal):
                reads.append((entry, None))
            elif phase is None and self.mode == BY_PHASE and entry.job.phase not in _LISTED:
                unknown.append(entry)  # UNKNOWN was not asked for: rightly left out
            elif phase is None:
                reads.append((entry, self.mode))
            elif phase is Phase.UNKNOWN:
                unknown.append(entry)
            else:
                seen.append((entry, Seen(_with_phase(entry.job, phase), None, asked)))
        seen += self.read_many(reads)
        few = _least_recently_read(unknown, self.reads_per_tick)
        return seen + self.read_many([(entry, None) for entry in few])

    def read_tick(self, entries: Sequence[Entry]) -> Observations:
        few = _least_recently_read(entries, self.reads_per_tick)
        seen = self.read_many([(entry, None) for entry in few])
        ok = any(item.job is not None for _, item in seen)
        self.failures = 0 if ok or not seen else self.failures + 1
        return seen

    def first_reads(self, entries: Sequence[Entry]) -> Observations:
        """Read the jobs whose state is not known yet (followed by id alone)."""
        return self.read_many([(entry, None) for entry in entries if entry.unread])

    def read_many(self, reads: Sequence[Tuple[Entry, Optional[str]]]) -> Observations:
        """Read jobs, ``parallel_reads`` at a time (many jobs may end at once: one after the
        other, the last would wait for all the others' round trips); stop after a group
        that showed the list wrong, so that a wrong list costs a few reads, not N."""
        seen: Observations = []
        mode = self.mode
        for start in range(0, len(reads), self.parallel_reads):
            group = reads[start : start + self.parallel_reads]
            found = _in_parallel([functools.partial(self.read, *item) for item in group])
            seen += [(entry, item) for (entry, _), item in zip(group, found)]
            if self.mode != mode:
                break
        return seen

    def read(self, entry: Entry, listed_in: Optional[str] = None) -> Seen:
        """GET the job. ``listed_in``: the mode of the list that left it out, although it
        should have listed it unless it ended: a running job steps that mode down."""
        asked = entry.read_at = self.clock()
        try:
            job = self.client.get_job(entry.job_id, timeout=self.request_timeout)
        except UWSError as exc:
            return Seen(None, exc, asked)
        if listed_in is not None and not job.phase.is_terminal:
            name = for_terminal(job.job_id)
            self.step_down(f"its job list left out job {name} ({job.phase})", seen_in=listed_in)
        return Seen(job, None, asked)

    def delay(self, interval: float) -> float:
        """Seconds to the next tick: ``interval`` (doubling while ticks fail), jittered."""
        base = min(interval * 2.0 ** min(self.failures, 10), max(interval, _MAX_BACKOFF))
        return base * random.uniform(0.9, 1.1)  # noqa: S311 (timing jitter, not security)

    def after(self, entries: Sequence[Entry]) -> Optional[datetime]:
        """AFTER for the list: the oldest creation time minus a margin, when all are known
        and comparable (all naive or all aware), else None (no AFTER filter)."""
        times = [entry.job.creation_time if entry.job else None for entry in entries]
        known = [t for t in times if t is not None]
        if not known or len(known) < len(times) or len({t.tzinfo is None for t in known}) > 1:
            return None
        return min(known) - AFTER_MARGIN

    def list_problem(self, listed: JobList, after: Optional[datetime]) -> Optional[str]:
        """Why this list shows that the server did not apply its filter, or None."""
        if self.mode == BY_PHASE:
            strays = sorted({str(ref.phase) for ref in listed if ref.phase not in _LISTED})
            return f"it lists jobs in phases not asked for ({strays})" if strays else None
        for ref in listed:
            created = ref.creation_time
            if after is not None and created is not None and _before(created, after):
                return "it lists jobs created before AFTER"
        return None

    def list_failed(self, exc: UWSError, entries: Sequence[Entry], asked: float) -> Observations:
        """A transient failure goes to every waiter (their deadlines decide); a bad document
        is retried, up to the policy's count; any other error: the list is of no use."""
        if is_transient(exc):
            self.failures += 1
            return [(entry, Seen(None, exc, asked)) for entry in entries]
        if is_bad_document(exc):
            self.failures += 1
            self.bad_lists += 1
            if self.bad_lists < self.policy.max_bad_documents:
                return []
        self.step_down(f"its job list cannot be used ({exc})", to=BY_READS)
        return self.read_tick(entries)

    def step_down(
        self, why: str, *, to: Optional[str] = None, seen_in: Optional[str] = None
    ) -> None:
        """Follow jobs the next way (``MODES``; or ``to``), saying why, once: a step seen
        in mode ``seen_in`` is not taken again when another read already took it."""
        with self._lock:
            if seen_in is not None and seen_in != self.mode:
                return
            new = to or MODES[min(MODES.index(self.mode) + 1, len(MODES) - 1)]
            if new == self.mode:
                return
            self.mode = new
        how = {
            BY_AFTER: "listing with AFTER alone",
            BY_READS: f"reading each job instead, at most {self.reads_per_tick} per tick "
            "(ends are noticed later)",
        }[new]
        log = logger.warning if new == BY_READS else logger.info
        log(
            "The job list of %s does not filter as UWS 1.1 says: %s; %s.",
            self.client.url,
            for_terminal(why),
            how,
        )


def _with_phase(job: Job, phase: Phase) -> Job:
    return job if job.phase is phase else dataclasses.replace(job, phase=phase)


def _in_parallel(calls: Sequence[Callable[[], _T]]) -> List[_T]:
    """Run the calls, each in its own short-lived thread (one alone: here), and return
    their results in order; the first exception (a bug: reads catch UWSError) is raised."""
    if len(calls) <= 1:
        return [call() for call in calls]
    results: List[Optional[_T]] = [None] * len(calls)
    errors: List[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # raised again in the ticking thread
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(i,), name="uws-lite-job-watcher-read", daemon=True)
        for i in range(len(calls))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return cast(List[_T], results)  # every call returned


def _before(created: datetime, after: datetime) -> bool:
    # Naive and aware times cannot be compared: then nothing can be concluded.
    if (created.tzinfo is None) != (after.tzinfo is None):
        return False
    return created < after


def _least_recently_read(entries: Sequence[Entry], count: int) -> List[Entry]:
    # Never read first, then the longest unread: every job gets its turn.
    return sorted(entries, key=lambda e: -math.inf if e.read_at is None else e.read_at)[:count]
