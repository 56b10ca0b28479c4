"""Grids against the local OPUS server: interrupted (Ctrl-C in the process, ``kill -9`` of the
command) after every job was submitted, then run again: exactly one job per point ever
created, every result saved, and a third run that sends no request at all."""

from __future__ import annotations

import _thread
import json
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from uws_call_expres import run_grid
from uws_call_expres.errors import ConfigError

pytestmark = pytest.mark.e2e

AXES: Dict[str, List[Any]] = {"SOURCE[0].ACCEL": [1, 3, 10], "SOURCE[0].WIDTH": [1, 2]}
SETS = ["--set", "SOURCE[0].ACCEL=1,3,10", "--set", "SOURCE[0].WIDTH=1:2:1"]


def _grid(ws: Any, base: Path, axes: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("server", ws.server.rest_url)
    kwargs.setdefault("output_dir", ws.out)
    kwargs.setdefault("progress", False)
    kwargs.setdefault("max_parallel", 6)
    return run_grid(base, AXES if axes is None else axes, **kwargs)


def _creations(ws: Any) -> List[Any]:
    """The job-creation POSTs the server answered (to a job list, not to a job)."""
    return [r for r in ws.server.requests if r.method == "POST" and r.path.count("/") == 2]


def _manifest(ws: Any) -> Dict[str, Any]:
    document: Dict[str, Any] = json.loads((ws.out / "manifest.json").read_text())
    return document


def _cdfs(ws: Any) -> List[str]:
    return sorted(name for name in ws.saved() if name.endswith(".cdf"))


def _join_workers() -> None:
    for thread in threading.enumerate():
        if thread.name == "uws-call-expres-sweep":
            thread.join(30)


def _check_resumed(ws: Any, outcome: Any) -> None:
    assert [p.status for p in outcome.points] == ["completed"] * 6
    assert len(ws.server.jobs) == 6
    assert len(_creations(ws)) == 0  # this run created nothing
    cdfs = _cdfs(ws)
    assert len(cdfs) == 6
    assert {Path(name).parent.name for name in cdfs} == {p.folder.name for p in outcome.points}
    manifest = _manifest(ws)
    assert len(manifest["points"]) == 6
    assert {p["job_id"] for p in manifest["points"]} == set(ws.server.jobs)
    assert {p["phase"] for p in manifest["points"]} == {"COMPLETED"}


def _check_third_run_sends_nothing(ws: Any, outcome: Any) -> None:
    assert [p.status for p in outcome.points] == ["skipped"] * 6
    assert ws.server.requests == ()
    assert len(ws.server.jobs) == 6


def test_grid_interrupted_after_submission_resumes_without_submitting_again(ws: Any) -> None:
    base = ws.config("base.json", duration=2.0)
    submitted: Set[int] = set()
    lock = threading.Lock()

    def on_point(index: int, entry: Dict[str, Any]) -> None:
        with lock:
            if entry.get("job_id") and index not in submitted:
                submitted.add(index)
                if len(submitted) == 6:
                    _thread.interrupt_main()  # Ctrl-C, once every job id is in the manifest

    with pytest.raises(KeyboardInterrupt):
        _grid(ws, base, on_point=on_point, verbose=False)  # the jobs run 2 s: interrupted
    _join_workers()  # they leave their jobs at the next phase change, downloading nothing
    assert len(ws.server.jobs) == 6
    assert len(_creations(ws)) == 6
    assert len({p["job_id"] for p in _manifest(ws)["points"]}) == 6
    assert _cdfs(ws) == []

    ws.server.clear_requests()
    _check_resumed(ws, _grid(ws, base, verbose=False))
    ws.server.clear_requests()
    _check_third_run_sends_nothing(ws, _grid(ws, base, verbose=False))
    ws.check_clean()


def test_grid_killed_after_submission_resumes_from_the_command_line(ws: Any) -> None:
    ws.config("base.json", duration=2.0)
    args = ["--grid", "base.json", *SETS, "-o", str(ws.out), "--max-parallel", "6", "--no-progress"]
    process = ws.popen(*args)
    manifest = ws.out / "manifest.json"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the grid ended before it could be killed"
        assert time.monotonic() < deadline, "the manifest never listed six jobs"
        if manifest.exists():
            # Written atomically: whenever it is read, it is complete JSON.
            points = json.loads(manifest.read_text())["points"]
            if sum(1 for p in points if p["job_id"]) == 6:
                break
        time.sleep(0.02)
    process.kill()  # SIGKILL: no handler runs, nothing is flushed
    process.communicate(timeout=30)
    assert len(ws.server.jobs) == 6
    assert len(_creations(ws)) == 6
    assert _cdfs(ws) == []

    ws.server.clear_requests()
    done = ws.cli(*args)
    assert done.code == 0, done.err
    assert "completed" in done.out
    assert len(ws.server.jobs) == 6
    assert len(_creations(ws)) == 0
    assert len(_cdfs(ws)) == 6
    assert len(_manifest(ws)["points"]) == 6

    ws.server.clear_requests()
    third = ws.cli(*args, "--json")
    assert third.code == 0, third.err
    outcome = json.loads(third.out)
    assert [p["status"] for p in outcome["points"]] == ["skipped"] * 6
    assert outcome["exit_code"] == 0
    # no job created, nothing downloaded: not a single request
    assert not [r for r in ws.server.requests if r.method == "POST"]
    assert not [r for r in ws.server.requests if "/store" in r.path or "results" in r.path]
    assert ws.server.requests == ()
    ws.check_clean()


def test_a_job_created_by_a_failed_creation_is_found_by_its_run_id(ws: Any) -> None:
    base = ws.config("base.json")
    axes = {"SOURCE[0].ACCEL": [1, 3]}
    ws.server.faults.creation_500_orphan = 1  # stores a PENDING job, answers 500
    first = _grid(ws, base, axes, max_parallel=1, verbose=False)
    assert [p.status for p in first.points] == ["error", "completed"]
    assert first.points[0].job_id is None  # the manifest could not know it
    assert len(ws.server.jobs) == 2
    orphan = next(j for j in ws.server.jobs.values() if j.phase == "PENDING")
    assert orphan.run_id == first.points[0].run_id

    second = _grid(ws, base, axes, verbose=False)
    assert [p.status for p in second.points] == ["completed", "skipped"]
    assert second.points[0].job_id == orphan.job_id
    assert len(ws.server.jobs) == 2  # taken over and started, not submitted again
    assert len(_cdfs(ws)) == 2
    ws.check_clean()


def test_failed_points_are_reported_not_submitted_again_unless_asked(ws: Any) -> None:
    base = ws.config("base.json", outcome="COMPLETED")
    axes = {"_test.outcome": ["COMPLETED", "ERROR"]}
    first = _grid(ws, base, axes, verbose=False)
    assert [p.status for p in first.points] == ["completed", "failed"]
    assert first.points[1].phase == "ERROR"
    failed_job = first.points[1].job_id

    ws.server.clear_requests()
    done = ws.cli(
        "--grid", "base.json", "--set", "_test.outcome=COMPLETED,ERROR", "-o", str(ws.out)
    )
    assert done.code == 1, done.err
    assert "not submitted again" in done.out
    assert ws.server.requests == ()

    retried = _grid(ws, base, axes, verbose=False, retry_failed=True)
    assert [p.status for p in retried.points] == ["skipped", "failed"]
    assert retried.points[1].job_id != failed_job
    assert len(ws.server.jobs) == 3
    entry = _manifest(ws)["points"][1]
    assert entry["previous_jobs"] == [failed_job]
    ws.check_clean()


def test_a_damaged_result_is_downloaded_again_without_a_new_job(ws: Any) -> None:
    base = ws.config("base.json")
    axes = {"SOURCE[0].ACCEL": [1, 3]}
    first = _grid(ws, base, axes, verbose=False)
    cdf = next(f for f in first.points[1].files if f.suffix == ".cdf")
    cdf.write_bytes(b"truncated")
    ws.server.clear_requests()
    second = _grid(ws, base, axes, verbose=False)
    assert [p.status for p in second.points] == ["skipped", "completed"]
    assert second.points[1].job_id == first.points[1].job_id
    assert len(_creations(ws)) == 0
    assert len(ws.server.jobs) == 2
    ws.check_clean()  # the CDF is complete again (size and SHA-1)


def test_local_mistakes_are_refused_before_any_request(ws: Any) -> None:
    base = ws.config("base.json")
    for axes, message in (
        ({"SOURCE[7].ACCEL": [1]}, r"SOURCE\[7\]\.ACCEL"),
        ({"SOURCE[0].ACCEL": ["fast"]}, "is a number"),
        ({"OBSERVER.SCTIME": [201504300000]}, "is a string"),
    ):
        with pytest.raises(ConfigError, match=message):
            _grid(ws, base, axes)
    for args in (
        ["--set", "SOURCE[0].ACCEL=1:5:0"],
        ["--set", "SOURCE[0].NOPE=1"],
        ["--set", "SOURCE[0].ACCEL=slow"],
    ):
        done = ws.cli("--grid", "base.json", *args, "-o", str(ws.out))
        assert done.code == 2, done.err
    assert ws.server.requests == ()
    assert not (ws.out / "manifest.json").exists()

    _grid(ws, base, {"SOURCE[0].ACCEL": [1]}, verbose=False)
    ws.server.clear_requests()
    with pytest.raises(ConfigError, match="another grid"):
        _grid(ws, base, {"SOURCE[0].ACCEL": [1, 2]})
    assert ws.server.requests == ()
    ws.check_clean()


def test_ctrl_c_of_the_command_says_how_to_resume(ws: Any) -> None:
    ws.config("base.json", duration=2.0)
    args = ["--grid", "base.json", *SETS, "-o", str(ws.out), "--max-parallel", "6"]
    process = ws.popen(*args, "--no-progress")
    done = ws.interrupt(process, lambda: len(ws.server.jobs) == 6 and _listed(ws) == 6)
    assert done.code == 130, done.err
    assert "Run the same grid command again" in done.err
    assert len(ws.server.jobs) == 6
    resumed = ws.cli(*args, "--no-progress", "--json", "-q")
    assert resumed.code == 0, resumed.err
    assert [p["status"] for p in json.loads(resumed.out)["points"]] == ["completed"] * 6
    assert len(ws.server.jobs) == 6
    ws.check_clean()


def test_no_wait_submits_then_the_next_run_takes_over(ws: Any) -> None:
    base = ws.config("base.json", duration=0.5)
    axes = {"SOURCE[0].WIDTH": [1, 2]}
    first = _grid(ws, base, axes, LOOP=False, verbose=False)
    assert [p.status for p in first.points] == ["submitted"] * 2
    assert all(p.job_id for p in first.points)
    assert _cdfs(ws) == []
    second = _grid(ws, base, axes, verbose=False)
    assert [p.status for p in second.points] == ["completed"] * 2
    assert [p.job_id for p in second.points] == [p.job_id for p in first.points]
    assert len(ws.server.jobs) == 2
    assert len(_cdfs(ws)) == 2
    ws.check_clean()


def _listed(ws: Any) -> int:
    """How many job ids the manifest lists now (0 before it exists)."""
    try:
        return sum(1 for p in _manifest(ws)["points"] if p["job_id"])
    except FileNotFoundError:
        return 0
