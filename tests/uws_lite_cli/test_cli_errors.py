"""Exit codes and error lines: one line saying what happened and what to do, no traceback."""

from __future__ import annotations

import io
import json
from typing import Any, Callable

import pytest
import requests
import responses

import uws_lite.client
from uws_lite.cli import main

BASE = "https://uws.example.org/rest/ExPRES"

VOTABLE_ERROR = b"""<?xml version="1.0" encoding="utf-8"?>
<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
  <RESOURCE type="results">
    <INFO name="QUERY_STATUS" value="ERROR">Field query: Could not parse your query</INFO>
  </RESOURCE>
</VOTABLE>"""


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_connection_failure_exits_4(cli: Callable[..., Any], rsps: Any) -> None:
    rsps.add(responses.GET, BASE, body=requests.ConnectionError("Connection refused"))
    run = cli("list")
    assert run.code == 4
    line = _one_line(run.err)
    assert line.startswith("uws-lite: ")
    assert "--url or UWS_URL" in line


def test_read_timeout_exits_4_and_names_the_option(cli: Callable[..., Any], rsps: Any) -> None:
    rsps.add(responses.GET, BASE, body=requests.ReadTimeout("read timed out"))
    run = cli("list", "--timeout", "5")
    assert run.code == 4
    assert "--request-timeout SECONDS" in _one_line(run.err)


def test_401_exits_4_and_says_where_credentials_come_from(
    cli: Callable[..., Any], rsps: Any
) -> None:
    rsps.add(responses.GET, BASE, status=401, body="Unauthorized")
    run = cli("list", "--json")
    assert run.code == 4
    assert "UWS_TOKEN" in _one_line(run.err)
    doc = json.loads(run.out)
    assert doc["error"]["type"] == "AuthenticationError"
    assert doc["error"]["exit_code"] == 4


def test_html_instead_of_a_job_list_is_a_server_error(cli: Callable[..., Any], rsps: Any) -> None:
    rsps.add(
        responses.GET, BASE, body="<html><body>Welcome</body></html>", content_type="text/html"
    )
    run = cli("list")
    assert run.code == 4
    _one_line(run.err)


def test_votable_error_document_gives_its_message(cli: Callable[..., Any], rsps: Any) -> None:
    # DaCHS answers some mistakes with HTTP 200 and a VOTable error document.
    rsps.add(responses.POST, BASE, body=VOTABLE_ERROR, content_type="text/xml")
    run = cli("new", "QUERY=SELEC nothing")
    assert run.code == 4
    assert "Could not parse your query" in _one_line(run.err)


def test_interrupt_exits_130(
    cli: Callable[..., Any], rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(uws_lite.client.Client, "get_job_list", interrupted)
    run = cli("list")
    assert run.code == 130
    assert _one_line(run.err) == "uws-lite: interrupted."


def test_unexpected_error_is_one_line_and_points_to_debug(
    cli: Callable[..., Any], rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something odd")

    monkeypatch.setattr(uws_lite.client.Client, "get_job_list", broken)
    run = cli("list")
    assert run.code == 4
    line = _one_line(run.err)
    assert "unexpected RuntimeError: something odd" in line
    assert "--debug" in line


def test_a_local_file_error_exits_2(
    cli: Callable[..., Any], rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uws_lite.exitcodes, shared with uws-call-expres: a local file problem is a local error.
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "results/x.cdf")

    monkeypatch.setattr(uws_lite.client.Client, "get_job_list", denied)
    run = cli("list", "--json")
    assert run.code == 2
    line = _one_line(run.err)
    assert line == "uws-lite: [Errno 13] Permission denied: 'results/x.cdf'"  # no "bug" hint
    assert json.loads(run.out)["error"]["exit_code"] == 2


def test_debug_shows_the_traceback(
    cli: Callable[..., Any], rsps: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something odd")

    monkeypatch.setattr(uws_lite.client.Client, "get_job_list", broken)
    run = cli("--debug", "list")
    assert run.code == 4
    assert "Traceback (most recent call last)" in run.err
    assert "RuntimeError: something odd" in run.err
    assert run.err.strip().splitlines()[-1].startswith("uws-lite: unexpected RuntimeError")


def test_job_not_found_json(cli: Callable[..., Any], rsps: Any) -> None:
    rsps.add(responses.GET, f"{BASE}/zzz", status=404, body="<pre>Job zzz not found</pre>")
    run = cli("show", "zzz", "--json")
    assert run.code == 4
    doc = json.loads(run.out)
    assert doc["error"]["type"] == "JobNotFound"
    assert "list" in doc["error"]["message"]


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_closed_pipe_on_stdout_is_quiet(job_done: Any) -> None:
    err = io.StringIO()
    assert main(["show", "2a3490"], stdout=_ClosedPipe(), stderr=err) == 0
    assert err.getvalue() == ""


def test_hints_repeat_the_url_given_on_the_command_line(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w1", phase="HELD"))
    run = cli("--url", BASE, "show", "w1", "--wait")
    assert run.code == 1
    assert f"--url {BASE} run w1" in run.err
