"""No secret in any server text (issue 11, point 6): the test server's ``echo_secret`` fault
puts the caller's token (as sent, URL-encoded) and its Basic ``Authorization`` value in the
job's errorSummary and ``<job>/error``. None of them may appear in any output: console, log
records, ``repr``, ``to_dict``/``--json``, ``_repr_html_``, the uws-lite CLI."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
from typing import Any, Dict, List
from urllib.parse import quote, quote_plus

import pytest

from uws_lite import Client
from uws_lite.cli import main as uws_lite_main
from uws_lite.models import Phase
from uws_lite.testing import OpusServer
from uws_lite.testing.pytest_plugin import TEST_USER

from .conftest import E2E_PLAN

pytestmark = pytest.mark.e2e

# '/', '+' and '=' make the URL-encoded forms differ from the token itself.
TOKEN = "s3cr/t+tok=en-7f41c2d9"
BASIC = base64.b64encode(f"{TEST_USER}:{TOKEN}".encode()).decode()
CONFIG = {"config": ("example.json", b'{"SIMU": {"NAME": "x"}}')}
FORMS = [TOKEN, quote(TOKEN, safe=""), quote_plus(TOKEN), BASIC, quote(BASIC, safe="")]


@pytest.fixture
def e2e_server(opus_server_factory: Any) -> OpusServer:
    server: OpusServer = opus_server_factory(
        run_plan=E2E_PLAN, users={TEST_USER: (TOKEN, {"ExPRES", "ExPRES-dev"})}
    )
    server.faults.echo_secret = True
    return server


def _leaks(texts: List[str]) -> List[str]:
    return [form for form in FORMS for text in texts if form in text]


def test_the_fault_really_echoes_every_form(e2e_server: OpusServer) -> None:
    # Without the client's scrubbing, the secret is in the server's answers.
    import requests

    with Client(e2e_server.list_url("ExPRES"), auth=(TEST_USER, TOKEN)) as client:
        job = client.new_job({"runId": "x"}, files=CONFIG)
        raw = requests.get(
            client.job_url(job.job_id) + "/error", auth=(TEST_USER, TOKEN), timeout=10
        ).text
    assert TOKEN in raw
    assert quote(TOKEN, safe="") in raw
    assert BASIC in raw


def test_echoed_secrets_are_in_no_client_output(
    e2e_server: OpusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Client(e2e_server.list_url("ExPRES"), auth=(TEST_USER, TOKEN)) as client:
        job = client.new_job({"runId": "x"}, files=CONFIG)
        assert job.error_summary is not None
        assert "***" in job.error_summary.message
        error = client.get_error(job.job_id)
        texts = [repr(job), str(job.error_summary), error, caplog.text]
    assert "***" in error
    assert _leaks(texts) == []


def test_echoed_secrets_are_in_no_uws_call_expres_output(
    ws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config = ws.config(outcome="ERROR", error="boom")
    run = ws.run(config, LOGIN=TEST_USER, TOKEN=TOKEN, LOOP=True)
    assert run.phase is Phase.ERROR
    assert not run.ok
    assert run.error_summary is not None
    assert "boom" in run.error_summary.message
    assert "***" in run.error_summary.message
    texts = [
        ws.console(),
        caplog.text,
        "\n".join(r.getMessage() for r in caplog.records),
        repr(run),
        json.dumps(run.to_dict()),
        run._repr_html_(),
        str(run.error_detail),
    ]
    assert _leaks(texts) == []


def test_echoed_secrets_are_in_no_cli_json(ws: Any) -> None:
    ws.config(outcome="ERROR", error="boom")
    done = ws.cli(
        "example.json",
        "-o",
        str(ws.out),
        "--no-progress",
        "--login",
        TEST_USER,
        "--json",
        token=TOKEN,
    )
    assert done.code == 1, done.text
    document = json.loads(done.out)
    assert "***" in json.dumps(document)
    assert _leaks([done.out, done.err]) == []


def test_echoed_secrets_are_in_no_uws_lite_cli_output(
    e2e_server: OpusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Client(e2e_server.list_url("ExPRES"), auth=(TEST_USER, TOKEN)) as client:
        job_id = client.new_job({"runId": "x"}, files=CONFIG).job_id
    for name in list(os.environ):
        if name.startswith(("UWS_", "EXPRES_", "NETRC")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    common = ["--url", e2e_server.list_url("ExPRES"), "--login", TEST_USER]
    outputs: Dict[str, str] = {}
    for command in (["show", job_id], ["error", job_id], ["list"]):
        for extra in ([], ["--json"], ["--debug"]):
            out, err = io.StringIO(), io.StringIO()
            uws_lite_main([*command, *common, *extra], stdout=out, stderr=err)
            outputs[" ".join(command + extra)] = out.getvalue() + err.getvalue()
    assert "***" in outputs[f"error {job_id}"]
    assert _leaks(list(outputs.values())) == []


def test_secrets_of_a_session_authorization_header_are_redacted_too(
    e2e_server: OpusServer,
) -> None:
    import requests

    with requests.Session() as session:
        session.headers["Authorization"] = f"Basic {BASIC}"
        client = Client(e2e_server.list_url("ExPRES"), session=session)
        job = client.new_job({"runId": "x"}, files=CONFIG)
        error = client.get_error(job.job_id)
    assert job.owner_id == TEST_USER  # the header was sent home
    assert "***" in error
    assert _leaks([repr(job), error]) == []
