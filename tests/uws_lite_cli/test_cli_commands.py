"""Every command against the fake OPUS-like service: human, --json and --quiet output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

BASE = "https://uws.example.org/rest/ExPRES"


def _jobs(uws: Any, job_type: Any) -> None:
    uws.add(job_type("old001", phase="COMPLETED", run_id="first", creation="2026-11-20T10:00:00"))
    uws.add(job_type("new003", phase="EXECUTING", run_id="third", creation="2026-11-24T08:00:00"))
    uws.add(job_type("mid002", phase="ERROR", run_id=None, creation="2026-11-22T09:30:00"))


# --- list ---------------------------------------------------------------------------------


def test_list_is_an_aligned_table_newest_first(cli: Callable[..., Any], uws: Any) -> None:
    _jobs(uws, uws.job_class)
    run = cli("list")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["JOB", "ID", "PHASE", "RUN", "ID", "CREATED"]
    assert [line.split()[0] for line in lines[1:]] == ["new003", "mid002", "old001"]
    # aligned: every column starts at the same offset on every line
    phase_col = lines[0].index("PHASE")
    assert all(
        line[phase_col:].split()[0] in ("PHASE", "EXECUTING", "ERROR", "COMPLETED")
        for line in lines
    )
    assert "2026-11-24 08:00:00" in lines[1]


def test_list_last_is_applied_to_the_newest(cli: Callable[..., Any], uws: Any) -> None:
    _jobs(uws, uws.job_class)
    run = cli("list", "--last", "2", "--quiet")
    assert run.code == 0, run.err
    assert run.out.split() == ["new003", "mid002"]
    # LAST is not sent: OPUS would answer with the *oldest* n
    assert "LAST" not in uws.requests[-1].url


def test_list_last_without_creation_times_asks_the_server(
    cli: Callable[..., Any], uws: Any
) -> None:
    _jobs(uws, uws.job_class)
    uws.list_times = False  # DaCHS: jobrefs carry no creationTime, nothing to sort by
    run = cli("list", "--last", "2", "--quiet")
    assert run.code == 0, run.err
    assert run.out.split() == ["new003", "mid002"]
    assert uws.requests[-1].url.endswith("?LAST=2")


def test_list_phase_filters_go_to_the_server(cli: Callable[..., Any], uws: Any) -> None:
    _jobs(uws, uws.job_class)
    run = cli("list", "--phase", "error", "--phase", "EXECUTING", "--after", "2026-11-01T00:00:00")
    assert run.code == 0, run.err
    url = uws.requests[-1].url
    assert url.endswith("PHASE=ERROR&PHASE=EXECUTING")  # PHASE last: OPUS needs it
    assert "AFTER=2026-11-01T00%3A00%3A00" in url or "AFTER=2026-11-01T00:00:00" in url
    assert sorted(line.split()[0] for line in run.out.splitlines()[1:]) == ["mid002", "new003"]


def test_list_json(cli: Callable[..., Any], uws: Any) -> None:
    _jobs(uws, uws.job_class)
    run = cli("list", "--json")
    doc = json.loads(run.out)
    assert doc["url"] == BASE
    assert [j["job_id"] for j in doc["jobs"]] == ["new003", "mid002", "old001"]
    assert doc["jobs"][0] == {
        "job_id": "new003",
        "phase": "EXECUTING",
        "run_id": "third",
        "owner_id": None,
        "creation_time": "2026-11-24T08:00:00",
        "href": f"{BASE}/new003",
    }


def test_empty_list(cli: Callable[..., Any], uws: Any) -> None:
    run = cli("list")
    assert run.code == 0
    assert run.out == ""
    assert "No jobs" in run.err
    assert json.loads(cli("list", "--json").out)["jobs"] == []


# --- show ---------------------------------------------------------------------------------


def test_show_summary(cli: Callable[..., Any], job_done: Any) -> None:
    run = cli("show", "2a3490")
    assert run.code == 0, run.err
    text = run.out
    assert "Job           2a3490" in text
    assert "Phase         COMPLETED" in text
    assert "Run ID        myrun" in text
    assert "Max duration  600 s" in text
    assert "branch = master" in text
    assert "expres_test_run_a.cdf" in text
    assert "application/x-cdf" in text


def test_show_json_and_quiet(cli: Callable[..., Any], job_done: Any) -> None:
    doc = json.loads(cli("show", "2a3490", "--json").out)
    assert doc["job_id"] == "2a3490"
    assert doc["phase"] == "COMPLETED"
    assert doc["creation_time"] == "2026-11-24T22:39:01"  # OPUS: naive local time, kept naive
    assert doc["version"] == "1.0"
    assert doc["results"][0]["attributes"]["hash"] == job_done.results[0].sha1
    assert doc["parameters"] == [
        {"id": "branch", "value": "master", "by_reference": False, "is_post": False}
    ]
    assert cli("show", "2a3490", "-q").out == "COMPLETED\n"


def test_show_wait_shows_phase_changes_and_ends_0(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w1", phase="QUEUED", script=["EXECUTING", "COMPLETED"]))
    run = cli("show", "w1", "--wait", "60")
    assert run.code == 0, run.err
    changes = [line.split("  ", 1)[1] for line in run.err.splitlines()]
    assert changes == [
        "job w1: QUEUED",
        "job w1: QUEUED -> EXECUTING",
        "job w1: EXECUTING -> COMPLETED",
    ]
    assert "Phase         COMPLETED" in run.out
    assert f"URL           {BASE}/w1\n" in run.out  # the job's URL, not the last poll's
    assert any("WAIT=" in r.url for r in uws.requests)  # long-polled, not polled


def test_show_wait_quiet_prints_only_the_final_phase(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w1", phase="EXECUTING", script=["COMPLETED"]))
    run = cli("show", "w1", "--wait", "--quiet")
    assert (run.code, run.out, run.err) == (0, "COMPLETED\n", "")


def test_show_wait_error_exits_1(cli: Callable[..., Any], uws: Any) -> None:
    job = uws.add(uws.job_class("w2", phase="EXECUTING", script=["ERROR"]))
    job.error = "config.json: bad JSON at line 3"
    run = cli("show", "w2", "--wait", "--json")
    assert run.code == 1
    assert json.loads(run.out)["phase"] == "ERROR"
    assert "ended in ERROR: config.json: bad JSON at line 3" in run.err
    assert "error w2" in run.err  # says what to do next


def test_show_wait_aborted_exits_1(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w3", phase="QUEUED", script=["ABORTED"]))
    run = cli("show", "w3", "--wait")
    assert run.code == 1
    assert "was aborted" in run.err


def test_show_wait_held_exits_1_and_says_run(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w4", phase="HELD"))
    run = cli("show", "w4", "--wait")
    assert run.code == 1
    assert "run w4" in run.err
    assert len(run.err.strip().splitlines()) == 2  # the phase line, then one error line


def test_show_wait_never_started_exits_1(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uws_lite.wait
    from uws_lite.wait import WaitPolicy

    monkeypatch.setattr(
        uws_lite.wait, "WaitPolicy", lambda: WaitPolicy(pending_grace=0.0, first_delay=0.01)
    )
    uws.add(uws.job_class("w5", phase="PENDING"))
    run = cli("show", "w5", "--wait", "30")
    assert run.code == 1
    assert "Start it with: uws-lite run w5" in run.err


def test_show_wait_timeout_exits_3(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    uws.add(uws.job_class("w6", phase="EXECUTING", script=["EXECUTING"] * 1000))
    run = cli("show", "w6", "--wait", "0.5", "--json")
    assert run.code == 3
    doc = json.loads(run.out)
    assert doc["error"]["type"] == "WaitTimeout"
    assert doc["error"]["job"]["phase"] == "EXECUTING"
    assert "show w6 --wait" in run.err


# --- new, set, duration, destruction --------------------------------------------------------


def test_new_prints_the_id_and_uploads_files(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    config = tmp_path / "example.json"
    config.write_bytes(b'{"SIMU": {"NAME": "demo"}, "text": "\xc3\xa9"}')
    run = cli("new", f"config=@{config}", "runId=demo", "note=@@home")
    assert run.code == 0, run.err
    job_id = run.out.strip()
    job = uws.jobs[job_id]
    assert job.uploads == {"config": ("example.json", config.read_bytes())}  # base name only
    assert job.run_id == "demo"
    assert job.parameters["note"] == "@home"
    assert job.phase == "PENDING"
    assert f"run {job_id}" in run.err


def test_new_run_json(cli: Callable[..., Any], uws: Any) -> None:
    run = cli("new", "--run", "runId=r", "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["phase"] == "QUEUED"
    assert uws.jobs[doc["job_id"]].phase == "QUEUED"
    posts = [r.url for r in uws.requests if r.method == "POST"]
    assert posts == [BASE, f"{BASE}/{doc['job_id']}/phase"]


def test_new_quiet_prints_only_the_id(cli: Callable[..., Any], uws: Any) -> None:
    run = cli("-q", "new", "runId=x")
    assert run.code == 0
    assert run.out.strip() in uws.jobs
    assert run.err == ""


def test_set_falls_back_to_opus_per_parameter_route(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("p1", parameters={"branch": "master"}))
    uws.parameter_list_route = False  # OPUS: no POST <job>/parameters
    run = cli("set", "p1", "branch=develop", "note=@@x")
    assert run.code == 0, run.err
    assert uws.jobs["p1"].parameters == {"branch": "develop", "note": "@x"}
    assert run.out.splitlines() == ["branch = develop", "note = @x"]


def test_set_uses_the_standard_route_when_there(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("p2"))
    run = cli("set", "p2", "a=1", "--json")
    assert run.code == 0, run.err
    assert uws.jobs["p2"].parameters == {"a": "1"}
    assert [r.url for r in uws.requests if r.method == "POST"] == [f"{BASE}/p2/parameters"]
    assert json.loads(run.out)["parameters"] == [
        {"id": "a", "value": "1", "by_reference": False, "is_post": False}
    ]


def test_set_on_a_running_job_is_a_server_error(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("p3", phase="EXECUTING"))
    run = cli("set", "p3", "a=1")
    assert run.code == 4
    assert "p3 is not PENDING" in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_duration(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("d1"))
    run = cli("duration", "d1", "1200")
    assert run.code == 0, run.err
    assert uws.jobs["d1"].duration == 1200
    assert run.out.strip() == "Job d1: execution duration 1200 s"
    doc = json.loads(cli("duration", "d1", "0", "--json").out)
    assert doc == {"job_id": "d1", "execution_duration": 0}


def test_destruction(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("d2"))
    run = cli("destruction", "d2", "2026-12-31T12:00:00")
    assert run.code == 0, run.err
    assert uws.jobs["d2"].destruction == "2026-12-31T12:00:00"
    assert run.out.strip() == "Job d2: destruction 2026-12-31 12:00:00"
    doc = json.loads(cli("destruction", "d2", "2027-01-01T00:00:00", "--json").out)
    assert doc == {"job_id": "d2", "destruction": "2027-01-01T00:00:00"}


# --- run, abort, delete -----------------------------------------------------------------------


def test_run_and_abort(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("r1"))
    run = cli("run", "r1")
    assert (run.code, run.out.strip()) == (0, "Started job r1 (QUEUED)")
    run = cli("abort", "r1", "--json")
    assert run.code == 0
    assert json.loads(run.out)["phase"] == "ABORTED"
    assert cli("run", "r1", "-q").out == ""


def test_run_twice_is_a_server_error_with_a_hint(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("r2", phase="EXECUTING"))
    run = cli("run", "r2")
    assert run.code == 4
    line = run.err.strip()
    assert "Cannot change phase to RUN from EXECUTING" in line
    assert line.startswith("uws-lite: POST ")
    assert "\n" not in line


def test_delete(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("x1"))
    run = cli("delete", "x1")
    assert (run.code, run.out.strip()) == (0, "Deleted job x1")
    assert "x1" not in uws.jobs
    # the 303 to the job list is not followed
    assert [r.method for r in uws.requests] == ["DELETE"]
    uws.add(uws.job_class("x2"))
    assert json.loads(cli("delete", "x2", "--json").out) == {"job_id": "x2", "deleted": True}


# --- results, error ---------------------------------------------------------------------------


def test_results_table_json_quiet(cli: Callable[..., Any], job_done: Any) -> None:
    run = cli("results", "2a3490")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["RESULT", "ID", "MIME", "TYPE", "SIZE", "HREF"]
    assert lines[1].split()[:2] == ["expres_test_run_a.cdf", "application/x-cdf"]
    assert lines[2].split()[:4] == ["stdout", "text/plain", "15", "B"]
    doc = json.loads(cli("results", "2a3490", "--json").out)
    assert [r["id"] for r in doc["results"]] == ["expres_test_run_a.cdf", "stdout"]
    assert doc["results"][1]["size"] == 15
    assert cli("results", "2a3490", "-q").out.split() == ["expres_test_run_a.cdf", "stdout"]


def test_error_of_a_failed_job(cli: Callable[..., Any], uws: Any) -> None:
    job = uws.add(uws.job_class("e1", phase="ERROR"))
    job.error = "ExPRES failed"
    job.error_detail = "Traceback: KeyError 'SIMU'\nin expres.py line 10"
    run = cli("error", "e1")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "Job e1: ERROR",
        "Summary: ExPRES failed",
        "Detail:",
        "  Traceback: KeyError 'SIMU'",
        "  in expres.py line 10",
    ]
    doc = json.loads(cli("error", "e1", "--json").out)
    assert doc["error_summary"]["message"] == "ExPRES failed"
    assert doc["detail"].startswith("Traceback")
    assert cli("error", "e1", "-q").out.strip() == "ExPRES failed"


def test_error_of_a_job_without_error(cli: Callable[..., Any], job_done: Any) -> None:
    run = cli("error", "2a3490")
    assert (run.code, run.out.strip()) == (0, "Job 2a3490 (COMPLETED) has no error.")
    doc = json.loads(cli("error", "2a3490", "--json").out)
    assert doc["error_summary"] is None
    assert doc["detail"] is None


def test_error_detail_from_an_html_page_is_reduced(cli: Callable[..., Any], uws: Any) -> None:
    job = uws.add(uws.job_class("e2", phase="ERROR"))
    job.error = "failed"
    job.error_detail = "<html><body><pre>Out of memory\x1b[31m</pre></body></html>"
    uws.error_content_type = "text/html"
    run = cli("error", "e2")
    assert "Out of memory" in run.out
    assert "<pre>" not in run.out
    assert "\x1b" not in run.out  # no terminal escapes from the server
    assert "Out of memory\\x1b[31m" in run.out  # shown escaped (uws_lite.text.for_terminal)


def test_unknown_job_exits_4_with_a_hint(cli: Callable[..., Any], uws: Any) -> None:
    for command in (["show", "nope"], ["run", "nope"], ["delete", "nope"], ["results", "nope"]):
        run = cli(*command)
        assert run.code == 4, command
        line = run.err.strip()
        assert "\n" not in line
        assert "list" in line  # see the existing jobs with: ... list
        assert "Traceback" not in line
