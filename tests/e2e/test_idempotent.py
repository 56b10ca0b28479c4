"""Idempotent, complete, scriptable runs against the embedded OPUS over real HTTP (issue 14,
points 8-11): re-attaching or re-running into the same folder duplicates nothing, results
OPUS lists late are saved, a bad output directory sends nothing, --no-wait prints job ids."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List

import pytest

from uws_lite.models import Job, Phase

pytestmark = pytest.mark.e2e

CDF = "expres_io2015-04-30.cdf"


def _xattrs_here(directory: Path) -> bool:
    probe = directory / ".xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")  # type: ignore[attr-defined,unused-ignore]
        return True
    except (AttributeError, OSError):
        return False
    finally:
        probe.unlink()


def _downloads(ws: Any, job_id: str) -> List[str]:
    """The result downloads of a job: its /store files and its logs and provenance."""
    entities = {r.entity_id for r in ws.server.job(job_id).results if r.entity_id}
    return [
        f"{r.path}?{r.query}"
        for r in ws.server.requests
        if r.method == "GET"
        and (
            (r.path == "/store" and r.query.removeprefix("ID=") in entities)
            or (r.path.rsplit("/", 1)[-1] in ("stdout", "stderr", "provjson") and job_id in r.path)
        )
    ]


def test_attaching_again_downloads_and_duplicates_nothing(ws: Any) -> None:
    run = ws.run(ws.config(), LOOP=True)
    assert run.ok
    names = sorted(ws.saved())
    assert names == [CDF, "provjson", "stderr", "stdout"]
    fetched = _downloads(ws, run.job_id)
    assert len(fetched) == 4
    ws.console()
    done = ws.cli("--attach", run.job_id, "-o", str(ws.out), "--no-progress")
    assert done.code == 0, done.err
    assert sorted(ws.saved()) == names  # no stdout-1, provjson-1, ...-1.cdf
    for name in names:
        assert f"{name} is already there (verified" in done.out
    assert "4 result(s) saved in" in done.out
    again = _downloads(ws, run.job_id)[len(fetched) :]
    if _xattrs_here(ws.out):
        assert again == []  # the CDF by SHA-1, the logs by their mark: nothing fetched
    else:  # no marks here: the logs are fetched, compared, and the copies dropped
        assert not any("/store" in url for url in again)
    ws.check_clean()


def test_a_second_run_into_the_same_folder(ws: Any) -> None:
    config = ws.config()
    first = ws.run(config, LOOP=True)
    ws.console()
    second = ws.run(config, LOOP=True)
    assert second.ok
    assert second.job_id != first.job_id
    # the CDF is the same file (same SHA-1): kept, not fetched; the empty stderr is identical
    assert not any("/store" in url for url in _downloads(ws, second.job_id))
    assert ws.out / CDF in second.files
    assert ws.out / "stderr" in second.files
    # this job's own log and provenance differ (they name the job): kept apart, and said
    assert sorted(ws.saved()) == [CDF, "provjson", "provjson-1", "stderr", "stdout", "stdout-1"]
    assert second.job_id in (ws.out / "stdout-1").read_text()
    out = ws.console()
    assert "stdout saved as stdout-1" in out
    assert "provjson saved as provjson-1" in out
    assert f"{CDF} is already there (verified)" in out
    ws.check_clean()


def test_reattach_after_ctrl_c_during_the_downloads_leaves_no_duplicates(ws: Any) -> None:
    ws.config()
    faults = ws.server.faults
    faults.request_filter = r"^GET /store"  # the CDF's download hangs; the logs go through
    faults.slow_response = 1
    # Ctrl-C waits for the hung worker's request to end (ThreadPoolExecutor): keep it short.
    faults.slow_delay = 3.0
    process = ws.popen("example.json", "-o", str(ws.out), "--no-progress")
    done = ws.interrupt(
        process, lambda: all((ws.out / n).exists() for n in ("stdout", "stderr", "provjson"))
    )
    assert done.code == 130, done.err
    assert CDF not in ws.saved()
    (job_id,) = ws.server.jobs
    faults.clear()
    attached = ws.cli("--attach", job_id, "-o", str(ws.out), "--no-progress")
    assert attached.code == 0, attached.err
    assert sorted(ws.saved()) == [CDF, "provjson", "stderr", "stdout"]
    assert "stdout is already there (verified" in attached.out
    ws.check_clean()


def test_results_listed_late_are_saved(ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uws_call_expres.settle as settling

    seen: List[Job] = []
    settle = settling.settle_results

    def spy(client: Any, job: Job, console: Any) -> Job:
        seen.append(job)
        settled = settle(client, job, console)
        seen.append(settled)
        return settled

    monkeypatch.setattr(settling, "settle_results", spy)
    run = ws.run(ws.config(late_results=0.3), LOOP=True)
    assert run.ok
    completed, settled = seen
    assert completed.phase is Phase.COMPLETED
    # what the old code saved: the COMPLETED document did not list the provenance yet
    assert sorted(r.id for r in completed.results) == [CDF, "stderr", "stdout"]
    assert sorted(r.id for r in settled.results) == [CDF, "provjson", "stderr", "stdout"]
    assert "provjson" in ws.saved()
    assert ws.out / "provjson" in run.files
    assert run.job_id in (ws.out / "provjson").read_text()
    ws.check_clean()


def _job_reads_after_the_end(ws: Any, job_id: str) -> int:
    ended = ws.server.job(job_id).entered("COMPLETED")
    path = f"/rest/ExPRES/{job_id}"
    return sum(
        1
        for r in ws.server.requests
        if r.method == "GET" and r.path == path and "WAIT" not in r.query and r.started > ended
    )


def test_a_job_listing_its_provenance_costs_no_extra_read(ws: Any) -> None:
    run = ws.run(ws.config(), LOOP=True)
    assert run.ok
    assert _job_reads_after_the_end(ws, run.job_id) == 0


def test_a_job_without_late_results_costs_at_most_two_reads(ws: Any) -> None:
    run = ws.run(ws.config(provenance=False), LOOP=True)
    assert run.ok
    assert sorted(ws.saved()) == [CDF, "stderr", "stdout"]
    assert _job_reads_after_the_end(ws, run.job_id) <= 2


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_no_wait_prints_only_the_job_id(ws: Any, quiet: List[str]) -> None:
    ws.config()
    done = ws.cli("example.json", "--no-wait", *quiet)
    assert done.code == 0, done.err
    (job_id,) = ws.server.jobs
    assert done.out == f"{job_id}\n"
    assert ("Job : " in done.err) is not bool(quiet)
    ws.check_clean()


def test_no_wait_sweep_prints_one_id_per_line(ws: Any) -> None:
    ws.config("a.json")
    ws.config("b.json")
    done = ws.cli("a.json", "b.json", "--no-wait", "-q", "--max-parallel", "1")
    assert done.code == 0, done.err
    by_run_id = {job.run_id: job_id for job_id, job in ws.server.jobs.items()}
    assert done.out.splitlines() == [by_run_id["a"], by_run_id["b"]]
    ws.check_clean()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_unusable_output_directory_sends_nothing(ws: Any) -> None:
    ws.config()
    (ws.out / "somefile").write_text("x")
    for where in ("/proc/nope/x", str(ws.out / "somefile" / "sub")):
        done = ws.cli("example.json", "-o", where)
        assert done.code == 2, done.err
        assert "--output-dir" in done.err  # the CLI names its option
    assert ws.server.requests == ()  # no POST, no request at all
    ws.check_clean()
