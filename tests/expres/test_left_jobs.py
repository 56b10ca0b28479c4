"""A run that fails after its job exists names the job, says how to re-attach (never with the
token) and leaves the job alone; a creation that fails with 5xx says a job may exist anyway.

Against the fake OPUS service of conftest.py, and for :meth:`uws_lite.Client.new_job` itself
against fixed ``responses`` answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import responses

from uws_call_expres import uws_call_expres
from uws_call_expres.cli import main
from uws_call_expres.submit import created_job_id
from uws_call_expres.sweep import run_sweep
from uws_lite import Client
from uws_lite.errors import (
    ConnectionFailed,
    ForbiddenError,
    ParseError,
    RequestTimeout,
    ServerError,
    UWSError,
)

HOST = "https://voparis-uws-maser.obspm.fr"
LIST = f"{HOST}/rest/ExPRES"
SECRET = "sekrit-token"
OPUS_500 = "<html><body><pre>Internal error</pre></body></html>"


def _only_job(opus: Any) -> Any:
    (job,) = opus.jobs.values()
    return job


def _truncate_first_document(opus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first GET of the job (right after its creation) answers half a document."""
    real = opus.document
    calls = []

    def document(job: Any) -> str:
        calls.append(job.job_id)
        text: str = real(job)
        return text[: len(text) // 2] if len(calls) == 1 else text

    monkeypatch.setattr(opus, "document", document)


# --- Client.new_job names the job it created -------------------------------------------------


@pytest.mark.parametrize("run", [True, False])
def test_new_job_names_the_created_job_when_the_get_fails(run: bool) -> None:
    with responses.RequestsMock() as mock:
        mock.add("POST", LIST, status=303, headers={"Location": f"{LIST}/2a3490"})
        if run:
            mock.add("POST", f"{LIST}/2a3490/phase", status=303, headers={"Location": LIST})
        mock.add("GET", f"{LIST}/2a3490", status=500, body=OPUS_500, content_type="text/html")
        with Client(LIST, retries=0) as client, pytest.raises(ServerError) as info:
            client.new_job({"runId": "x"}, run=run)
        assert created_job_id(info.value) == "2a3490"
        assert info.value.job_url == f"{LIST}/2a3490"
        # later calls use the creation's Location
        assert client.job_url("2a3490") == f"{LIST}/2a3490"


def test_new_job_names_the_created_job_when_run_fails() -> None:
    with responses.RequestsMock() as mock:
        mock.add("POST", LIST, status=303, headers={"Location": "ExPRES/5f1c0e/"})
        mock.add("POST", f"{HOST}/rest/ExPRES/5f1c0e/phase", body=ConnectionFailed("reset", "u"))
        with Client(LIST, retries=0) as client, pytest.raises(UWSError) as info:
            client.new_job({"runId": "x"}, run=True)
    assert created_job_id(info.value) == "5f1c0e"


def test_new_job_names_no_job_when_the_creation_itself_fails() -> None:
    with responses.RequestsMock() as mock:
        mock.add("POST", LIST, status=500, body=OPUS_500, content_type="text/html")
        with Client(LIST) as client, pytest.raises(ServerError) as info:
            client.new_job({"runId": "x"}, run=True)
    assert created_job_id(info.value) is None
    assert info.value.job_url is None


def test_new_job_credentials_in_the_location_are_not_shown() -> None:
    location = "https://user:pw@voparis-uws-maser.obspm.fr/rest/ExPRES/2a3490"
    with responses.RequestsMock() as mock:
        mock.add("POST", LIST, status=303, headers={"Location": location})
        mock.add("GET", location, status=500, body=OPUS_500, content_type="text/html")
        with Client(LIST, retries=0) as client, pytest.raises(ServerError) as info:
            client.new_job({"runId": "x"})
    assert info.value.job_url == f"{LIST}/2a3490"


# --- the job exists: its id and the re-attach command ------------------------------------------


def test_failing_first_get_still_prints_the_job_and_how_to_reattach(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _truncate_first_document(opus, monkeypatch)
    with pytest.raises(ParseError):
        uws_call_expres("example.json", LOOP=True, LOGIN="jdoe", TOKEN=SECRET)
    job = _only_job(opus)
    out, err = capsys.readouterr()
    assert f"Job : {job.job_id}" in out
    assert f"attach({job.job_id!r}, LOGIN='jdoe')" in err
    assert f"python -m uws_call_expres --delete {job.job_id} --login jdoe" in err
    assert job.phase != "ABORTED"
    assert SECRET not in out + err


def test_quiet_run_still_prints_how_to_reattach(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _truncate_first_document(opus, monkeypatch)
    with pytest.raises(ParseError):
        uws_call_expres("example.json", LOOP=True, verbose=False)
    out, err = capsys.readouterr()
    assert out == ""
    assert f"attach({_only_job(opus).job_id!r}" in err


@pytest.mark.parametrize(
    "error",
    [
        ServerError("GET ... failed: HTTP 500.", url=LIST, status=500),
        ConnectionFailed("GET ...: the connection broke.", LIST),
        ForbiddenError("GET ... failed: HTTP 403.", url=LIST, status=403),
        ParseError("the <uws:job> document is not well-formed XML", url=LIST),
    ],
)
def test_any_error_while_waiting_prints_reattach_and_does_not_abort(
    workdir: Path,
    opus: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(Client, "wait", failing)
    with pytest.raises(type(error)):
        uws_call_expres(
            "example.json", LOOP=True, LOGIN="jdoe", TOKEN=SECRET, Job_List="ExPRES-dev"
        )
    job = _only_job(opus)
    err = capsys.readouterr().err
    assert f"attach({job.job_id!r}, LOGIN='jdoe', Job_List='ExPRES-dev')" in err
    assert "left running" in err
    assert job.phase != "ABORTED"
    assert SECRET not in err


def test_an_error_while_saving_prints_how_to_download_again(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("uws_call_expres.saving.save_results", failing)
    with pytest.raises(OSError):
        uws_call_expres("example.json", LOOP=True, verbose=False)
    job = _only_job(opus)
    err = capsys.readouterr().err
    assert f"Saving the results of job {job.job_id} (COMPLETED) failed" in err
    assert f"from uws_call_expres import attach; attach({job.job_id!r})" in err


def test_cli_error_after_creation_is_one_line_after_the_hint(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _truncate_first_document(opus, monkeypatch)
    code = main(["example.json", "--no-progress"])
    assert code == 4
    job = _only_job(opus)
    out, err = capsys.readouterr()
    assert f"Job : {job.job_id}" in out
    lines = err.strip().splitlines()
    assert lines[-1].startswith("uws-call-expres: error: the <uws:job> document from ")
    assert any(line.strip().startswith("python -m uws_call_expres --attach") for line in lines)


def test_sweep_item_knows_a_job_created_before_a_failure(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _truncate_first_document(opus, monkeypatch)
    (item,) = run_sweep(["example.json"], verbose=False, server=f"{HOST}/rest/")
    assert isinstance(item.error, ParseError)
    assert item.job_id == _only_job(opus).job_id


# --- the creation failed: a job may exist anyway ------------------------------------------------


def test_creation_500_says_a_job_may_exist_and_how_to_find_it(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.create_failures = 1
    with pytest.raises(ServerError):
        uws_call_expres("example.json", LOGIN="jdoe", TOKEN=SECRET, verbose=False)
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "may have been created anyway" in x]
    assert line.startswith("The server failed while creating the job;")
    assert "`python -m uws_call_expres --list --login jdoe`" in line
    assert "--delete" in line
    assert SECRET not in err


def test_creation_without_an_answer_in_time_says_a_job_may_exist(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    rsps.add("POST", LIST, body=RequestTimeout("POST ...: no answer within the timeout", LIST))
    with pytest.raises(RequestTimeout):
        uws_call_expres("example.json", verbose=False)
    err = capsys.readouterr().err
    assert "did not answer in time while creating the job; a job may have been created" in err
    assert "python -m uws_call_expres --list" in err


def test_creation_refused_with_4xx_does_not_say_a_job_may_exist(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.create_status = 403
    with pytest.raises(ForbiddenError):
        uws_call_expres("example.json", verbose=False)
    assert "may have been created" not in capsys.readouterr().err


def test_cli_creation_500_message_and_error_line(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.create_failures = 1
    code = main(["example.json"])
    assert code == 4
    lines = capsys.readouterr().err.strip().splitlines()
    assert "a job may have been created anyway" in lines[-2]
    assert lines[-1].startswith("uws-call-expres: error: POST ")
    assert "500" in lines[-1]
