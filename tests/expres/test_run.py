"""The function end to end against the fake OPUS service: submission, waiting, outcome."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import responses

from uws_call_expres import ExpresRun, attach, uws_call_expres
from uws_call_expres.errors import OutputError
from uws_call_expres.outcome import ResultsIncomplete
from uws_lite import Phase, WaitTimeout
from uws_lite.errors import JobNotFound, ServerError


def _creation(rsps: responses.RequestsMock) -> Any:
    (request,) = [
        c.request
        for c in rsps.calls
        if c.request.method == "POST" and c.request.url.rstrip("/").endswith("/rest/ExPRES")
    ]
    return request


def test_loop_false_returns_once_started(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uws_call_expres(FILE="example.json")
    assert isinstance(run, ExpresRun)
    assert run.job_id in opus.jobs
    assert run.phase in (Phase.QUEUED, Phase.EXECUTING)
    assert not run.finished
    assert run.ok
    assert run.files == ()
    out = capsys.readouterr().out
    assert f"Job : {run.job_id}" in out
    assert "Downloading" not in out
    # submitted, then started explicitly with PHASE=RUN on <job>/phase
    phases = [c.request for c in rsps.calls if c.request.url.endswith("/phase")]
    assert [p.body for p in phases] == ["PHASE=RUN"]


def test_multipart_wire_format(workdir: Path, opus: Any, rsps: responses.RequestsMock) -> None:
    eph = workdir / "ephem" / "juice.txt"
    eph.parent.mkdir()
    eph.write_bytes(b"State Vector Results\n\xe2\x9c\x93\n")
    uws_call_expres(
        str(workdir / "example.json"), str(eph), runID="io", executionDuration=300, verbose=False
    )
    request = _creation(rsps)
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    form = SimpleNamespace(**{k: v for k, v in _form(request).items()})
    assert form.config == ("example.json", (workdir / "example.json").read_bytes())
    assert form.ephemeride == ("juice.txt", eph.read_bytes())
    assert form.runId == (None, b"io")
    assert form.branch == (None, b"master")
    assert form.executionDuration == (None, b"300")
    # no local path leaves the machine
    assert str(workdir).encode() not in request.body


def _form(request: Any) -> Any:
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode() + request.body
    )
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_param("filename", header="content-disposition"),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


def test_loop_true_downloads_every_result_verified(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = workdir / "out"
    run = uws_call_expres("example.json", LOOP=True, output_dir=out_dir)
    assert run.ok
    assert run.phase is Phase.COMPLETED
    assert [r.id for r in run.results] == ["expres_run.cdf", "stdout"]
    assert run.files == (out_dir / "expres_run.cdf", out_dir / "stdout")
    for result, path in zip(opus.results, run.files):
        assert path.read_bytes() == result.content
    assert sorted(p.name for p in out_dir.iterdir()) == ["expres_run.cdf", "stdout"]  # no .part
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "{'config': 'example.json', 'runId': 'test_job', 'branch': 'master'}"
    assert f"Job : {run.job_id}" in lines
    assert "Job completed" in lines
    assert "Downloading expres_run.cdf" in lines
    assert "Downloading stdout" in lines


def test_expres_run_value(workdir: Path, opus: Any) -> None:
    run = uws_call_expres("example.json", LOOP=True, runID="r1", verbose=False)
    assert run.job_url == f"{opus.host}/rest/ExPRES/{run.job_id}"
    assert run.job_list == "ExPRES"
    assert run.branch == "master"
    assert run.run_id == "r1"
    assert run.login is None
    assert run.error_summary is None
    assert run.error_detail is None
    assert run.warnings == ()
    with pytest.raises(AttributeError):
        run.ok = False  # type: ignore[misc]
    document = run.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["phase"] == "COMPLETED"
    assert document["files"] == [str(workdir / "expres_run.cdf"), str(workdir / "stdout")]
    assert document["results"][0]["sha1"] == hashlib.sha1(opus.results[0].content).hexdigest()  # noqa: S324


def test_failed_job_downloads_logs_reports_and_does_not_raise(
    workdir: Path, opus: Any, kit: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED", "EXECUTING", "ERROR"]
    opus.results = [kit.FakeResult("stdout", b"log\n"), kit.FakeResult("stderr", b"IDL crash\n")]
    opus.error_summary = "Error in ExPRES run"
    opus.error_text = "IDL: % Attempt to subscript OBSERVER with <INT (1)> is out of range."
    run = uws_call_expres("example.json", LOOP=True)
    assert not run.ok
    assert run.phase is Phase.ERROR
    assert run.error_summary is not None
    assert run.error_summary.message == "Error in ExPRES run"
    assert run.error_detail == opus.error_text
    assert [p.name for p in run.files] == ["stdout", "stderr"]
    assert (workdir / "stderr").read_bytes() == b"IDL crash\n"
    out = capsys.readouterr().out
    assert "Job failed" in out
    assert "Error summary: Error in ExPRES run" in out
    assert "out of range" in out


def test_aborted_job_with_missing_logs_is_reported_not_raised(
    workdir: Path, opus: Any, kit: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED", "ABORTED"]
    opus.results = [kit.FakeResult("stdout", b"", status=404)]
    run = uws_call_expres("example.json", LOOP=True)
    assert run.phase is Phase.ABORTED
    assert not run.ok
    assert run.files == ()
    captured = capsys.readouterr()
    assert "Job failed" in captured.out
    assert "stdout was not saved" in captured.err


def test_completed_job_with_a_broken_result_raises_results_incomplete(
    workdir: Path, opus: Any, kit: SimpleNamespace
) -> None:
    opus.results = [kit.FakeResult("a.cdf", b"data"), kit.FakeResult("b.cdf", b"", status=500)]
    with pytest.raises(ResultsIncomplete) as info:
        uws_call_expres("example.json", LOOP=True, verbose=False)
    assert info.value.run.files == (workdir / "a.cdf",)
    assert not info.value.run.ok
    assert [rid for rid, _ in info.value.failures] == ["b.cdf"]
    assert "attach(" in str(info.value)


def test_overwrite_never_refuses_before_downloading(workdir: Path, opus: Any) -> None:
    (workdir / "stdout").write_text("mine")
    with pytest.raises(OutputError, match="stdout"):
        uws_call_expres("example.json", LOOP=True, verbose=False, overwrite="never")
    assert (workdir / "stdout").read_text() == "mine"
    assert not (workdir / "expres_run.cdf").exists()


def test_overwrite_always_replaces_outputs_but_not_inputs(
    workdir: Path, opus: Any, kit: SimpleNamespace
) -> None:
    opus.results = [kit.FakeResult("stdout", b"new"), kit.FakeResult("example.json", b"evil")]
    (workdir / "stdout").write_text("old")
    config = (workdir / "example.json").read_bytes()
    run = uws_call_expres("example.json", LOOP=True, verbose=False, overwrite="always")
    assert (workdir / "stdout").read_bytes() == b"new"
    assert (workdir / "example.json").read_bytes() == config
    assert run.files == (workdir / "stdout", workdir / "example-1.json")


def test_wait_timeout_raises_with_last_state_and_reattach_hint(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED"] + ["EXECUTING"] * 1000
    with pytest.raises(WaitTimeout) as info:
        uws_call_expres("example.json", LOOP=True, timeout=0.3, verbose=False)
    assert info.value.job.phase is Phase.EXECUTING
    err = capsys.readouterr().err
    assert f"attach({info.value.job.job_id!r})" in err
    assert "keeps running" in err


def test_ctrl_c_while_waiting_prints_reattach_and_does_not_abort(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from uws_lite import Client

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Client, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        uws_call_expres(
            "example.json", LOOP=True, LOGIN="jdoe", TOKEN="sekrit-token", Job_List="ExPRES-dev"
        )
    (job,) = opus.jobs.values()
    assert job.phase != "ABORTED"
    err = capsys.readouterr().err
    assert f"attach({job.job_id!r}, LOGIN='jdoe', Job_List='ExPRES-dev')" in err
    assert "sekrit-token" not in err


def test_attach_waits_and_downloads(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    first = uws_call_expres("example.json", verbose=False)
    capsys.readouterr()
    run = attach(first.job_id, output_dir=workdir / "again")
    assert run.ok
    assert run.job_id == first.job_id
    assert run.run_id == "test_job"
    assert [p.name for p in run.files] == ["expres_run.cdf", "stdout"]
    assert all(p.parent == workdir / "again" for p in run.files)
    out = capsys.readouterr().out
    assert f"Job : {first.job_id}" in out
    assert "Job completed" in out


def test_attach_unknown_job(workdir: Path, opus: Any) -> None:
    with pytest.raises(JobNotFound):
        attach("ffffff", verbose=False)


@pytest.mark.parametrize("job_id", ["../x", "", "a/b", "..", "a b"])
def test_attach_refuses_a_bad_job_id_locally(
    workdir: Path, rsps: responses.RequestsMock, job_id: str
) -> None:
    with pytest.raises(ValueError):
        attach(job_id)
    assert len(rsps.calls) == 0


def test_server_error_on_creation_is_raised(workdir: Path, opus: Any) -> None:
    opus.create_status = 500
    with pytest.raises(ServerError):
        uws_call_expres("example.json", verbose=False)


def test_authenticated_run_sends_basic_auth(workdir: Path, opus: Any, rsps: Any) -> None:
    run = uws_call_expres("example.json", LOOP=True, LOGIN="jdoe", TOKEN="tok", verbose=False)
    assert run.login == "jdoe"
    expected = "Basic " + base64.b64encode(b"jdoe:tok").decode()
    api = [c.request for c in rsps.calls if "/rest/" in c.request.url]
    assert api
    assert all(r.headers.get("Authorization") == expected for r in api)
    assert opus.jobs[run.job_id].owner == "jdoe"


def test_token_from_environment(workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", "envtok")
    run = uws_call_expres("example.json", LOGIN="jdoe", branch="develop", verbose=False)
    assert run.job_list == "ExPRES-dev"
    assert run.branch == "develop"


def test_quiet_prints_nothing(
    workdir: Path, opus: Any, kit: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED", "ERROR"]
    run = uws_call_expres(kit.CONFIG_A, LOOP=True, verbose=False, Job_List="other")
    assert not run.ok
    assert len(run.warnings) == 2  # guest job list ignored, ephemeris named but not given
    assert capsys.readouterr() == ("", "")


def test_messages_also_go_to_the_logger(
    workdir: Path, opus: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="uws_call_expres")
    run = uws_call_expres("example.json", LOOP=True, verbose=False)
    messages = [r.getMessage() for r in caplog.records if r.name == "uws_call_expres"]
    assert f"Job : {run.job_id}" in messages
    assert "Job completed" in messages


def test_refused_creation_hints_at_credentials_without_the_token(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.create_status = 500
    with pytest.raises(ServerError):
        uws_call_expres("example.json", LOGIN="jdoe", TOKEN="sekrit-token")
    err = capsys.readouterr().err
    assert "as jdoe with the token from TOKEN argument" in err
    assert "sekrit-token" not in err


def test_ctrl_c_while_submitting_says_how_to_find_the_job(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from uws_lite import Client

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Client, "new_job", interrupted)
    with pytest.raises(KeyboardInterrupt):
        uws_call_expres("example.json", verbose=False, LOGIN="jdoe", TOKEN="sekrit-token")
    err = capsys.readouterr().err
    assert "python -m uws_call_expres --list --login jdoe" in err
    assert "sekrit-token" not in err
