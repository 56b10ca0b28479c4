"""uws_lite.watch: following many jobs with one job-list request per tick (issue 12).

``FakeList`` is a UWS job list on ``responses`` whose jobs' phases the test sets (or scripts,
one phase per list request made so far). By default it filters like a UWS 1.1 server (PHASE,
the union of several; AFTER); switches make it apply only the last PHASE (as DaCHS does) or
none, ignore AFTER, leave phases out of its jobrefs, or leave jobs out.
Tick-level tests drive ``Ticker`` directly (exact request counts); watcher tests run the real
thread with a short interval and count requests, never time.
"""

from __future__ import annotations

import _thread
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Sequence, Set, Tuple, Union
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from uws_lite import Client
from uws_lite._ticker import (
    AFTER_MARGIN,
    BY_AFTER,
    BY_PHASE,
    BY_READS,
    LISTED_PHASES,
    Entry,
    Ticker,
)
from uws_lite.errors import (
    ConnectionFailed,
    InvalidRequest,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    UWSError,
    WaitTimeout,
    WatcherClosed,
)
from uws_lite.models import Job, Phase
from uws_lite.wait import WaitPolicy
from uws_lite.watch import JobWatcher

BASE = "https://uws.example.org/rest/ExPRES"
NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
CREATED = "2026-11-24T22:39:01"  # naive, as OPUS writes it
ListAnswer = Union[Exception, Tuple[int, bytes]]


class FakeList:
    def __init__(self, rsps: responses.RequestsMock, job_xml: Callable[..., bytes]) -> None:
        self.job_xml = job_xml
        self.phases: Dict[str, str] = {}
        self.scripts: Dict[str, Sequence[str]] = {}  # phase after n list requests: [n]
        self.created: Dict[str, str] = {}
        self.phase_filter = "union"  # "last": only the last PHASE counts (DaCHS); "ignored"
        self.ignore_after = False
        self.no_phase_in_list = False
        self.hidden: Set[str] = set()  # never listed, whatever their phase
        self.list_answers: List[ListAnswer] = []  # the next list answers, instead of the list
        self.lists: List[Dict[str, List[str]]] = []  # the query of each list request
        self.reads: List[str] = []  # the job id of each job read
        self.lock = threading.Lock()
        rsps.add_callback("GET", re.compile(re.escape(BASE) + r"(\?.*)?$"), self._list)
        rsps.add_callback("GET", re.compile(re.escape(BASE) + r"/(\w+)$"), self._job)

    def add(self, job_id: str, *script: str, created: str = CREATED) -> Job:
        """A job in phase ``script[0]``, then ``script[n]`` after n list requests."""
        with self.lock:
            self.phases[job_id] = script[0]
            self.created[job_id] = created
            if len(script) > 1:  # one phase alone: the test sets it when it likes
                self.scripts[job_id] = script
        return Job(job_id, Phase(script[0]), creation_time=datetime.fromisoformat(created))

    def _listed(self, job_id: str, phase: str, query: Dict[str, List[str]]) -> bool:
        wanted = query.get("PHASE", [])
        wanted = {"union": wanted, "last": wanted[-1:], "ignored": []}[self.phase_filter]
        if job_id in self.hidden or (wanted and phase not in wanted):
            return False
        after = query.get("AFTER", [""])[0].rstrip("Z")  # naive or UTC: compared as written
        created = datetime.fromisoformat(self.created[job_id])
        return self.ignore_after or not after or created >= datetime.fromisoformat(after)

    def _list(self, request: Any) -> Tuple[int, Dict[str, str], bytes]:
        query: Dict[str, List[str]] = {}
        for key, value in parse_qsl(request.url.partition("?")[2]):
            query.setdefault(key, []).append(value)
        with self.lock:
            self.lists.append(query)
            for job_id, script in self.scripts.items():
                if job_id in self.phases:
                    self.phases[job_id] = script[min(len(self.lists), len(script) - 1)]
            if self.list_answers:
                answer = self.list_answers.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer[0], {"Content-Type": "text/html"}, answer[1]
            refs = "".join(
                self._jobref(job_id, phase)
                for job_id, phase in self.phases.items()
                if self._listed(job_id, phase, query)
            )
        return 200, {"Content-Type": "text/xml"}, f"<uws:jobs {NS}>{refs}</uws:jobs>".encode()

    def _jobref(self, job_id: str, phase: str) -> str:
        shown = "" if self.no_phase_in_list else f"<uws:phase>{phase}</uws:phase>"
        return (
            f'<uws:jobref id="{job_id}">{shown}'
            f"<uws:creationTime>{self.created[job_id]}</uws:creationTime></uws:jobref>"
        )

    def _job(self, request: Any) -> Tuple[int, Dict[str, str], bytes]:
        job_id = request.url.rsplit("/", 1)[1].partition("?")[0]
        with self.lock:
            self.reads.append(job_id)
            phase = self.phases.get(job_id)
        if phase is None:
            return 404, {"Content-Type": "text/html"}, b"<html><pre>Job not found</pre></html>"
        return 200, {"Content-Type": "text/xml"}, self.job_xml(job_id, phase)


