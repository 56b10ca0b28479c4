"""Every listed result: re-read a finished job until its result list stops changing.

OPUS signals the terminal phase before it has listed all of a job's results: its provenance
results (``provjson``, ``provxml``, ``provsvg``) appear about 0.1-0.2 s after COMPLETED. Saving
what the first COMPLETED document lists misses them. So, once a job is in a terminal phase,
it is read again every :attr:`Settle.interval` seconds until two consecutive reads list the
same results and at least :attr:`Settle.quiet` seconds have passed since the first, for at most
:attr:`Settle.limit` seconds. With the defaults a job whose list does not change costs two
more reads (0.5 s); one that already lists a provenance result costs none (OPUS adds them
together, once the run's files are listed). An ARCHIVED job has no results to wait for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from uws_lite import Client
from uws_lite.errors import UWSError
from uws_lite.models import Job, Phase

from .output import Console

__all__ = ["PROVENANCE_RESULTS", "SETTLE", "Settle", "settle_results"]

# OPUS's provenance results, listed after the terminal phase.
PROVENANCE_RESULTS = frozenset({"provjson", "provxml", "provsvg"})


@dataclass(frozen=True)
class Settle:
    """How long to watch a finished job's result list (seconds; see the module doc)."""

    interval: float = 0.25
    """Between two reads of the job."""
    quiet: float = 0.5
    """At least this long after the first read before two equal lists end the watch."""
    limit: float = 3.0
    """At most this long: then the results listed are those saved."""


SETTLE = Settle()


def settle_results(
    client: Client,
    job: Job,
    console: Console,
    *,
    policy: Optional[Settle] = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """The job as it is once its result list has stopped changing (``job`` is a terminal
    document just read). A failed re-read ends the watch with the last document read."""
    policy = policy or SETTLE
    if job.phase is Phase.ARCHIVED or not job.phase.is_terminal or _lists_provenance(job):
        return job
    start = clock()
    previous = _listing(job)
    while clock() - start < policy.limit:
        sleep(policy.interval)
        try:
            current = client.get_job(job.job_id)
        except UWSError as exc:
            console.debug(f"re-reading the job's results failed ({exc}); saving those listed")
            return job
        listing = _listing(current)
        if listing != previous:
            console.debug(f"the job lists more results now: {len(listing)}")
        elif clock() - start >= policy.quiet:
            return current
        job, previous = current, listing
    return job


def _listing(job: Job) -> Tuple[Tuple[str, Optional[str], Optional[int], Optional[str]], ...]:
    return tuple((r.id, r.href, r.size, r.sha1) for r in job.results)


def _lists_provenance(job: Job) -> bool:
    return any(result.id in PROVENANCE_RESULTS for result in job.results)
