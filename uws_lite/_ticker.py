"""One tick of a :class:`uws_lite.watch.JobWatcher`: its requests (the job list, the reads
it calls for, or the round-robin reads when the list is of no use), and what the ticks have
taught about the server. The design, request rates and fallbacks: :mod:`uws_lite.watch`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import queue
import random
from datetime import datetime, timedelta
from typing import Callable, List, Optional, Sequence, Tuple

from .client import Client
from .errors import UWSError
from .models import Job, Phase
from .text import for_terminal
from .wait import WaitPolicy, _bad_document, _transient

__all__ = ["AFTER_MARGIN", "LISTED_PHASES", "Entry", "Observations", "Seen", "Ticker"]

logger = logging.getLogger("uws_lite.watch")

# The phases asked for in the job list: every phase in which a job has not ended, except
# UNKNOWN, which is also what a jobref without a phase reads as (see Ticker.list_tick).
LISTED_PHASES = (Phase.PENDING, Phase.QUEUED, Phase.EXECUTING, Phase.HELD, Phase.SUSPENDED)
# Taken off the oldest creation time for AFTER: servers round or compare times differently.
AFTER_MARGIN = timedelta(minutes=1)
_LISTED = frozenset(LISTED_PHASES)
_MAX_BACKOFF = 30.0  # seconds between ticks while ticks fail


@dataclasses.dataclass(frozen=True)
class Seen:
    """What one request told about one job: its state, or the error that came instead.
    ``asked``: the monotonic time the request was sent."""

    job: Optional[Job]
    error: Optional[UWSError]
    asked: float


class Entry:
    """A followed job: its last known state and the inboxes of the threads waiting for it.
    ``job`` and ``read_at`` are written by the watcher thread (under the lock) only."""

    def __init__(self, job_id: str, job: Optional[Job]) -> None:
        self.job_id = job_id
        self.job = job
        self.inboxes: List[queue.SimpleQueue[Seen]] = []
        self.read_at: Optional[float] = None  # last time the job itself was read

    @property
    def unread(self) -> bool:
        """No state known and no read tried yet: read at once, not at the next tick."""
        return self.job is None and self.read_at is None


Observations = List[Tuple[Entry, Seen]]


class Ticker:
    """The requests of one tick, and what the watcher has learnt about the server."""

    def __init__(
        self, client: Client, policy: WaitPolicy, reads_per_tick: int, clock: Callable[[], float]
    ) -> None:
        self.client, self.policy, self.clock = client, policy, clock
        self.reads_per_tick = reads_per_tick
        self.listing = True  # False: the job list is of no use here; read jobs round-robin
        self.use_after = True
        self.after_sent = False  # whether the last list request had an AFTER filter
        self.bad_lists = 0  # unreadable job lists in a row
        self.failures = 0  # failed ticks in a row (for the backoff)

    def tick(self, entries: Sequence[Entry]) -> Observations:
        """One tick: the job list and the reads it calls for, or the round-robin reads."""
        return self.list_tick(entries) if self.listing else self.read_tick(entries)

    def delay(self, interval: float) -> float:
        """Seconds to the next tick: ``interval`` (doubling while ticks fail), jittered."""
        base = min(interval * 2.0 ** min(self.failures, 10), max(interval, _MAX_BACKOFF))
        return base * random.uniform(0.9, 1.1)  # noqa: S311 (timing jitter, not security)

    def list_tick(self, entries: Sequence[Entry]) -> Observations:
        asked, after = self.clock(), self.after(entries)
        self.after_sent = after is not None
        try:
            listed = self.client.get_job_list(phases=LISTED_PHASES, after=after)
        except UWSError as exc:
            return self.list_failed(exc, entries, asked)
        self.bad_lists = self.failures = 0
        strays = sorted({str(ref.phase) for ref in listed if ref.phase not in _LISTED})
        if strays:
            self.stop_listing(f"its job list holds jobs in phases not asked for ({strays})")
            return self.read_tick(entries)
        phases = {ref.job_id: ref.phase for ref in listed}
        seen: Observations = []
        ended: List[Entry] = []  # left the list: read each once
        unlisted: List[Entry] = []  # UNKNOWN (not asked for): read round-robin
        for entry in entries:
            phase = phases.get(entry.job_id)
            if entry.job is None or (phase is None and entry.job.phase in _LISTED):
                ended.append(entry)
            elif phase is None:
                unlisted.append(entry)
            else:
                seen.append((entry, Seen(_with_phase(entry.job, phase), None, asked)))
        for entry in ended:
            seen.append((entry, self.read(entry, left_list=entry.job is not None)))
        for entry in _least_recently_read(unlisted, self.reads_per_tick):
            seen.append((entry, self.read(entry)))
        return seen

    def read_tick(self, entries: Sequence[Entry]) -> Observations:
        seen = [(e, self.read(e)) for e in _least_recently_read(entries, self.reads_per_tick)]
        ok = any(item.job is not None for _, item in seen)
        self.failures = 0 if ok or not seen else self.failures + 1
        return seen

    def first_reads(self, entries: Sequence[Entry]) -> Observations:
        """Read the jobs whose state is not known yet (followed by id alone)."""
        return [(entry, self.read(entry)) for entry in entries if entry.unread]

    def read(self, entry: Entry, *, left_list: bool = False) -> Seen:
        asked = entry.read_at = self.clock()
        try:
            job = self.client.get_job(entry.job_id)
        except UWSError as exc:
            return Seen(None, exc, asked)
        if left_list and job.phase in _LISTED:
            self.missed(job)
        return Seen(job, None, asked)

    def after(self, entries: Sequence[Entry]) -> Optional[datetime]:
        """AFTER for the list: the oldest creation time minus a margin, when all are known
        and comparable (all naive or all aware), else None (no AFTER filter)."""
        times = [entry.job.creation_time if entry.job else None for entry in entries]
        known = [t for t in times if t is not None]
        if not self.use_after or not known or len(known) < len(times):
            return None
        if len({t.tzinfo is None for t in known}) > 1:
            return None
        return min(known) - AFTER_MARGIN

    def list_failed(self, exc: UWSError, entries: Sequence[Entry], asked: float) -> Observations:
        """A transient failure goes to every waiter (their deadlines decide); a bad document
        is retried, up to the policy's count; any other error: the list is of no use."""
        if _transient(exc):
            self.failures += 1
            return [(entry, Seen(None, exc, asked)) for entry in entries]
        if _bad_document(exc):
            self.failures += 1
            self.bad_lists += 1
            if self.bad_lists < self.policy.max_bad_documents:
                return []
        self.stop_listing(f"its job list cannot be used ({exc})")
        return self.read_tick(entries)

    def missed(self, job: Job) -> None:
        """The list left out a job that had not ended: AFTER may be read in another time
        zone (turn it off); without AFTER, the list cannot be trusted (stop listing)."""
        name = for_terminal(job.job_id)
        if self.after_sent:
            logger.info("Job %s was left out of the job list while %s: AFTER off", name, job.phase)
            self.use_after = False
        else:
            self.stop_listing(f"its job list left out job {name} while {job.phase}")

    def stop_listing(self, why: str) -> None:
        self.listing = False
        logger.warning(
            "The server at %s does not filter its job list as UWS 1.1 says: %s. Reading "
            "each followed job instead, at most %d per tick (ends are noticed later).",
            self.client.url,
            for_terminal(why),
            self.reads_per_tick,
        )


def _with_phase(job: Job, phase: Phase) -> Job:
    return job if job.phase is phase else dataclasses.replace(job, phase=phase)


def _least_recently_read(entries: Sequence[Entry], count: int) -> List[Entry]:
    # Never read first, then the longest unread: every job gets its turn.
    return sorted(entries, key=lambda e: -math.inf if e.read_at is None else e.read_at)[:count]
