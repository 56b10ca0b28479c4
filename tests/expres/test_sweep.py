"""Sweeps through the library (run_sweep): concurrency bound, isolation, interruption."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, List

import pytest
import responses

from uws_call_expres import SweepItem, run_sweep
from uws_call_expres.errors import ConfigError
from uws_lite import Phase
from uws_lite.errors import InvalidRequest


def _configs(workdir: Path, count: int) -> List[Path]:
    paths = []
    for n in range(count):
        path = workdir / f"run_{n}.json"
        path.write_bytes((workdir / "example.json").read_bytes())
        paths.append(path)
    return paths


def test_every_config_gets_its_own_job_and_folder(workdir: Path, opus: Any) -> None:
    configs = _configs(workdir, 3)
    items = run_sweep(configs, output_dir=workdir / "out", verbose=False)
    assert [item.config for item in items] == configs
    assert all(isinstance(item, SweepItem) and item.ok for item in items)
    job_ids = [item.job_id for item in items]
    assert len(set(job_ids)) == 3
    for item in items:
        assert item.run is not None
        assert {p.parent for p in item.run.files} == {workdir / "out" / str(item.job_id)}
    assert sorted(j.run_id for j in opus.jobs.values()) == ["run_0", "run_1", "run_2"]


def test_one_failure_does_not_stop_the_others(workdir: Path, opus: Any) -> None:
    opus.create_failures = 1
    items = run_sweep(_configs(workdir, 2), output_dir=workdir, verbose=False, max_parallel=1)
    first, second = items
    assert "Too many jobs" in str(first.error)
    assert first.job_id is None
    assert first.run is None
    assert not first.ok
    assert second.error is None
    assert second.ok


def test_concurrency_is_bounded(workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from uws_lite import JobWatcher  # workers wait through the sweep's watcher

    active = [0]
    peak = [0]
    lock = threading.Lock()
    original = JobWatcher.wait

    def slow_wait(self: Any, job: Any, **kwargs: Any) -> Any:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        try:
            return original(self, job, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(JobWatcher, "wait", slow_wait)
    items = run_sweep(_configs(workdir, 5), output_dir=workdir, verbose=False, max_parallel=2)
    assert all(item.ok for item in items)
    assert 1 <= peak[0] <= 2


def test_local_mistake_in_any_config_stops_before_submitting(
    workdir: Path, rsps: responses.RequestsMock
) -> None:
    configs = _configs(workdir, 2)
    (workdir / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match=r"broken\.json"):
        run_sweep([*configs, workdir / "broken.json"], verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_max_parallel_must_be_positive(workdir: Path, value: Any) -> None:
    with pytest.raises(InvalidRequest):
        run_sweep(_configs(workdir, 1), max_parallel=value)


def test_no_wait_sweep_submits_only(workdir: Path, opus: Any) -> None:
    items = run_sweep(_configs(workdir, 2), LOOP=False, verbose=False)
    assert all(item.run is not None and not item.run.finished for item in items)
    assert all(item.run is not None and item.run.phase is not Phase.COMPLETED for item in items)
    assert not any(p.is_dir() for p in workdir.iterdir())


def test_prefixed_console_lines(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run_sweep(_configs(workdir, 2), output_dir=workdir, max_parallel=1)
    out = capsys.readouterr().out
    assert "[1/2] {'config': 'run_0.json'" in out
    assert "[1/2] Job completed" in out
    assert "[2/2] Job completed" in out


def test_interrupt_prints_reattach_for_running_jobs_and_submits_no_more(
    workdir: Path,
    opus: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from uws_lite import Client

    started = threading.Event()
    release = threading.Event()

    def blocked_wait(self: Any, job_id: str, **kwargs: Any) -> Any:
        started.set()
        release.wait(5)
        raise RuntimeError("released")

    monkeypatch.setattr(Client, "wait", blocked_wait)

    import uws_call_expres.sweep as sweep_module

    real_get = sweep_module.queue.Queue.get

    def interrupting_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") and started.is_set():
            raise KeyboardInterrupt
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(sweep_module.queue.Queue, "get", interrupting_get)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(_configs(workdir, 3), verbose=False, max_parallel=1)
    finally:
        release.set()
        # The worker is still following its job: let it end inside this test (its output
        # and the responses mock belong to it), as a user's process would at exit.
        for thread in threading.enumerate():
            if thread.name == "uws-call-expres-sweep":
                thread.join(10)
    assert len(opus.jobs) == 1  # the other two were never submitted
    (job_id,) = opus.jobs
    err = capsys.readouterr().err
    assert f"attach({job_id!r}" in err
    assert opus.jobs[job_id].phase != "ABORTED"