@pytest.fixture
def fake(rsps: responses.RequestsMock, job_xml: Callable[..., bytes]) -> FakeList:
    return FakeList(rsps, job_xml)


@pytest.fixture
def quiet_client(make_client: Callable[..., Client]) -> Client:
    """No urllib3 retries: each failure the fake gives is one failed request."""
    return make_client(retries=0)


@pytest.fixture
def ticker(quiet_client: Client) -> Ticker:
    """One read at a time: exact request counts and orders."""
    return Ticker(
        quiet_client,
        WaitPolicy(),
        time.monotonic,
        reads_per_tick=4,
        parallel_reads=1,
        request_timeout=30.0,
    )


@pytest.fixture
def watchers(quiet_client: Client) -> Iterator[Callable[..., JobWatcher]]:
    made: List[JobWatcher] = []

    def make(**kwargs: Any) -> JobWatcher:
        kwargs.setdefault("interval", 0.02)
        watcher = JobWatcher(quiet_client, **kwargs)
        made.append(watcher)
        return watcher

    yield make
    for watcher in made:
        watcher.close()


def entries_for(fake: FakeList, count: int, *script: str) -> List[Entry]:
    return [Entry(f"job{i:03d}", fake.add(f"job{i:03d}", *script)) for i in range(count)]


def phases_seen(seen: Sequence[Tuple[Entry, Any]]) -> Dict[str, Phase]:
    return {entry.job_id: item.job.phase for entry, item in seen if item.job is not None}


# --- one tick ------------------------------------------------------------------------------


def test_a_tick_is_one_filtered_list_request(fake: FakeList, ticker: Ticker) -> None:
    entries = entries_for(fake, 30, "EXECUTING")
    seen = ticker.tick(entries)
    assert len(fake.lists) == 1
    assert fake.reads == []
    query = fake.lists[0]
    assert query["PHASE"] == [p.value for p in LISTED_PHASES]
    oldest = datetime.fromisoformat(CREATED) - AFTER_MARGIN
    assert query["AFTER"] == [oldest.isoformat()]  # naive: sent as the server wrote it
    assert phases_seen(seen) == {e.job_id: Phase.EXECUTING for e in entries}


def test_only_the_jobs_that_left_the_list_are_read(fake: FakeList, ticker: Ticker) -> None:
    entries = entries_for(fake, 10, "EXECUTING")
    fake.phases["job003"] = "COMPLETED"
    fake.phases["job007"] = "ERROR"
    seen = ticker.tick(entries)
    assert len(fake.lists) == 1
    assert sorted(fake.reads) == ["job003", "job007"]
    phases = phases_seen(seen)
    assert phases["job003"] is Phase.COMPLETED
    assert phases["job007"] is Phase.ERROR
    assert phases["job000"] is Phase.EXECUTING
    final = next(item.job for entry, item in seen if entry.job_id == "job003")
    assert final.parameters  # the job's own document, not a list entry


def test_a_listed_phase_change_costs_no_request(fake: FakeList, ticker: Ticker) -> None:
    job = fake.add("a1", "QUEUED", "EXECUTING")
    job = Job("a1", Phase.QUEUED, run_id="mine", creation_time=job.creation_time)
    seen = ticker.tick([Entry("a1", job)])
    assert fake.reads == []
    changed = seen[0][1].job
    assert changed.phase is Phase.EXECUTING
    assert changed.run_id == "mine"  # the rest is the last document read


