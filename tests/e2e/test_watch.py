"""JobWatcher against the package's OPUS-compatible server that ignores WAIT (issue 12):
many jobs followed for one job-list request per tick, each job read once when it ends.
Requests are counted from the server's own log; nothing here asserts a duration."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List

import pytest
import requests

from uws_lite import Client
from uws_lite._ticker import Entry, Ticker
from uws_lite.errors import RequestTimeout
from uws_lite.models import Job, Phase
from uws_lite.testing import Faults, OpusServer, RunPlan
from uws_lite.wait import WaitPolicy
from uws_lite.watch import JobWatcher, tick_spacing

pytestmark = pytest.mark.e2e

JOBS = 20
INTERVAL = 0.5
PHASES = "&PHASE=PENDING&PHASE=QUEUED&PHASE=EXECUTING&PHASE=HELD&PHASE=SUSPENDED"


def submit(client: Client, count: int, duration: float) -> List[Job]:
    config = json.dumps({"_test": {"duration": duration}}).encode()
    return [client.new_job(files={"config": ("c.json", config)}, run=True) for _ in range(count)]


def follow_all(watcher: JobWatcher, jobs: List[Any], timeout: float = 120) -> Dict[str, Job]:
    finals: Dict[str, Job] = {}
    errors: List[BaseException] = []

    def follow(job: Any) -> None:
        try:
            final = watcher.wait(job, timeout=timeout)
        except BaseException as exc:  # reported below, with the test's failure
            errors.append(exc)
        else:
            finals[final.job_id] = final

    threads = [threading.Thread(target=follow, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert errors == []
    return finals


def test_twenty_jobs_cost_one_list_request_per_tick(
    opus_server_factory: Callable[..., OpusServer],
) -> None:
    server = opus_server_factory(
        faults=Faults(wait_ignored=True),
        run_plan=RunPlan(duration=2.0, queued=0.05, cdf_size=1024),
    )
    with Client(server.list_url()) as client:
        jobs = submit(client, JOBS, 2.0)
        server.clear_requests()
        started = time.monotonic()
        with JobWatcher(client, interval=INTERVAL, min_interval=INTERVAL) as watcher:
            finals = follow_all(watcher, jobs)
        elapsed = time.monotonic() - started
    assert sorted(finals) == sorted(job.job_id for job in jobs)
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    assert all(job.results for job in finals.values())  # each one's final document
    for job_id in finals:
        assert server.job(job_id).phase == "COMPLETED"

    asked = server.requests
    lists = [r for r in asked if r.path == "/rest/ExPRES"]
    reads = [r for r in asked if r.path.startswith("/rest/ExPRES/")]
    assert len(lists) + len(reads) == len(asked)  # nothing else was asked
    # O(N) in total, never per tick: each job document read once, when the job ended.
    assert sorted(r.path.rsplit("/", 1)[1] for r in reads) == sorted(finals)
    assert all(r.query == "" for r in reads)  # no WAIT: no connection held per job
    # O(1) per tick: ticks are at least 0.9 interval apart (jitter only shortens by 10 %).
    assert 1 <= len(lists) <= 2 + elapsed / (0.9 * INTERVAL)
    for request in lists:
        assert request.query.startswith("AFTER=")
        assert request.query.endswith(
            "&PHASE=PENDING&PHASE=QUEUED&PHASE=EXECUTING&PHASE=HELD&PHASE=SUSPENDED"
        )


def test_short_jobs_are_seen_at_quicker_ticks(
    opus_server_factory: Callable[..., OpusServer],
) -> None:
    # Ticks every 60 s once the jobs are old; these 1-s jobs are seen within seconds, by
    # ticks a third of their age apart (at least 0.1 s: O(1) per tick all the same).
    server = opus_server_factory(
        faults=Faults(wait_ignored=True),
        run_plan=RunPlan(duration=1.0, queued=0.05, cdf_size=1024),
    )
    with Client(server.list_url()) as client:
        jobs = submit(client, 5, 1.0)
        server.clear_requests()
        started = time.monotonic()
        with JobWatcher(client, interval=60.0, min_interval=0.1) as watcher:
            finals = follow_all(watcher, jobs, timeout=30)
        elapsed = time.monotonic() - started
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    lists = [r for r in server.requests if r.path == "/rest/ExPRES"]
    assert 1 <= len(lists) <= 2 + elapsed / (0.9 * 0.1)


def test_tick_spacing_is_a_third_of_the_youngest_jobs_age_within_bounds() -> None:
    assert tick_spacing(1.5, 0.2, 0.0) == 0.2
    assert tick_spacing(1.5, 0.2, 0.3) == 0.2
    assert tick_spacing(1.5, 0.2, 3.0) == pytest.approx(1.0)
    assert tick_spacing(1.5, 0.2, 4.5) == 1.5
    assert tick_spacing(1.5, 0.2, 3600.0) == 1.5


def test_jobs_followed_by_id_are_read_once_then_listed(
    opus_server_factory: Callable[..., OpusServer],
) -> None:
    server = opus_server_factory(faults=Faults(wait_ignored=True))
    with Client(server.list_url()) as client:
        jobs = submit(client, 5, 2.5)
        server.clear_requests()
        with JobWatcher(client, interval=INTERVAL, min_interval=INTERVAL) as watcher:
            finals = follow_all(watcher, [job.job_id for job in jobs])
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    reads = [r.path.rsplit("/", 1)[1] for r in server.requests if r.path != "/rest/ExPRES"]
    for job in jobs:
        # Its first state at once, then its end (once: if it had already ended).
        assert reads.count(job.job_id) in (1, 2)


def test_a_list_applying_only_the_last_phase_steps_down_to_after(
    opus_server_factory: Callable[..., OpusServer],
) -> None:
    # As DaCHS does (tests/dachs pins it): the first list (its last PHASE is SUSPENDED)
    # leaves every job out, and the reads show them running; from then on the list is
    # asked with AFTER alone.
    server = opus_server_factory(
        faults=Faults(wait_ignored=True, list_last_phase_only=True),
        run_plan=RunPlan(duration=2.0, queued=0.05, cdf_size=1024),
    )
    with Client(server.list_url()) as client:
        jobs = submit(client, 6, 2.0)
        server.clear_requests()
        with JobWatcher(client, interval=INTERVAL, min_interval=INTERVAL) as watcher:
            finals = follow_all(watcher, jobs)
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    lists = [r.query for r in server.requests if r.path == "/rest/ExPRES"]
    reads = [r.path.rsplit("/", 1)[1] for r in server.requests if r.path != "/rest/ExPRES"]
    assert lists[0].endswith(PHASES)
    assert all(query.startswith("AFTER=") and "PHASE" not in query for query in lists[1:])
    # Each job read when it ended, plus the one group of reads that showed the list wrong.
    assert len(reads) <= len(finals) + 4
    assert set(reads) <= set(finals)


def test_a_list_ignoring_its_filters_falls_back_to_a_few_reads_per_tick(
    opus_server_factory: Callable[..., OpusServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = opus_server_factory(
        faults=Faults(wait_ignored=True, list_filters_ignored=True),
        run_plan=RunPlan(duration=2.0, queued=0.05, cdf_size=1024),
    )
    # Another guest's job of yesterday, which AFTER should have left out of the list.
    yesterday = datetime.now() - timedelta(days=1)
    monkeypatch.setattr("uws_lite.testing.store.local_now", lambda: yesterday)
    server.seed_jobs(1)
    monkeypatch.undo()
    with Client(server.list_url()) as client:
        jobs = submit(client, 6, 2.0)
        server.clear_requests()
        started = time.monotonic()
        with JobWatcher(
            client, interval=INTERVAL, min_interval=INTERVAL, reads_per_tick=2
        ) as watcher:
            finals = follow_all(watcher, jobs)
        elapsed = time.monotonic() - started
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    lists = [r.query for r in server.requests if r.path == "/rest/ExPRES"]
    reads = [r for r in server.requests if r.path != "/rest/ExPRES"]
    assert lists[0].endswith(PHASES)  # lists phases not asked for: AFTER alone, then...
    assert len(lists) == 2  # ...which lists jobs created before AFTER: no more lists
    assert "PHASE" not in lists[1]
    # O(1) per tick all the same: at most reads_per_tick reads (ticks >= 0.9 interval apart).
    assert len(reads) <= 2 * (2 + elapsed / (0.9 * INTERVAL))


def test_a_hung_list_request_fails_the_tick_at_its_bound(
    opus_server_factory: Callable[..., OpusServer],
) -> None:
    server = opus_server_factory(faults=Faults(wait_ignored=True))
    (job_id,) = server.seed_jobs(1, phase="EXECUTING")
    with Client(server.list_url()) as client:
        job = client.get_job(job_id)
        server.faults.request_filter = r"^GET /rest/ExPRES\?"  # the list, not the job
        server.faults.hold_requests = 120.0
        ticker = Ticker(
            client,
            WaitPolicy(),
            time.monotonic,
            reads_per_tick=4,
            parallel_reads=4,
            request_timeout=1.0,
        )
        entry = Entry(job_id, job)
        ((seen_entry, seen),) = ticker.tick([entry])
        assert seen_entry is entry
        assert isinstance(seen.error, RequestTimeout)  # transient: the waiters decide
        assert ticker.failures == 1  # the next tick comes later (backoff)
        server.faults.hold_requests = None
        ((_, seen),) = ticker.tick([entry])
        assert seen.job is not None
        assert seen.job.phase is Phase.EXECUTING


@pytest.mark.dachs
def test_dachs_phase_filter_quirk_costs_a_few_reads(dachs_server: Any) -> None:
    # DaCHS applies only the last of several PHASE filters (tests/dachs/test_dachs.py pins
    # it): the first list leaves every job out; a read shows it, then AFTER alone is used.
    asked: List[str] = []
    session = requests.Session()
    with session, Client(dachs_server.echo_url, session=session) as client:

        def record(reply: Any, *args: Any, **kwargs: Any) -> None:
            asked.append(reply.request.method + reply.request.url[len(client.url) :])

        session.hooks["response"].append(record)
        # Two jobs: this DaCHS runs two at a time, and starts a queued third only later.
        jobs = [client.new_job({"message": f"watch{i}", "sleep": 3}, run=True) for i in range(2)]
        try:
            asked.clear()
            with JobWatcher(client, interval=INTERVAL, min_interval=INTERVAL) as watcher:
                finals = follow_all(watcher, jobs)
        finally:
            for job in jobs:  # DaCHS's job queue is shared by every session on the machine
                client.delete_job(job.job_id)
    assert {job.phase for job in finals.values()} == {Phase.COMPLETED}
    lists = [query for query in asked if query.startswith("GET?")]
    reads = [path for path in asked if path.startswith("GET/")]
    assert "PHASE=" in lists[0]
    assert all("PHASE=" not in query and "AFTER=" in query for query in lists[1:])
    # Each job's end, and one group of reads (parallel_reads, here both jobs) that told.
    assert len(reads) <= 2 * len(jobs)
    assert len(lists) >= 2
