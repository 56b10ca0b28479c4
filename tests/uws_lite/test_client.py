"""uws_lite.client: every UWS resource and every HTTP branch, offline with ``responses``.

Documents and error pages come from conftest.py (re-typed from the OPUS reference).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from requests.auth import AuthBase

from uws_lite import Client
from uws_lite.download import DownloadStatus
from uws_lite.errors import (
    AuthenticationError,
    ConnectionFailed,
    DownloadError,
    ForbiddenError,
    HTTPStatusError,
    IntegrityError,
    InvalidRequest,
    JobNotFound,
    NotFound,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    UnsafeURL,
    WaitTimeout,
)
from uws_lite.models import Phase, Result
from uws_lite.xmlsafe import MAX_DOCUMENT_BYTES

XML = "text/xml; charset=UTF-8"
TEXT = "text/plain; charset=UTF-8"
BASE = "https://uws.example.org/rest/ExPRES"
JOB = BASE + "/2a3490"
USER, TOKEN = "alice@example.org", "0b5e7f8a-6d2c-4c1e-9a3b-1f2e3d4c5b6a"

Rsps = responses.RequestsMock
JobXml = Callable[..., bytes]


def query(call: Any) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(call.request.url).query)


def form(call: Any) -> list[tuple[str, str]]:
    body = call.request.body
    return parse_qsl(body.decode() if isinstance(body, bytes) else body or "")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- construction --------------------------------------------------------------------


def test_url_is_normalised_and_repr_hides_credentials(make_client: Callable[..., Client]) -> None:
    client = make_client(BASE + "/", auth=(USER, TOKEN))
    assert client.url == BASE
    assert client.job_url("2a3490") == JOB
    text = repr(client)
    assert BASE in text
    assert "authenticated" in text
    assert TOKEN not in text
    assert USER not in text
    assert "guest" in repr(make_client())


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://host/rest/x",
        "host/rest/ExPRES",
        "https:///rest",
        f"https://{USER.split('@')[0]}:{TOKEN}@uws.example.org/rest/ExPRES",
        BASE + "?x=1",
        BASE + "#frag",
        "https://uws.example.org:port/x",
    ],
)
def test_bad_service_urls_refused(url: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        Client(url)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("job_id", ["", " ", ".", "..", "a b", "a\nb"])
def test_bad_job_ids_refused(client: Client, job_id: str) -> None:
    with pytest.raises(InvalidRequest):
        client.job_url(job_id)


def test_job_ids_are_quoted_into_one_segment(client: Client) -> None:
    assert client.job_url("a/b?c") == BASE + "/a%2Fb%3Fc"


def test_context_manager_closes_own_session_only(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[requests.Session] = []
    monkeypatch.setattr(requests.Session, "close", lambda self: closed.append(self))
    with Client(BASE):
        pass
    assert len(closed) == 1
    mine = requests.Session()
    with Client(BASE, session=mine):
        pass
    assert len(closed) == 1
    assert closed[0] is not mine


# --- headers and auth ----------------------------------------------------------------


def test_requests_carry_accept_user_agent_and_timeouts(rsps: Rsps, job_xml: JobXml) -> None:
    rsps.get(JOB, body=job_xml(), content_type=XML)
    seen: dict[str, Any] = {}
    session = requests.Session()
    original = session.request

    def spy(method: str, url: str, **kwargs: Any) -> requests.Response:
        seen.update(kwargs)
        return original(method, url, **kwargs)

    session.request = spy  # type: ignore[method-assign]
    client = Client(BASE, session=session)
    client.get_job("2a3490")
    headers = rsps.calls[0].request.headers
    assert headers["Accept"] == "application/xml, text/plain"
    assert headers["User-Agent"].startswith("uws_lite/")
    assert seen["timeout"] == (10.0, 90.0)
    assert seen["allow_redirects"] is False


def test_basic_auth_is_preemptive_and_correct(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml
) -> None:
    rsps.get(JOB, body=job_xml(), content_type=XML)
    make_client(auth=(USER, TOKEN)).get_job("2a3490")
    header = rsps.calls[0].request.headers["Authorization"]
    assert header == basic(USER, TOKEN)
    assert "\n" not in header  # len(user:token) > 57: legacy bug 13


def test_non_ascii_credentials(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml
) -> None:
    rsps.get(JOB, body=job_xml(), content_type=XML)
    make_client(auth=("zoë", "mötley€")).get_job("2a3490")
    assert rsps.calls[0].request.headers["Authorization"] == basic("zoë", "mötley€")


def test_guest_sends_no_authorization_even_with_a_netrc(
    rsps: Rsps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, job_xml: JobXml
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine uws.example.org login bob password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    rsps.get(JOB, body=job_xml(), content_type=XML)
    # Control: plain requests does pick the netrc up, so the check below can fail.
    requests.get(JOB, timeout=5)
    assert rsps.calls[0].request.headers.get("Authorization") == basic("bob", "netrc-secret")
    with Client(BASE) as client:
        client.get_job("2a3490")
    assert "Authorization" not in rsps.calls[1].request.headers


def test_caller_session_auth_is_used_for_guest_client(
    rsps: Rsps, job_xml: JobXml, make_client: Callable[..., Client]
) -> None:
    session = requests.Session()
    session.auth = ("bob", "hunter2")
    rsps.get(JOB, body=job_xml(), content_type=XML)
    make_client(session=session).get_job("2a3490")
    assert rsps.calls[0].request.headers["Authorization"] == basic("bob", "hunter2")


def test_caller_auth_object_is_scoped_to_the_service(
    rsps: Rsps, job_xml: JobXml, make_client: Callable[..., Client]
) -> None:
    class Bearer(AuthBase):
        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.headers["Authorization"] = "Bearer tok"
            return r

    rsps.get(JOB, status=302, headers={"Location": "https://mirror.example.net/job/2a3490"})
    rsps.get("https://mirror.example.net/job/2a3490", body=job_xml(), content_type=XML)
    make_client(auth=Bearer()).get_job("2a3490")
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer tok"
    assert "Authorization" not in rsps.calls[1].request.headers


def test_auth_not_sent_to_another_host_after_creation(
    rsps: Rsps, job_xml: JobXml, make_client: Callable[..., Client]
) -> None:
    other = "https://elsewhere.example.net/jobs/2a3490"
    rsps.post(BASE, status=303, headers={"Location": other})
    rsps.get(other, body=job_xml(), content_type=XML)
    make_client(auth=(USER, TOKEN)).new_job({"runId": "x"})
    assert rsps.calls[0].request.headers["Authorization"] == basic(USER, TOKEN)
    assert "Authorization" not in rsps.calls[1].request.headers


def test_auth_not_sent_over_a_downgraded_scheme(
    rsps: Rsps, job_xml: JobXml, make_client: Callable[..., Client]
) -> None:
    rsps.get(JOB, status=301, headers={"Location": "http://uws.example.org/rest/ExPRES/2a3490"})
    rsps.get("http://uws.example.org/rest/ExPRES/2a3490", body=job_xml(), content_type=XML)
    make_client(auth=(USER, TOKEN)).get_job("2a3490")
    assert "Authorization" not in rsps.calls[1].request.headers


# --- job list ------------------------------------------------------------------------


def test_job_list_with_filters_puts_phase_last(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    rsps.get(BASE, body=docs["job_list"], content_type=XML)
    after = datetime(2026, 11, 24, 23, 0, tzinfo=timezone(timedelta(hours=1)))
    jobs = client.get_job_list(phases=[Phase.EXECUTING, "queued"], after=after, last=5)
    assert [j.job_id for j in jobs] == ["1b2c3d", "5f1c0e"]
    raw = urlsplit(rsps.calls[0].request.url).query
    assert raw == "AFTER=2026-11-24T22%3A00%3A00Z&LAST=5&PHASE=EXECUTING&PHASE=QUEUED"


def test_job_list_without_filters(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.get(BASE, body=docs["job_list"], content_type=XML)
    assert len(client.get_job_list()) == 2
    assert rsps.calls[0].request.url == BASE


@pytest.mark.parametrize(
    ("after", "sent"),
    [
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05"),  # naive: as written
        (datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=timezone.utc), "2026-01-02T03:04:05.250000Z"),
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"),
    ],
)
def test_job_list_after_formats(
    rsps: Rsps, client: Client, docs: dict[str, bytes], after: Any, sent: str
) -> None:
    rsps.get(BASE, body=docs["job_list"], content_type=XML)
    client.get_job_list(after=after)
    assert query(rsps.calls[0]) == [("AFTER", sent)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"phases": ["RUNNING"]},
        {"phases": [42]},
        {"last": 0},
        {"last": True},
        {"last": "5"},
        {"after": "yesterday"},
        {"after": 12},
    ],
)
def test_job_list_arguments_checked_before_sending(
    rsps: Rsps, client: Client, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequest):
        client.get_job_list(**kwargs)
    assert len(rsps.calls) == 0


def test_job_list_404_is_not_found_not_job_not_found(rsps: Rsps, client: Client) -> None:
    rsps.get(BASE, status=404, body=b"<pre>unknown job list</pre>", content_type="text/html")
    with pytest.raises(NotFound) as info:
        client.get_job_list()
    assert not isinstance(info.value, JobNotFound)
    assert "unknown job list" in str(info.value)


# --- creation ------------------------------------------------------------------------


def test_new_job_urlencoded_with_numbers(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.post(BASE, status=303, headers={"Location": JOB})
    rsps.get(JOB, body=job_xml(phase="PENDING"), content_type=XML)
    job = client.new_job({"runId": "demo", "executionDuration": 600, "ratio": 0.5, "skip": None})
    assert job.job_id == "2a3490"
    assert job.phase is Phase.PENDING
    post = rsps.calls[0].request
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(rsps.calls[0]) == [
        ("runId", "demo"),
        ("executionDuration", "600"),
        ("ratio", "0.5"),
    ]
    assert len(rsps.calls) == 2  # the POST and one GET of the Location


def test_new_job_uploads_files_as_named_binary_parts(
    rsps: Rsps, client: Client, job_xml: JobXml, tmp_path: Path
) -> None:
    config = tmp_path / "sub dir" / "example.json"
    config.parent.mkdir()
    content = '{"name": "Ωmega, Jupiter ♃"}'.encode()  # not Latin-1: legacy bug 10
    config.write_bytes(content)
    ephem = tmp_path / "ephem.txt"
    ephem.write_bytes(b"\x00\xff binary \x80")
    rsps.post(BASE, status=303, headers={"Location": JOB})
    rsps.get(JOB, body=job_xml(), content_type=XML)
    client.new_job(
        {"runId": "demo", "config": f"@{config}", "note": "@@home", "ephemeride": ephem},
        files={
            "extra": ("C:\\Users\\me\\data.bin", b"\x01\x02"),
            "more": ("m.txt", io.BytesIO(b"xyz")),
        },
    )
    request = rsps.calls[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body: bytes = request.body
    assert b'name="config"; filename="example.json"' in body
    assert content in body
    assert str(tmp_path).encode() not in body  # only the base name is sent
    assert b'name="ephemeride"; filename="ephem.txt"' in body
    assert b"\x00\xff binary \x80" in body
    assert b'name="extra"; filename="data.bin"' in body
    assert b"\x01\x02" in body
    assert b'name="more"; filename="m.txt"' in body
    assert b"xyz" in body
    assert b'name="runId"\r\n\r\ndemo' in body
    assert b'name="note"\r\n\r\n@home' in body


def test_new_job_missing_file_sends_nothing(rsps: Rsps, client: Client, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="no such file"):
        client.new_job({"runId": "x", "config": f"@{tmp_path / 'missing.json'}"})
    with pytest.raises(InvalidRequest, match="no such file"):
        client.new_job(files={"config": tmp_path / "missing.json"})
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    ("parameters", "files"),
    [
        ({"flag": True}, None),
        ({"x": [1, 2]}, None),
        ({"": "x"}, None),
        (None, {"f": 42}),
        (None, {"f": ("name.txt", "text, not bytes")}),
        (None, {"f": ("..", b"x")}),
    ],
)
def test_new_job_bad_values(rsps: Rsps, client: Client, parameters: Any, files: Any) -> None:
    with pytest.raises(InvalidRequest):
        client.new_job(parameters, files=files)
    assert len(rsps.calls) == 0


def test_new_job_run_posts_phase_run_explicitly(
    rsps: Rsps, client: Client, job_xml: JobXml
) -> None:
    rsps.post(BASE, status=303, headers={"Location": JOB})
    rsps.post(JOB + "/phase", status=303, headers={"Location": JOB})
    rsps.get(JOB, body=job_xml(phase="QUEUED"), content_type=XML)
    job = client.new_job({"runId": "demo"}, run=True)
    assert job.phase is Phase.QUEUED
    assert [(c.request.method, c.request.url) for c in rsps.calls] == [
        ("POST", BASE),
        ("POST", JOB + "/phase"),
        ("GET", JOB),
    ]
    assert form(rsps.calls[1]) == [("PHASE", "RUN")]
    assert ("PHASE", "RUN") not in form(rsps.calls[0])


def test_new_job_relative_location(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.post(BASE, status=303, headers={"Location": "ExPRES/2a3490"})
    rsps.get(JOB, body=job_xml(), content_type=XML)
    client.new_job({"runId": "x"})
    assert rsps.calls[1].request.url == JOB


def test_new_job_location_on_another_path_is_remembered(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml
) -> None:
    # DaCHS TAP: the job lives under /__system__/tap/run/async/<id>, not under the list.
    client = make_client("https://uws.example.org/tap/async")
    elsewhere = "https://uws.example.org/__system__/tap/run/async/2a3490"
    rsps.post(
        "https://uws.example.org/tap/async", status=303, headers={"Location": elsewhere + "/"}
    )
    rsps.get(elsewhere, body=job_xml(), content_type=XML)
    rsps.get(elsewhere + "/phase", body=b"EXECUTING", content_type=TEXT)
    rsps.delete(elsewhere, status=303, headers={"Location": "https://uws.example.org/tap/async"})
    client.new_job({"QUERY": "SELECT 1"})
    assert client.job_url("2a3490") == elsewhere
    assert client.get_phase("2a3490") is Phase.EXECUTING
    client.delete_job("2a3490")
    assert client.job_url("2a3490") == "https://uws.example.org/tap/async/2a3490"


def test_new_job_document_answered_directly(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.post(BASE, status=200, body=job_xml(phase="PENDING"), content_type=XML)
    job = client.new_job({"runId": "x"})
    assert job.job_id == "2a3490"
    assert len(rsps.calls) == 1


def test_new_job_without_location_or_body(rsps: Rsps, client: Client) -> None:
    rsps.post(BASE, status=204)
    with pytest.raises(HTTPStatusError, match="without the Location"):
        client.new_job({"runId": "x"})


def test_new_job_is_never_retried(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.post(BASE, status=503, body=b"busy")
    rsps.post(BASE, status=303, headers={"Location": JOB})
    with pytest.raises(ServerError, match="HTTP 503"):
        client.new_job({"runId": "x"})
    assert len(rsps.calls) == 1


def test_new_job_opus_500_message(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.post(BASE, status=500, body=docs["html_500"], content_type="text/html; charset=UTF-8")
    with pytest.raises(ServerError) as info:
        client.new_job({"runId": "x"})
    error = info.value
    assert error.server_message == "Job is not PENDING, cannot start it"
    assert "POST " + BASE in str(error)
    assert "HTTP 500" in str(error)
    assert error.status == 500
    assert error.url == BASE
    assert "<pre>" in error.body_excerpt


def test_create_job_alias(client: Client) -> None:
    assert Client.create_job is Client.new_job


# --- the job -------------------------------------------------------------------------


def test_get_job(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.get(JOB, body=job_xml(phase="COMPLETED", results=True), content_type=XML)
    job = client.get_job("2a3490")
    assert job.phase is Phase.COMPLETED
    assert job.parameter("comment") == "Io + Jupiter, 100%"
    assert job.results[0].sha1 == "dc1bd941226c351a86bd689530860b0167370331"
    assert job.url == JOB


def test_get_job_wait_and_phase_extend_the_read_timeout(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml
) -> None:
    session = requests.Session()
    client = make_client(timeout=(3, 20), session=session)
    rsps.get(JOB, body=job_xml(), content_type=XML)
    timeouts: list[Any] = []
    original = session.request

    def spy(method: str, url: str, **kwargs: Any) -> requests.Response:
        timeouts.append(kwargs["timeout"])
        return original(method, url, **kwargs)

    session.request = spy  # type: ignore[method-assign]
    client.get_job("2a3490", wait=30, phase="EXECUTING")
    client.get_job("2a3490", wait=-1)
    client.get_job("2a3490", wait=5)
    assert urlsplit(rsps.calls[0].request.url).query == "WAIT=30&PHASE=EXECUTING"
    assert query(rsps.calls[1]) == [("WAIT", "-1")]
    assert timeouts[0] == (3.0, 40.0)
    assert timeouts[1][1] >= 600
    assert timeouts[2] == (3.0, 20.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"wait": -2},
        {"wait": True},
        {"wait": 1.5},
        {"phase": "EXECUTING"},
        {"wait": 5, "phase": "COMPLETED"},
        {"wait": 5, "phase": "nonsense"},
    ],
)
def test_get_job_arguments_checked(rsps: Rsps, client: Client, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        client.get_job("2a3490", **kwargs)
    assert len(rsps.calls) == 0


def test_get_job_404_is_job_not_found_with_server_message(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    rsps.get(JOB, status=404, body=docs["html_404"], content_type="text/html")
    with pytest.raises(JobNotFound) as info:
        client.get_job("2a3490")
    text = str(info.value)
    assert "GET " + JOB in text
    assert "HTTP 404" in text
    assert "Job 2a3490 not found" in text
    assert "Check the job id" in text


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (403, ForbiddenError), (500, ServerError), (418, HTTPStatusError)],
)
def test_get_job_status_errors(rsps: Rsps, client: Client, status: int, cls: type) -> None:
    rsps.get(JOB, status=status, body=b"nope", content_type=TEXT)
    with pytest.raises(cls) as info:
        client.get_job("2a3490")
    assert info.value.status == status


def test_http_200_votable_error_document(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    rsps.get(JOB, body=docs["votable_error"], content_type="application/x-votable+xml")
    with pytest.raises(ServiceErrorDocument) as info:
        client.get_job("2a3490")
    assert info.value.status == 200
    assert "not a valid literal for sleep" in str(info.value)


def test_html_instead_of_xml(rsps: Rsps, client: Client) -> None:
    page = b"<html><head><title>Portal</title></head><body><pre>Please sign in</pre></body></html>"
    rsps.get(JOB, body=page, content_type="text/html")
    with pytest.raises(
        ServiceErrorDocument, match=r"HTML page instead of a UWS job.*Please sign in"
    ):
        client.get_job("2a3490")


def test_garbage_instead_of_xml_is_parse_error(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB, body=b"hello", content_type=TEXT)
    with pytest.raises(ParseError):
        client.get_job("2a3490")


def test_oversized_document_refused(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB, body=b"<x>" + b" " * MAX_DOCUMENT_BYTES + b"</x>", content_type=XML)
    with pytest.raises(ParseError, match="larger than"):
        client.get_job("2a3490")


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (requests.ConnectionError("refused"), ConnectionFailed),
        (requests.ReadTimeout("slow"), RequestTimeout),
    ],
)
def test_network_failures_are_typed(rsps: Rsps, client: Client, exc: Exception, cls: type) -> None:
    rsps.get(JOB, body=exc)
    with pytest.raises(cls):
        client.get_job("2a3490")


# --- retries -------------------------------------------------------------------------


def test_get_retried_on_503_then_succeeds(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.get(JOB, status=503, body=b"busy")
    rsps.get(JOB, status=502, body=b"bad gateway")
    rsps.get(JOB, body=job_xml(), content_type=XML)
    assert client.get_job("2a3490").job_id == "2a3490"
    assert len(rsps.calls) == 3


def test_429_with_retry_after_is_retried(rsps: Rsps, client: Client, job_xml: JobXml) -> None:
    rsps.get(JOB, status=429, headers={"Retry-After": "1"})
    rsps.get(JOB, body=job_xml(), content_type=XML)
    client.get_job("2a3490")
    assert len(rsps.calls) == 2


def test_persistent_503_gives_server_error_after_retries(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    rsps.get(JOB, status=503, body=b"<pre>maintenance</pre>", content_type="text/html")
    with pytest.raises(ServerError, match="maintenance"):
        make_client(retries=2).get_job("2a3490")
    assert len(rsps.calls) == 3


def test_retries_zero(rsps: Rsps, make_client: Callable[..., Client]) -> None:
    rsps.get(JOB, status=503)
    with pytest.raises(ServerError):
        make_client(retries=0).get_job("2a3490")
    assert len(rsps.calls) == 1


def test_phase_post_not_retried(rsps: Rsps, client: Client) -> None:
    rsps.post(JOB + "/phase", status=503)
    with pytest.raises(ServerError):
        client.run_job("2a3490")
    assert len(rsps.calls) == 1


def test_delete_retried(rsps: Rsps, client: Client) -> None:
    rsps.delete(JOB, status=503)
    rsps.delete(JOB, status=303, headers={"Location": BASE})
    client.delete_job("2a3490")
    assert len(rsps.calls) == 2


# --- phase, run, abort, delete -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phase"), [("EXECUTING\n", Phase.EXECUTING), ("weird", Phase.UNKNOWN)]
)
def test_get_phase(rsps: Rsps, client: Client, text: str, phase: Phase) -> None:
    rsps.get(JOB + "/phase", body=text, content_type=TEXT)
    assert client.get_phase("2a3490") is phase


@pytest.mark.parametrize(("method", "action"), [("run_job", "RUN"), ("abort_job", "ABORT")])
def test_run_and_abort_post_to_phase_then_get_the_job(
    rsps: Rsps, client: Client, job_xml: JobXml, method: str, action: str
) -> None:
    rsps.post(JOB + "/phase", status=303, headers={"Location": JOB + "?odd=redirect"})
    rsps.get(JOB, body=job_xml(phase="ABORTED"), content_type=XML)
    job = getattr(client, method)("2a3490")
    assert job.phase is Phase.ABORTED
    calls = [(c.request.method, c.request.url) for c in rsps.calls]
    assert calls == [("POST", JOB + "/phase"), ("GET", JOB)]  # not the Location
    assert form(rsps.calls[0]) == [("PHASE", action)]


def test_run_in_wrong_phase_opus_500(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.post(JOB + "/phase", status=500, body=docs["html_500"], content_type="text/html")
    with pytest.raises(ServerError, match="Job is not PENDING"):
        client.run_job("2a3490")


def test_delete_does_not_follow_the_303(rsps: Rsps, client: Client) -> None:
    rsps.delete(JOB, status=303, headers={"Location": BASE})
    rsps.get(BASE, body=b"<huge job list/>", content_type=XML)
    client.delete_job("2a3490")
    assert [c.request.method for c in rsps.calls] == ["DELETE"]


@pytest.mark.parametrize("status", [200, 204])
def test_delete_accepts_2xx(rsps: Rsps, client: Client, status: int) -> None:
    rsps.delete(JOB, status=status)
    client.delete_job("2a3490")


@pytest.mark.parametrize("status", [405, 501])
def test_delete_falls_back_to_action_delete(rsps: Rsps, client: Client, status: int) -> None:
    rsps.delete(JOB, status=status)
    rsps.post(JOB, status=303, headers={"Location": BASE})
    client.delete_job("2a3490")
    assert [c.request.method for c in rsps.calls] == ["DELETE", "POST"]
    assert form(rsps.calls[1]) == [("ACTION", "DELETE")]


def test_delete_unknown_job(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.delete(JOB, status=404, body=docs["html_404"], content_type="text/html")
    with pytest.raises(JobNotFound, match="Job 2a3490 not found"):
        client.delete_job("2a3490")


def test_delete_forbidden(rsps: Rsps, client: Client) -> None:
    rsps.delete(JOB, status=403)
    with pytest.raises(ForbiddenError):
        client.delete_job("2a3490")


# --- parameters ----------------------------------------------------------------------


def test_get_parameters(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.get(JOB + "/parameters", body=docs["parameters"], content_type=XML)
    params = client.get_parameters("2a3490")
    assert [(p.id, p.value, p.by_reference) for p in params] == [
        ("branch", "master", False),
        ("config", "http://127.0.0.1:8082/store?ID=c241d7", True),
    ]


def test_get_parameter_raw_value(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB + "/parameters/run%20id", body="  value with spaces\n", content_type=TEXT)
    assert client.get_parameter("2a3490", "run id") == "  value with spaces\n"


def test_get_parameter_unknown_is_not_found(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB + "/parameters/nope", status=404)
    with pytest.raises(NotFound) as info:
        client.get_parameter("2a3490", "nope")
    assert not isinstance(info.value, JobNotFound)


def test_set_parameters_posts_to_parameters(rsps: Rsps, client: Client) -> None:
    rsps.post(JOB + "/parameters", status=303, headers={"Location": JOB})
    client.set_parameters("2a3490", {"message": "héllo", "sleep": 3})
    assert len(rsps.calls) == 1
    assert form(rsps.calls[0]) == [("message", "héllo"), ("sleep", "3")]


def test_set_parameters_with_a_file(rsps: Rsps, client: Client, tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"data")
    rsps.post(JOB + "/parameters", status=303, headers={"Location": JOB})
    client.set_parameters("2a3490", {"infile": path})
    assert b'name="infile"; filename="in.txt"' in rsps.calls[0].request.body


def test_set_parameter_opus_style(rsps: Rsps, client: Client) -> None:
    rsps.post(JOB + "/parameters/executionDuration", status=303, headers={"Location": JOB})
    client.set_parameter("2a3490", "executionDuration", 120)
    assert form(rsps.calls[0]) == [("VALUE", "120")]
    assert len(rsps.calls) == 1


def test_set_parameter_bad_name(rsps: Rsps, client: Client) -> None:
    with pytest.raises(InvalidRequest):
        client.set_parameter("2a3490", "..", "x")
    assert len(rsps.calls) == 0


# --- execution duration, destruction, error, quote, owner, results ---------------------


@pytest.mark.parametrize(("text", "value"), [("600\n", 600), ("0", 0), ("", None), ("60.0", 60)])
def test_get_execution_duration(rsps: Rsps, client: Client, text: str, value: Any) -> None:
    rsps.get(JOB + "/executionduration", body=text, content_type=TEXT)
    assert client.get_execution_duration("2a3490") == value


def test_get_execution_duration_garbage(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB + "/executionduration", body="soon", content_type=TEXT)
    with pytest.raises(ParseError):
        client.get_execution_duration("2a3490")


def test_set_execution_duration(rsps: Rsps, client: Client) -> None:
    rsps.post(JOB + "/executionduration", status=303, headers={"Location": JOB})
    client.set_execution_duration("2a3490", 600)
    assert form(rsps.calls[0]) == [("EXECUTIONDURATION", "600")]
    assert len(rsps.calls) == 1
    for bad in (-1, True, 1.5, "60"):
        with pytest.raises(InvalidRequest):
            client.set_execution_duration("2a3490", bad)  # type: ignore[arg-type]
    assert len(rsps.calls) == 1


def test_get_destruction(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB + "/destruction", body="2026-12-24T22:39:01", content_type=TEXT)
    assert client.get_destruction("2a3490") == datetime(2026, 12, 24, 22, 39, 1)


def test_get_destruction_empty(rsps: Rsps, client: Client) -> None:
    rsps.get(JOB + "/destruction", body="", content_type=TEXT)
    assert client.get_destruction("2a3490") is None


@pytest.mark.parametrize(
    ("when", "sent"),
    [
        (
            datetime(2026, 12, 24, 23, 0, tzinfo=timezone(timedelta(hours=1))),
            "2026-12-24T22:00:00Z",
        ),
        (datetime(2026, 12, 24, 23, 0), "2026-12-24T23:00:00"),
        ("2026-12-24T23:00:00", "2026-12-24T23:00:00"),
    ],
)
def test_set_destruction(rsps: Rsps, client: Client, when: Any, sent: str) -> None:
    rsps.post(JOB + "/destruction", status=303, headers={"Location": JOB})
    client.set_destruction("2a3490", when)
    assert form(rsps.calls[0]) == [("DESTRUCTION", sent)]


def test_set_destruction_refuses_garbage(rsps: Rsps, client: Client) -> None:
    with pytest.raises(InvalidRequest):
        client.set_destruction("2a3490", "next week")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        (b"", TEXT, ""),
        (b"Error in ExPRES: config invalid\n", TEXT, "Error in ExPRES: config invalid"),
        (b"<html><body><pre>boom</pre></body></html>", "text/html", "boom"),
        (
            b'<VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE>'
            b'<INFO name="QUERY_STATUS" value="ERROR">division by zero</INFO></RESOURCE></VOTABLE>',
            "application/x-votable+xml",
            "division by zero",
        ),
    ],
)
def test_get_error(rsps: Rsps, client: Client, body: bytes, content_type: str, text: str) -> None:
    rsps.get(JOB + "/error", body=body, content_type=content_type)
    assert client.get_error("2a3490") == text


@pytest.mark.parametrize(
    ("body", "value"), [("2026-11-24T23:00:00\n", "2026-11-24T23:00:00"), ("", None)]
)
def test_get_quote(rsps: Rsps, client: Client, body: str, value: Any) -> None:
    rsps.get(JOB + "/quote", body=body, content_type=TEXT)
    assert client.get_quote("2a3490") == value


@pytest.mark.parametrize(("body", "value"), [("anonymous", "anonymous"), ("  \n", None)])
def test_get_owner(rsps: Rsps, client: Client, body: str, value: Any) -> None:
    rsps.get(JOB + "/owner", body=body, content_type=TEXT)
    assert client.get_owner("2a3490") == value


def test_text_resource_refuses_html(rsps: Rsps, client: Client) -> None:
    rsps.get(
        JOB + "/owner",
        body=b"<!DOCTYPE html><html><body>Login</body></html>",
        content_type="text/html",
    )
    with pytest.raises(ServiceErrorDocument):
        client.get_owner("2a3490")


def test_get_results(rsps: Rsps, client: Client, docs: dict[str, bytes]) -> None:
    rsps.get(JOB + "/results", body=docs["results"], content_type=XML)
    results = client.get_results("2a3490")
    assert [r.id for r in results] == ["expres_test_run_a.cdf", "stdout"]
    assert results[0].href == "http://127.0.0.1:8082/store?ID=6b2aa7"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_parameters("2a3490"),
        lambda c: c.get_results("2a3490"),
        lambda c: c.get_error("2a3490"),
        lambda c: c.get_quote("2a3490"),
        lambda c: c.get_owner("2a3490"),
        lambda c: c.get_phase("2a3490"),
        lambda c: c.get_destruction("2a3490"),
        lambda c: c.get_execution_duration("2a3490"),
        lambda c: c.set_execution_duration("2a3490", 5),
        lambda c: c.set_destruction("2a3490", "2026-01-01T00:00:00"),
        lambda c: c.set_parameters("2a3490", {"a": "b"}),
        lambda c: c.abort_job("2a3490"),
    ],
)
def test_sub_resources_of_a_vanished_job(rsps: Rsps, client: Client, call: Any) -> None:
    anything_below_the_job = re.compile(re.escape(JOB) + ".*")
    rsps.add(responses.GET, anything_below_the_job, status=404)
    rsps.add(responses.POST, anything_below_the_job, status=404)
    with pytest.raises(JobNotFound):
        call(client)


# --- waiting -------------------------------------------------------------------------


def test_wait_long_polls_with_bounded_wait(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml, fake_clock: Any
) -> None:
    client = make_client(timeout=(5, 30))
    for phase in ("QUEUED", "EXECUTING", "EXECUTING", "COMPLETED"):
        rsps.get(JOB, body=job_xml(phase=phase), content_type=XML)
    seen: list[Phase] = []
    job = client.wait(
        "2a3490",
        timeout=300,
        on_change=lambda j: seen.append(j.phase),
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )
    assert job.phase is Phase.COMPLETED
    assert seen == [Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED]
    queries = [query(c) for c in rsps.calls]
    assert queries[0] == []
    assert queries[1] == [("WAIT", "20"), ("PHASE", "QUEUED")]  # 30 s read timeout - 10
    assert queries[2] == [("WAIT", "20"), ("PHASE", "EXECUTING")]
    # responses answers at once, as a server ignoring WAIT would: the loop paused.
    assert fake_clock.sleeps


def test_wait_timeout_carries_last_job(
    rsps: Rsps, client: Client, job_xml: JobXml, fake_clock: Any
) -> None:
    rsps.get(JOB, body=job_xml(phase="EXECUTING"), content_type=XML)
    with pytest.raises(WaitTimeout) as info:
        client.wait("2a3490", timeout=5, clock=fake_clock, sleep=fake_clock.sleep)
    assert info.value.job.phase is Phase.EXECUTING
    assert info.value.job.job_id == "2a3490"


def test_wait_job_vanishes(rsps: Rsps, client: Client, job_xml: JobXml, fake_clock: Any) -> None:
    rsps.get(JOB, body=job_xml(phase="EXECUTING"), content_type=XML)
    rsps.get(JOB, status=404)
    with pytest.raises(JobNotFound):
        client.wait("2a3490", timeout=60, clock=fake_clock, sleep=fake_clock.sleep)


def test_wait_survives_transient_503(
    rsps: Rsps, make_client: Callable[..., Client], job_xml: JobXml, fake_clock: Any
) -> None:
    client = make_client(retries=0)  # so the loop itself has to survive it
    rsps.get(JOB, body=job_xml(phase="EXECUTING"), content_type=XML)
    rsps.get(JOB, status=503)
    rsps.get(JOB, body=job_xml(phase="COMPLETED"), content_type=XML)
    job = client.wait("2a3490", timeout=60, clock=fake_clock, sleep=fake_clock.sleep)
    assert job.phase is Phase.COMPLETED
    assert [c.response.status_code for c in rsps.calls] == [200, 503, 200]


def test_wait_returns_error_jobs(
    rsps: Rsps, client: Client, job_xml: JobXml, fake_clock: Any
) -> None:
    rsps.get(JOB, body=job_xml(phase="ERROR"), content_type=XML)
    assert client.wait("2a3490", clock=fake_clock, sleep=fake_clock.sleep).phase is Phase.ERROR


# --- downloads -----------------------------------------------------------------------


@pytest.mark.parametrize("href", [None, "uws:executing:10", "file:///etc/passwd", "results/x"])
def test_download_refuses_non_http(client: Client, tmp_path: Path, href: Any) -> None:
    with pytest.raises(UnsafeURL):
        client.download(Result(id="x", href=href), tmp_path / "x")


def test_download_uses_the_client_settings_and_the_results_facts(
    rsps: Rsps, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    # The result's size and hash are checked, its credentials sent home only, its progress
    # reported, overwrite honoured: through the client's one transport.
    client = make_client(auth=(USER, TOKEN), timeout=(3.0, 7.0))
    content = b"result bytes"
    href = "https://uws.example.org/store?ID=6b2aa7"
    rsps.get(href, body=content, headers={"Content-Length": str(len(content))})
    digest = hashlib.sha1(content).hexdigest().upper()  # noqa: S324
    right = Result(id="a.cdf", href=href, size=len(content), attributes={"hash": digest})
    calls: list[tuple[int, Any]] = []
    dest = tmp_path / "a.cdf"
    dest.write_bytes(b"old")
    path = client.download(
        right, str(dest), progress=lambda d, t: calls.append((d, t)), overwrite=True
    )
    assert path == dest
    assert dest.read_bytes() == content
    assert calls[-1] == (len(content), len(content))
    assert rsps.calls[0].request.headers["Authorization"] == basic(USER, TOKEN)
    assert rsps.calls[0].request.headers["Accept-Encoding"] == "identity"
    wrong_size = Result(id="b", href=href, size=len(content) + 1)
    with pytest.raises(IntegrityError, match="expected"):
        client.download(wrong_size, tmp_path / "b")
    wrong_hash = Result(id="c", href=href, attributes={"hash": "0" * 40})
    with pytest.raises(IntegrityError, match="SHA-1"):
        client.download(wrong_hash, tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.cdf"]


def test_download_of_a_file_already_there_is_present_and_fetches_nothing(
    rsps: Rsps, client: Client, tmp_path: Path
) -> None:
    content = b"result bytes"
    href = "https://uws.example.org/store?ID=6b2aa7"
    rsps.get(href, body=content)
    result = Result(id="a", href=href, attributes={"hash": hashlib.sha1(content).hexdigest()})  # noqa: S324
    (tmp_path / "a").write_bytes(content)
    assert client.download(result, tmp_path / "a") == tmp_path / "a"
    assert len(rsps.calls) == 0
    (tmp_path / "b").write_bytes(b"something else")
    with pytest.raises(InvalidRequest, match="already exists"):
        client.download(result, tmp_path / "b")
    assert len(rsps.calls) == 0
    assert (tmp_path / "b").read_bytes() == b"something else"


def test_download_real_file_verified(rsps: Rsps, client: Client, tmp_path: Path) -> None:
    content = os.urandom(3000)
    href = "https://uws.example.org/store?ID=6b2aa7"
    rsps.get(href, body=content, headers={"Content-Length": str(len(content))})
    result = Result(id="a.cdf", href=href, attributes={"hash": hashlib.sha1(content).hexdigest()})  # noqa: S324
    path = client.download(result, tmp_path / "a.cdf")
    assert path.read_bytes() == content


@pytest.mark.parametrize("status", [307, 308])
def test_post_answered_repeat_elsewhere_is_an_error(
    rsps: Rsps, client: Client, status: int
) -> None:
    # 307/308 mean the request was not processed: PHASE=RUN did not happen.
    rsps.post(JOB + "/phase", status=status, headers={"Location": "https://other.example.org/x"})
    with pytest.raises(HTTPStatusError, match="redirect"):
        client.run_job("2a3490")
    assert len(rsps.calls) == 1


# --- DaCHS answers refusals with HTTP 200 and a VOTable error ----------------------------


def test_post_answered_200_with_votable_error_raises(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    rsps.post(
        JOB + "/parameters", body=docs["votable_error"], content_type="application/x-votable+xml"
    )
    with pytest.raises(ServiceErrorDocument) as info:
        client.set_parameters("2a3490", {"sleep": 3})
    assert info.value.status == 200
    assert info.value.server_message


def test_job_url_has_no_wait_query(rsps: Rsps, client: Client, job_xml: Any) -> None:
    rsps.get(JOB, body=job_xml(), content_type="text/xml")
    job = client.get_job("2a3490", wait=5, phase="EXECUTING")
    assert job.url == JOB


def test_time_strings_with_an_offset_are_sent_in_utc(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    rsps.post(JOB + "/destruction", status=303, headers={"Location": JOB})
    client.set_destruction("2a3490", "2026-12-24T23:39:01+01:00")
    assert form(rsps.calls[0]) == [("DESTRUCTION", "2026-12-24T22:39:01Z")]
    rsps.get(BASE, body=docs["job_list"], content_type="text/xml")
    client.get_job_list(after="2026-11-24T10:00:00")  # a naive string goes as given
    assert query(rsps.calls[1]) == [("AFTER", "2026-11-24T10:00:00")]


def test_get_parameter_falls_back_to_the_parameter_list(
    rsps: Rsps, client: Client, docs: dict[str, bytes]
) -> None:
    # DaCHS has no <job>/parameters/<name>: it answers 200 with a VOTable error.
    rsps.get(
        JOB + "/parameters/BRANCH",
        body=docs["votable_error"],
        content_type="application/x-votable+xml",
    )
    rsps.get(JOB + "/parameters", body=docs["parameters"], content_type="text/xml")
    assert client.get_parameter("2a3490", "BRANCH") == "master"  # case-folded match
    rsps.get(
        JOB + "/parameters/nope",
        body=docs["votable_error"],
        content_type="application/x-votable+xml",
    )
    with pytest.raises(NotFound, match="no parameter 'nope'"):
        client.get_parameter("2a3490", "nope")


# --- Client.download_many ----------------------------------------------------------------


@pytest.mark.parametrize("href", [None, "uws:executing:10", "file:///etc/passwd", "results/x"])
def test_download_many_refuses_non_http_before_any_request(
    rsps: Rsps, client: Client, tmp_path: Path, href: Any
) -> None:
    good = "https://uws.example.org/store?ID=1"
    rsps.get(good, body=b"data")
    pairs = [
        (Result(id="a", href=good), tmp_path / "a"),
        (Result(id="x", href=href), tmp_path / "x"),
    ]
    with pytest.raises(UnsafeURL, match="not an http"):
        client.download_many(pairs)
    assert len(rsps.calls) == 0
    assert list(tmp_path.iterdir()) == []


def test_download_many_reports_each_item_in_order(
    rsps: Rsps, client: Client, tmp_path: Path
) -> None:
    # saved, present (verified, not fetched), failed with its error: the others go on.
    ok, there, bad, late = (f"https://uws.example.org/store?ID={n}" for n in range(4))
    for href, body in ((ok, b"ok"), (there, b"there"), (late, b"late")):
        rsps.get(href, body=body)
    rsps.get(bad, status=404, body=b"no such result")
    (tmp_path / "there").write_bytes(b"there")
    sha1 = hashlib.sha1(b"there").hexdigest()  # noqa: S324
    pairs = [
        (ok, tmp_path / "ok"),
        (Result(id="there", href=there, attributes={"hash": sha1}), tmp_path / "there"),
        (bad, str(tmp_path / "bad")),
        (late, tmp_path / "late"),
    ]
    report = client.download_many(pairs, max_workers=1)
    assert [o.status for o in report] == [
        DownloadStatus.SAVED,
        DownloadStatus.PRESENT,
        DownloadStatus.FAILED,
        DownloadStatus.SAVED,
    ]
    assert [o.path for o in report] == [tmp_path / n for n in ("ok", "there", "bad", "late")]
    assert report.paths == (tmp_path / "ok", tmp_path / "there", tmp_path / "late")
    assert [o.path.name for o in report.saved] == ["ok", "late"]
    assert [o.path.name for o in report.present] == ["there"]
    (failed,) = report.failed
    assert isinstance(failed.error, DownloadError)
    assert failed.error.status == 404
    assert "404" in str(failed.error)
    assert not report.ok
    with pytest.raises(DownloadError, match="404"):
        report.raise_for_failures()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late", "ok", "there"]
    assert [c.request.url for c in rsps.calls] == [ok, bad, late]  # "there" not fetched


def test_download_many_real_files_in_order_credentials_only_home(
    rsps: Rsps, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    client = make_client(auth=(USER, TOKEN))
    contents = [os.urandom(2000 + n) for n in range(5)]
    pairs = []
    for n, content in enumerate(contents):
        host = "https://uws.example.org" if n % 2 == 0 else "https://store.example.net"
        href = f"{host}/store?ID={n}"
        rsps.get(href, body=content, headers={"Content-Length": str(len(content))})
        sha1 = hashlib.sha1(content).hexdigest()  # noqa: S324
        pairs.append((Result(id=f"r{n}", href=href, attributes={"hash": sha1}), tmp_path / f"r{n}"))
    seen: list[tuple[str, int, Any]] = []
    report = client.download_many(
        pairs,
        max_workers=3,
        progress=lambda item, done, total: seen.append((item.dest.name, done, total)),
    )
    assert report.ok
    paths = list(report.paths)
    assert paths == [dest for _, dest in pairs]
    assert [p.read_bytes() for p in paths] == contents
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"r{n}" for n in range(5)]  # no .part
    for call in rsps.calls:
        sent = call.request.headers.get("Authorization")
        home = urlsplit(call.request.url).hostname == "uws.example.org"
        assert sent == (basic(USER, TOKEN) if home else None)
    assert {(name, total) for name, done, total in seen if done == total} == {
        (f"r{n}", len(c)) for n, c in enumerate(contents)
    }


def test_download_many_keeps_completed_files_and_reports_the_failure(
    rsps: Rsps, client: Client, tmp_path: Path
) -> None:
    rsps.get("https://uws.example.org/a", body=b"aaa")
    rsps.get("https://uws.example.org/b", status=404, body=b"no")
    pairs = [
        ("https://uws.example.org/a", tmp_path / "a"),
        ("https://uws.example.org/b", tmp_path / "b"),
    ]
    report = client.download_many(pairs, max_workers=1)
    with pytest.raises(DownloadError, match="404"):
        report.raise_for_failures()
    assert (tmp_path / "a").read_bytes() == b"aaa"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


# --- errors declare what they carry -------------------------------------------------------


def _every_error_class() -> list[type]:
    import inspect

    import uws_lite.errors as errors

    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


def _declared(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
    return names


def test_every_attribute_an_error_carries_is_declared_on_its_class() -> None:
    from uws_lite.models import Job

    job = Job(job_id="j1", phase=Phase.ERROR)
    samples = {
        "message": "m",
        "url": "https://u:p@uws.example.org/x",
        "status": 404,
        "job": job,
        "timeout": 3.0,
        "path": "/home/x/.netrc",
        "job_url": JOB,
        "job_id": "2a3490",
    }
    import inspect

    for cls in _every_error_class():
        params = inspect.signature(cls.__init__).parameters
        kwargs = {n: samples[n] for n in params if n in samples and n != "message"}
        args = ["m"] if "message" in params else []
        error = cls(*args, **kwargs)
        undeclared = set(vars(error)) - _declared(cls)
        assert not undeclared, (cls.__name__, undeclared)
        assert "url" not in vars(error) or "p@" not in str(vars(error)["url"])
    assert {"job_id", "job_url"} <= _declared(ServerError)
    assert {"url", "status"} <= _declared(IntegrityError)


def test_a_creation_that_fails_later_names_the_job_on_the_error(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    rsps.post(BASE, status=303, headers={"Location": JOB})
    rsps.post(JOB + "/phase", status=500, body=b"<pre>cannot run</pre>", content_type="text/html")
    client = make_client(retries=0)
    with pytest.raises(ServerError) as info:
        client.new_job({"runId": "x"}, run=True)
    assert (info.value.job_id, info.value.job_url) == ("2a3490", JOB)
    rsps.post(BASE, status=500, body=b"<pre>no</pre>", content_type="text/html")
    with pytest.raises(ServerError) as info:
        client.new_job({"runId": "y"})
    assert (info.value.job_id, info.value.job_url) == (None, None)  # no job is known


def test_ctrl_c_after_the_creation_names_the_job_and_is_still_a_keyboard_interrupt(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    from uws_lite.errors import CreationInterrupted

    rsps.post(BASE, status=303, headers={"Location": JOB})

    def interrupted(request: Any) -> Any:
        raise KeyboardInterrupt  # Ctrl-C while the new job is fetched

    rsps.add_callback(responses.GET, JOB, callback=interrupted)
    client = make_client()
    with pytest.raises(KeyboardInterrupt) as info:
        client.new_job({"runId": "x"})
    assert isinstance(info.value, CreationInterrupted)
    assert (info.value.job_id, info.value.job_url) == ("2a3490", JOB)