def test_aware_creation_times_are_sent_in_utc(fake: FakeList, ticker: Ticker) -> None:
    fake.add("a1", "EXECUTING")
    fake.add("a2", "EXECUTING")
    aware = datetime(2026, 11, 24, 22, 39, 1, tzinfo=timezone.utc)
    ticker.tick([Entry("a1", Job("a1", Phase.EXECUTING, creation_time=aware))])
    assert fake.lists[-1]["AFTER"] == ["2026-11-24T22:38:01Z"]
    naive = datetime.fromisoformat(CREATED)
    mixed = [
        Entry("a1", Job("a1", Phase.EXECUTING, creation_time=aware)),
        Entry("a2", Job("a2", Phase.EXECUTING, creation_time=naive)),
    ]
    ticker.tick(mixed)
    assert "AFTER" not in fake.lists[-1]  # not comparable: no AFTER rather than a wrong one
    ticker.tick([Entry("a1", Job("a1", Phase.EXECUTING))])
    assert "AFTER" not in fake.lists[-1]  # a creation time unknown


def test_an_ignored_phase_filter_steps_down_to_after_alone(fake: FakeList, ticker: Ticker) -> None:
    fake.phase_filter = "ignored"
    entries = entries_for(fake, 10, "EXECUTING")
    fake.add("old", "COMPLETED")  # someone else's ended job, listed all the same
    assert ticker.tick(entries) == []  # a list that cannot be read as asked: read nothing
    assert ticker.mode == BY_AFTER
    fake.phases["job004"] = "ABORTED"
    seen = ticker.tick(entries)
    assert "PHASE" not in fake.lists[-1]
    assert fake.lists[-1]["AFTER"] == ["2026-11-24T22:38:01"]
    assert fake.reads == ["job004"]  # listed as ended: read once; the others from the list
    assert phases_seen(seen)["job004"] is Phase.ABORTED
    assert phases_seen(seen)["job000"] is Phase.EXECUTING


def test_dachs_applying_only_the_last_phase_costs_one_read(fake: FakeList, ticker: Ticker) -> None:
    fake.phase_filter = "last"  # DaCHS: PHASE=...&PHASE=SUSPENDED lists SUSPENDED jobs only
    entries = entries_for(fake, 20, "EXECUTING")
    ticker.tick(entries)
    assert fake.reads == ["job000"]  # left out, yet running: the list is wrong, read no more
    assert ticker.mode == BY_AFTER
    seen = ticker.tick(entries)
    assert len(fake.lists) == 2
    assert fake.reads == ["job000"]
    assert phases_seen(seen) == {e.job_id: Phase.EXECUTING for e in entries}


def test_parallel_reads_step_down_once_and_read_every_ended_job(
    fake: FakeList, quiet_client: Client
) -> None:
    ticker = Ticker(
        quiet_client,
        WaitPolicy(),
        time.monotonic,
        reads_per_tick=4,
        parallel_reads=4,
        request_timeout=30.0,
    )
    fake.phase_filter = "last"
    entries = entries_for(fake, 20, "EXECUTING")
    ticker.tick(entries)
    assert len(fake.reads) == 4  # one group of reads, each showing the list wrong...
    assert ticker.mode == BY_AFTER  # ...steps down once, not once per read
    for entry in entries:
        fake.phases[entry.job_id] = "COMPLETED"
    seen = ticker.tick(entries)
    assert len(fake.reads) == 24  # every ended job read once, four at a time
    assert phases_seen(seen) == {e.job_id: Phase.COMPLETED for e in entries}


def test_an_ignored_after_as_well_falls_back_to_bounded_reads(
    fake: FakeList, ticker: Ticker
) -> None:
    fake.phase_filter = "ignored"
    fake.ignore_after = True
    entries = entries_for(fake, 10, "EXECUTING")
    fake.add("old", "COMPLETED", created="2026-01-01T00:00:00")
    ticker.tick(entries)
    assert ticker.mode == BY_AFTER
    ticker.tick(entries)  # lists a job created before AFTER: the whole list, every time
    assert ticker.mode == BY_READS
    assert not ticker.listing
    for _ in range(3):
        ticker.tick(entries)
    assert len(fake.lists) == 2  # no more list requests
    assert len(fake.reads) == 12  # reads_per_tick per tick, whatever the number of jobs
    assert set(fake.reads) == {e.job_id for e in entries}  # round-robin: everyone's turn


def test_jobrefs_without_phases_cost_a_few_reads_per_tick(fake: FakeList, ticker: Ticker) -> None:
    fake.no_phase_in_list = True  # UWS 1.0 jobrefs may carry no phase
    entries = entries_for(fake, 6, "EXECUTING")
    ticker.tick(entries)
    assert ticker.mode == BY_AFTER
    assert fake.reads == []
    ticker.tick(entries)
    assert len(fake.reads) == 4  # the list says nothing of their phases: a few are read
    ticker.tick(entries)
    assert set(fake.reads) == {e.job_id for e in entries}


