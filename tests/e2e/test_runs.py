"""The runs a user makes: guest, authenticated on develop, with an ephemeris, LOOP=False then
re-attach, a failing job, an abort, a sweep — through the function and the command line."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from uws_lite.models import Phase
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

pytestmark = pytest.mark.e2e


def test_guest_run_with_the_documented_call(ws: Any) -> None:
    config = ws.config()
    run = ws.run(FILE=str(config), LOOP=True)
    assert run.ok
    assert run.phase is Phase.COMPLETED
    assert (run.job_list, run.branch, run.run_id) == ("ExPRES", "master", "test_job")
    job = ws.server.job(run.job_id)
    assert job.owner == "anonymous"
    assert job.uploads["config"].filename == "example.json"
    assert job.uploads["config"].content == config.read_bytes()
    assert job.param("runId") == "test_job"
    assert job.param("branch") == "master"
    assert sorted(ws.saved()) == [
        "expres_io2015-04-30.cdf",
        "provjson",
        "stderr",
        "stdout",
    ]
    assert sorted(p.name for p in run.files) == sorted(ws.saved())
    console = ws.console()
    for line in (f"Job : {run.job_id}", "Job completed", "Downloading expres_io2015-04-30.cdf"):
        assert line in console
    # every request was a guest's: no Authorization header at all
    assert all(r.authorization is None for r in ws.server.requests)
    ws.check_clean()


def test_guest_run_from_the_command_line(ws: Any) -> None:
    ws.config()
    done = ws.cli("example.json", "-o", str(ws.out), "--no-progress")
    assert done.code == 0, done.err
    assert "Job completed" in done.out
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_authenticated_run_on_develop(ws: Any, alice: Dict[str, str]) -> None:
    config = ws.config()
    run = ws.run(config, LOOP=True, branch="develop", **alice)
    assert run.ok
    assert (run.job_list, run.branch, run.login) == ("ExPRES-dev", "develop", TEST_USER)
    job = ws.server.job(run.job_id)
    assert (job.list_name, job.owner, job.param("branch")) == ("ExPRES-dev", TEST_USER, "develop")
    assert all(r.authorization is not None for r in ws.server.requests)
    assert TEST_TOKEN not in repr(run)
    assert TEST_TOKEN not in json.dumps(run.to_dict())
    ws.check_clean()


def test_authenticated_run_from_the_command_line(ws: Any) -> None:
    ws.config()
    done = ws.cli(
        "example.json",
        "--login",
        TEST_USER,
        "--branch",
        "develop",
        "--json",
        "-o",
        str(ws.out),
        "--debug",
        token=TEST_TOKEN,
    )
    assert done.code == 0, done.err
    outcome = json.loads(done.out)
    (run,) = outcome["runs"]
    assert (run["job_list"], run["branch"], run["phase"]) == ("ExPRES-dev", "develop", "COMPLETED")
    assert ws.server.job(run["job_id"]).owner == TEST_USER
    ws.check_clean()


def test_wrong_token_is_a_clear_error(ws: Any) -> None:
    ws.config()
    done = ws.cli("example.json", "--login", TEST_USER, "-o", str(ws.out), token="wrong-token")
    assert done.code == 4
    assert "wrong-token" not in done.text
    assert ws.saved() == {}
    ws.check_clean()


def test_ephemeris_upload(ws: Any) -> None:
    ephemeris = ws.ephemeris("juice_ephem.txt")
    config = ws.config(ephem="juice_ephem.txt")
    run = ws.run(config, str(ephemeris), LOOP=True)
    assert run.ok
    upload = ws.server.job(run.job_id).uploads["ephemeride"]
    assert (upload.filename, upload.content) == ("juice_ephem.txt", ephemeris.read_bytes())
    ws.check_clean()


def test_ephemeris_named_differently_warns_and_the_run_fails(ws: Any) -> None:
    ephemeris = ws.ephemeris("juice_ephem.txt")
    config = ws.config(ephem="/data/juice.txt")
    run = ws.run(config, ephemeris, LOOP=True)
    assert not run.ok
    assert run.phase is Phase.ERROR
    assert "OBSERVER.EPHEM" in " ".join(run.warnings)
    ws.check_clean()


def test_loop_false_then_reattach(ws: Any) -> None:
    from uws_call_expres import attach

    config = ws.config(duration=1.0)
    started = ws.run(config, LOOP=False)
    assert started.ok
    assert started.phase in (Phase.QUEUED, Phase.EXECUTING)
    assert ws.saved() == {}
    run = attach(started.job_id, server=ws.server.rest_url, output_dir=ws.out, progress=False)
    assert run.ok
    assert run.phase is Phase.COMPLETED
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_no_wait_then_attach_from_the_command_line(ws: Any) -> None:
    ws.config(duration=1.0)
    submitted = ws.cli("example.json", "--no-wait", "--json")
    assert submitted.code == 0, submitted.err
    job_id = json.loads(submitted.out)["runs"][0]["job_id"]
    attached = ws.cli("--attach", job_id, "-o", str(ws.out), "--no-progress")
    assert attached.code == 0, attached.err
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_failing_job_downloads_its_logs_and_exits_1(ws: Any) -> None:
    ws.config(outcome="ERROR", error="ExPRES: no source is ON")
    done = ws.cli("example.json", "-o", str(ws.out), "--no-progress")
    assert done.code == 1, done.err
    assert "Job failed" in done.out
    assert "ExPRES: no source is ON" in done.text
    assert sorted(ws.saved()) == ["stderr", "stdout"]
    assert "ExPRES: no source is ON" in ws.saved()["stderr"].read_text()
    ws.check_clean()


def test_failing_job_through_the_function_is_not_an_exception(ws: Any) -> None:
    run = ws.run(ws.config(outcome="ERROR", error="bad frequency range"), LOOP=True)
    assert not run.ok
    assert run.phase is Phase.ERROR
    assert run.error_summary is not None
    assert run.error_summary.message == "bad frequency range"
    assert sorted(p.name for p in run.files) == ["stderr", "stdout"]
    ws.check_clean()


def test_abort_from_the_command_line(ws: Any) -> None:
    ws.config(duration=60)
    submitted = ws.cli("example.json", "--no-wait", "--json")
    job_id = json.loads(submitted.out)["runs"][0]["job_id"]
    aborted = ws.cli("--abort", job_id)
    assert aborted.code == 0, aborted.err
    assert ws.server.job(job_id).phase == "ABORTED"
    attached = ws.cli("--attach", job_id, "-o", str(ws.out), "--no-progress")
    assert attached.code == 1
    ws.check_clean()


def test_run_killed_over_its_execution_duration(ws: Any) -> None:
    run = ws.run(ws.config(duration=30), LOOP=True, executionDuration=1)
    assert not run.ok
    assert run.phase is Phase.ABORTED
    assert ws.server.job(run.job_id).execution_duration == "1"
    ws.check_clean()


def test_sweep_of_several_configs(ws: Any) -> None:
    for name in ("run_a.json", "run_b.json", "run_c.json"):
        ws.config(name, cdf_name=f"{name[:-5]}.cdf")
    ws.config("run_bad.json", outcome="ERROR")
    done = ws.cli(
        "run_a.json",
        "run_b.json",
        "run_c.json",
        "run_bad.json",
        "--max-parallel",
        "2",
        "-o",
        str(ws.out),
        "--json",
        "--no-progress",
    )
    assert done.code == 1, done.err  # one job failed
    runs = json.loads(done.out)["runs"]
    assert len(runs) == 4
    by_config = {run["config"]: run for run in runs}
    for name in ("run_a", "run_b", "run_c"):
        run = by_config[f"{name}.json"]
        assert run["phase"] == "COMPLETED"
        # each job's results in its own sub-directory
        assert f"{run['job_id']}/{name}.cdf" in ws.saved()
    assert by_config["run_bad.json"]["phase"] == "ERROR"
    assert len({run["job_id"] for run in runs}) == 4
    ws.check_clean()
