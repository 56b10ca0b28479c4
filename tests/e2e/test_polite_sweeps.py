"""Polite sweeps and grids (issue 12): against the local OPUS server that ignores WAIT, a
sweep waits through ONE job watcher (one job-list request per tick for all its jobs, each
job read once when it ends), opens a bounded number of connections whatever its
parallelism, and stops its watcher on Ctrl-C; a grid resumes through the watcher too.
Requests are counted from the server's own log; nothing here asserts a duration."""

from __future__ import annotations

import _thread
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from uws_call_expres import run_grid, run_sweep
from uws_lite.deadline import _WatchedHTTPConnection

pytestmark = pytest.mark.e2e

INTERVAL = 0.5
LIST = "/rest/ExPRES"


@pytest.fixture(autouse=True)
def _interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("uws_call_expres.connections.WATCH_INTERVAL", INTERVAL)


def _configs(ws: Any, count: int, duration: float) -> List[Path]:
    return [ws.config(f"run_{n:02d}.json", duration=duration) for n in range(count)]


def _sweep(ws: Any, configs: List[Path], **kwargs: Any) -> Any:
    kwargs.setdefault("server", ws.server.rest_url)
    kwargs.setdefault("output_dir", ws.out)
    kwargs.setdefault("max_parallel", len(configs))
    kwargs.setdefault("verbose", False)
    return run_sweep(configs, **kwargs)


def _end(ws: Any, job_id: str) -> float:
    snapshot = ws.server.job(job_id)
    ended = [snapshot.entered(p) for p in ("COMPLETED", "ERROR", "ABORTED")]
    when = next(t for t in ended if t is not None)
    return float(when)


def _threads(name: str) -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def _join(name: str) -> None:
    for thread in _threads(name):
        thread.join(30)


def test_a_sweep_costs_one_list_request_per_tick_and_one_read_per_job_end(ws: Any) -> None:
    ws.server.faults.wait_ignored = True
    configs = _configs(ws, 12, 2.0)
    started = time.monotonic()
    items = _sweep(ws, configs)
    elapsed = time.monotonic() - started
    assert [item.ok for item in items] == [True] * 12
    assert len(ws.saved()) >= 12
    asked = ws.server.requests
    assert not [r for r in asked if "WAIT=" in r.query]  # no connection held per job
    lists = [r for r in asked if r.method == "GET" and r.path == LIST]
    assert lists
    assert all("PHASE=EXECUTING" in r.query and "AFTER=" in r.query for r in lists)
    # O(1) per tick, whatever the number of jobs: ticks are at least 0.9 * 0.2 s apart (the
    # watcher's min_interval, while a job is young; then INTERVAL).
    assert len(lists) <= 2 + elapsed / (0.9 * 0.2)
    for item in items:
        job_id = item.job_id
        reads = [r for r in asked if r.method == "GET" and r.path == f"{LIST}/{job_id}"]
        end = _end(ws, job_id)
        # While it ran: only the read that follows its creation. After: its end, read once
        # by the watcher, then the few reads that settle its results (OPUS lists some late).
        assert len([r for r in reads if r.answered < end]) <= 1
        assert [r for r in reads if r.answered >= end]
    ws.check_clean()


def test_a_sweep_opens_a_bounded_number_of_connections(
    ws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uws_call_expres.connections.MAX_CONNECTIONS", 3)
    ws.server.faults.wait_ignored = True
    lock = threading.Lock()
    live: Dict[int, bool] = {}
    peak = [0]
    connect, close = _WatchedHTTPConnection.connect, _WatchedHTTPConnection.close

    def counting_connect(self: Any) -> None:
        connect(self)
        with lock:
            live[id(self)] = True
            peak[0] = max(peak[0], len(live))

    def counting_close(self: Any) -> None:
        with lock:
            live.pop(id(self), None)
        close(self)

    monkeypatch.setattr(_WatchedHTTPConnection, "connect", counting_connect)
    monkeypatch.setattr(_WatchedHTTPConnection, "close", counting_close)
    items = _sweep(ws, _configs(ws, 10, 1.0))
    assert [item.ok for item in items] == [True] * 10
    # Ten jobs created, followed and downloaded at once (each its results 4 at a time),
    # through three connections at most (each job opened its own before).
    assert 1 <= peak[0] <= 3
    ws.check_clean()


def _interrupt_when(condition: Callable[[], bool]) -> threading.Thread:
    def watch() -> None:
        deadline = time.monotonic() + 60
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)
        _thread.interrupt_main()  # Ctrl-C

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_in_a_sweep_stops_the_watcher_and_leaves_the_jobs_running(
    ws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.server.faults.wait_ignored = True
    configs = _configs(ws, 4, 5.0)

    def all_running() -> bool:
        jobs = ws.server.jobs.values()
        return len(jobs) == 4 and all(j.phase == "EXECUTING" for j in jobs)

    trigger = _interrupt_when(all_running)
    with pytest.raises(KeyboardInterrupt):
        _sweep(ws, configs, verbose=True)
    trigger.join(10)
    _join("uws-call-expres-sweep")
    _join("uws-lite-job-watcher")
    assert _threads("uws-call-expres-sweep") == []  # every wait ended at once...
    assert _threads("uws-lite-job-watcher") == []  # ...and the watcher thread with them
    assert len(ws.server.jobs) == 4
    assert {j.phase for j in ws.server.jobs.values()} <= {"EXECUTING", "COMPLETED"}
    out, err = capsys.readouterr()
    ws.captured += [out, err]
    for job_id in ws.server.jobs:  # how to take each job over, once
        assert err.count(f"attach({job_id!r}") == 1
    assert "WatcherClosed" not in out + err  # the closed waits say nothing themselves
    assert ws.saved() == {}  # nothing downloaded after Ctrl-C
    ws.check_clean()


def test_an_interrupted_grid_resumes_through_the_watcher(ws: Any) -> None:
    ws.server.faults.wait_ignored = True
    base = ws.config("base.json", duration=2.0)
    axes = {"SOURCE[0].ACCEL": [1, 3, 10], "SOURCE[0].WIDTH": [1, 2]}
    options: Dict[str, Any] = {
        "server": ws.server.rest_url,
        "output_dir": ws.out,
        "progress": False,
        "max_parallel": 6,
        "verbose": False,
    }
    trigger = _interrupt_when(lambda: len(ws.server.jobs) == 6)
    with pytest.raises(KeyboardInterrupt):
        run_grid(base, axes, **options)
    trigger.join(10)
    _join("uws-call-expres-sweep")
    assert _threads("uws-lite-job-watcher") == []
    jobs = set(ws.server.jobs)
    assert len(jobs) == 6

    ws.server.clear_requests()
    outcome = run_grid(base, axes, **options)
    assert [p.status for p in outcome.points] == ["completed"] * 6
    assert {p.job_id for p in outcome.points} == jobs  # taken over, none submitted again
    asked = ws.server.requests
    assert not [r for r in asked if r.method == "POST" and r.path == LIST]
    assert not [r for r in asked if "WAIT=" in r.query]
    assert [r for r in asked if r.path == LIST and "PHASE=EXECUTING" in r.query]
    ws.check_clean()