def test_a_refused_job_list_falls_back_to_reads(fake: FakeList, ticker: Ticker) -> None:
    entries = entries_for(fake, 3, "EXECUTING")
    fake.list_answers.append((403, b"<html><pre>Forbidden</pre></html>"))
    seen = ticker.tick(entries)
    assert ticker.mode == BY_READS
    assert sorted(fake.reads) == ["job000", "job001", "job002"]
    assert phases_seen(seen) == {e.job_id: Phase.EXECUTING for e in entries}


def test_a_job_left_out_while_running_drops_phase_then_after(
    fake: FakeList, ticker: Ticker
) -> None:
    entries = entries_for(fake, 3, "EXECUTING")
    fake.hidden.add("job001")
    ticker.tick(entries)
    assert fake.reads == ["job001"]
    assert ticker.mode == BY_AFTER
    ticker.tick(entries)
    assert "PHASE" not in fake.lists[-1]
    assert fake.reads == ["job001", "job001"]
    assert ticker.mode == BY_READS  # left out with AFTER alone: the list cannot be trusted


def test_no_job_list_without_any_filter(fake: FakeList, ticker: Ticker) -> None:
    fake.add("a1", "EXECUTING")
    ticker.mode = BY_AFTER
    seen = ticker.tick([Entry("a1", Job("a1", Phase.EXECUTING))])  # creation time unknown
    assert fake.lists == []  # the whole list (a guest list: every guest's jobs) is never read
    assert fake.reads == ["a1"]
    assert phases_seen(seen) == {"a1": Phase.EXECUTING}


def test_jobs_in_phase_unknown_are_read_a_few_per_tick(fake: FakeList, ticker: Ticker) -> None:
    entries = entries_for(fake, 10, "UNKNOWN")  # not asked for, so never listed
    for _ in range(3):
        ticker.tick(entries)
    assert ticker.mode == BY_PHASE  # the list is right to leave them out
    assert len(fake.lists) == 3
    assert len(fake.reads) == 12  # 4 per tick, not 10
    assert set(fake.reads) == {e.job_id for e in entries}


def test_transient_list_errors_reach_every_waiter_and_back_off(
    fake: FakeList, ticker: Ticker
) -> None:
    entries = entries_for(fake, 3, "EXECUTING")
    fake.list_answers += [requests.ConnectionError("refused")] * 2
    assert ticker.delay(10.0) <= 11.0  # the interval, +- 10 %
    first = ticker.tick(entries)
    assert [type(item.error) for _, item in first] == [ConnectionFailed] * 3
    ticker.tick(entries)
    assert ticker.delay(10.0) >= 27.0  # 10 s doubled twice, capped at 30 s, -10 % at most
    assert ticker.listing
    seen = ticker.tick(entries)
    assert phases_seen(seen) == {e.job_id: Phase.EXECUTING for e in entries}
    assert ticker.delay(10.0) <= 11.0  # back to the interval
    assert fake.reads == []


def test_bad_job_lists_are_retried_then_given_up(fake: FakeList, ticker: Ticker) -> None:
    entries = entries_for(fake, 2, "EXECUTING")
    truncated = (200, b"<uws:jobs " + NS.encode() + b"><uws:jobref id=")
    fake.list_answers += [truncated] * 3
    assert ticker.tick(entries) == []  # not an answer about any job: nothing delivered
    assert ticker.tick(entries) == []
    assert ticker.mode == BY_PHASE
    seen = ticker.tick(entries)  # the third in a row (WaitPolicy.max_bad_documents)
    assert ticker.mode == BY_READS
    assert phases_seen(seen) == {"job000": Phase.EXECUTING, "job001": Phase.EXECUTING}


# --- waiting -------------------------------------------------------------------------------


def test_wait_returns_the_final_job_and_reports_changes_in_order(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    job = fake.add("a1", "QUEUED", "QUEUED", "EXECUTING", "EXECUTING", "COMPLETED")
    calls: List[Tuple[Phase, str]] = []
    final = watchers().wait(
        job,
        timeout=30,
        on_change=lambda j: calls.append((j.phase, threading.current_thread().name)),
    )
    assert final.phase is Phase.COMPLETED
    assert final.parameters  # the job's document
    here = threading.current_thread().name
    assert calls == [(Phase.QUEUED, here), (Phase.EXECUTING, here), (Phase.COMPLETED, here)]
    assert fake.reads == ["a1"]  # read once, when it left the list


def test_many_waiters_cost_one_list_request_per_tick(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers()
    jobs = [
        fake.add(f"j{i:02d}", "QUEUED", *["EXECUTING"] * (2 + i % 5), "COMPLETED")
        for i in range(25)
    ]
    finals: Dict[str, Job] = {}

    def follow(job: Job) -> None:
        finals[job.job_id] = watcher.wait(job, timeout=60)

    threads = [threading.Thread(target=follow, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert {j.phase for j in finals.values()} == {Phase.COMPLETED}
    assert len(finals) == 25
    assert sorted(fake.reads) == sorted(j.job_id for j in jobs)  # one read per job, ever
    assert len(fake.lists) < 100  # the jobs end within 7 list requests of starting


def test_two_waiters_on_one_job_share_the_requests(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers()
    job = fake.add("a1", "EXECUTING", "EXECUTING", "EXECUTING", "COMPLETED")
    results: List[Job] = []
    other = threading.Thread(target=lambda: results.append(watcher.wait(job, timeout=30)))
    other.start()
    results.append(watcher.wait("a1", timeout=30))
    other.join(30)
    assert [j.phase for j in results] == [Phase.COMPLETED, Phase.COMPLETED]
    assert fake.reads.count("a1") <= 2  # the id alone may need its first read; then shared


def test_wait_by_id_reads_the_job_at_once(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    fake.add("a1", "EXECUTING", "EXECUTING", "COMPLETED")
    calls: List[Phase] = []
    final = watchers(interval=0.2).wait("a1", timeout=30, on_change=lambda j: calls.append(j.phase))
    assert final.phase is Phase.COMPLETED
    assert calls == [Phase.EXECUTING, Phase.COMPLETED]
    assert fake.reads == ["a1", "a1"]  # its first state, then its end


def test_an_ended_job_given_returns_without_a_request(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    done = Job("a1", Phase.ABORTED)
    watcher = watchers()
    assert watcher.wait(done) is done
    assert fake.lists == []
    assert fake.reads == []
    assert not watcher.running


def test_timeout_raises_wait_timeout_with_the_last_job(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    job = fake.add("a1", "QUEUED", "EXECUTING")
    with pytest.raises(WaitTimeout) as caught:
        watchers().wait(job, timeout=0.3)
    assert caught.value.job.phase is Phase.EXECUTING
    assert caught.value.timeout == 0.3
    assert caught.value.__cause__ is None


def test_timeout_zero_gives_the_state_known_now(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers(interval=60)
    running = fake.add("a1", "EXECUTING")
    calls: List[Job] = []
    with pytest.raises(WaitTimeout) as caught:
        watcher.wait(running, timeout=0, on_change=calls.append)
    assert caught.value.job is running
    assert calls == [running]
    done = Job("a2", Phase.COMPLETED)
    assert watcher.wait(done, timeout=0) is done
    with pytest.raises(WaitTimeout, match="could not be read") as never:
        watcher.wait("a3", timeout=0)  # followed by id: nothing read yet
    assert never.value.job.phase is Phase.UNKNOWN
    assert fake.lists == []


def test_a_failing_list_surfaces_as_the_cause_of_the_timeout(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    job = fake.add("a1", "EXECUTING")
    fake.list_answers += [requests.ConnectionError("refused")] * 1000
    with pytest.raises(WaitTimeout) as caught:
        watchers().wait(job, timeout=0.5)
    assert isinstance(caught.value.__cause__, ConnectionFailed)
    assert "last attempt failed" in str(caught.value)
    assert caught.value.job.phase is Phase.EXECUTING


def test_held_and_never_started_jobs_raise(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers(policy=WaitPolicy(pending_grace=0.1))
    with pytest.raises(JobHeld):
        watcher.wait(fake.add("h1", "QUEUED", "HELD"), timeout=30)
    with pytest.raises(JobNotStarted) as caught:
        watcher.wait(fake.add("p1", "PENDING"), timeout=30)
    assert caught.value.job.phase is Phase.PENDING


def test_a_vanished_job_raises_job_not_found(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    job = fake.add("a1", "EXECUTING")
    fake.hidden.add("a1")
    del fake.phases["a1"]  # deleted on the server: left the list, then 404
    with pytest.raises(JobNotFound):
        watchers().wait(job, timeout=30)
    assert fake.reads == ["a1"]


def test_ctrl_c_in_the_waiting_thread_stops_the_watcher_thread(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers()
    job = fake.add("a1", "EXECUTING")
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            watcher.wait(job, timeout=60)
    finally:
        timer.cancel()
    for _ in range(500):  # the thread ends once nothing is followed
        if not watcher.running:
            break
        time.sleep(0.01)
    assert not watcher.running
    ticks = len(fake.lists)
    time.sleep(0.1)
    assert len(fake.lists) == ticks  # and asks nothing more


def test_an_error_in_on_change_ends_that_wait(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers()

    def stop(job: Job) -> None:
        if job.phase is Phase.EXECUTING:
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError):
        watcher.wait(fake.add("a1", "QUEUED", "EXECUTING"), timeout=30, on_change=stop)
    assert watcher.wait(fake.add("a2", "QUEUED", "COMPLETED"), timeout=30).phase is Phase.COMPLETED


def test_close_ends_the_waits_and_the_thread(
    fake: FakeList, watchers: Callable[..., JobWatcher]
) -> None:
    watcher = watchers()
    errors: List[BaseException] = []

    def follow() -> None:
        try:
            watcher.wait(fake.add("a1", "EXECUTING"), timeout=60)
        except UWSError as exc:
            errors.append(exc)

    thread = threading.Thread(target=follow)
    thread.start()
    while not fake.lists:
        time.sleep(0.01)
    watcher.close()
    thread.join(30)
    assert not thread.is_alive()
    assert not watcher.running
    assert [type(e) for e in errors] == [WatcherClosed]
    assert "keeps running on the server" in str(errors[0])
    asked = len(fake.lists) + len(fake.reads)
    with pytest.raises(WatcherClosed, match="closed"):
        watcher.wait(fake.add("a2", "EXECUTING"))
    assert len(fake.lists) + len(fake.reads) == asked


def test_the_watcher_thread_survives_a_bug_in_a_tick(
    fake: FakeList, watchers: Callable[..., JobWatcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = watchers()
    broken = [True]
    original = Client.get_job_list

    def get_job_list(self: Client, *args: Any, **kwargs: Any) -> Any:
        if broken[0]:
            broken[0] = False
            raise RuntimeError("a bug")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Client, "get_job_list", get_job_list)
    with pytest.raises(UWSError, match="a bug") as caught:
        watcher.wait(fake.add("a1", "EXECUTING"), timeout=30)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert watcher.wait(fake.add("a2", "QUEUED", "COMPLETED"), timeout=30).phase is Phase.COMPLETED


@pytest.mark.parametrize(
    ("kwargs", "wait_kwargs"),
    [
        ({"interval": 0}, {}),
        ({"interval": float("nan")}, {}),
        ({"reads_per_tick": 0}, {}),
        ({"reads_per_tick": 2.5}, {}),
        ({"min_interval": 0}, {}),
        ({"min_interval": float("inf")}, {}),
        ({"request_timeout": 0}, {}),
        ({"request_timeout": float("nan")}, {}),
        ({}, {"timeout": -1}),
        ({}, {"timeout": float("inf")}),
        ({}, {"timeout": True}),
        ({}, {"job": "a b"}),
        ({}, {"job": ""}),
    ],
)
def test_local_mistakes_raise_before_any_request(
    fake: FakeList, quiet_client: Client, kwargs: Dict[str, Any], wait_kwargs: Dict[str, Any]
) -> None:
    job: Any = wait_kwargs.pop("job", "a1")
    with pytest.raises(InvalidRequest), JobWatcher(quiet_client, **kwargs) as watcher:
        watcher.wait(job, **wait_kwargs)
    assert fake.lists == []
    assert fake.reads == []


def test_repr_names_the_list_and_no_secret(make_client: Callable[..., Client]) -> None:
    watcher = JobWatcher(make_client(auth=("alice", "s3cret-token")))
    assert "s3cret" not in repr(watcher)
    assert BASE in repr(watcher)
    assert "0 job(s)" in repr(watcher)


def test_max_backoff_is_bounded(ticker: Ticker) -> None:
    ticker.failures = 50
    assert ticker.delay(2.0) <= 33.0
    assert ticker.delay(60.0) <= 66.0  # never below the interval itself
