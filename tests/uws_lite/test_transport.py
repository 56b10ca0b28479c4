"""uws_lite.transport: timeouts, retry policy, sessions, answers, status and error mapping."""

from __future__ import annotations

import http.server
import socket
import threading
from typing import Any, ClassVar, Iterator

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from uws_lite import transport as t
from uws_lite._answers import MAX_ERROR_BODY, MAX_REDIRECTS, Reply
from uws_lite._retry import CappedRetry, make_retry
from uws_lite.errors import (
    AuthenticationError,
    ConnectionFailed,
    ForbiddenError,
    HTTPStatusError,
    InvalidRequest,
    JobNotFound,
    NotFound,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
)

URL = "https://uws.example.org/rest/ExPRES"


def make_transport(**kwargs: Any) -> t.Transport:
    options: dict[str, Any] = {"timeout": (5.0, 30.0), "retries": 2}
    options.update(kwargs)
    return t.Transport(URL, **options)


# --- timeouts ------------------------------------------------------------------------


def test_timeouts_from_number_and_pair() -> None:
    assert t.Timeouts.of(7).as_tuple() == (7.0, 7.0)
    assert t.Timeouts.of((3, 60.5)).as_tuple() == (3.0, 60.5)


@pytest.mark.parametrize("bad", [0, -1, True, "10", (1, 2, 3), (1, 0), (None, 5)])
def test_timeouts_refuse_nonsense(bad: Any) -> None:
    with pytest.raises(InvalidRequest):
        t.Timeouts.of(bad)


def test_timeouts_read_extension_only_grows() -> None:
    base = t.Timeouts(5.0, 30.0)
    assert base.with_read_at_least(70).as_tuple() == (5.0, 70.0)
    assert base.with_read_at_least(10) is base
    assert base.with_read_at_least(None) is base


# --- retry policy --------------------------------------------------------------------


def test_retry_policy_retries_idempotent_methods_only() -> None:
    retry = make_retry(4)
    assert retry.total == 4
    assert {429, 502, 503, 504} <= set(retry.status_forcelist or ())
    for method in ("GET", "HEAD", "DELETE", "PUT", "OPTIONS"):
        assert retry.is_retry(method, 503)
    assert not retry.is_retry("POST", 503)
    assert not retry.is_retry("GET", 500)
    assert retry.raise_on_status is False


@pytest.mark.parametrize("bad", [-1, True, 1.5, "3"])
def test_retry_count_validated(bad: Any) -> None:
    with pytest.raises(InvalidRequest):
        make_retry(bad)


def _response(retry_after: str) -> HTTPResponse:
    return HTTPResponse(body=b"", status=503, headers={"Retry-After": retry_after})


def test_retry_after_is_capped() -> None:
    retry = make_retry(3, max_retry_after=120)
    assert retry.get_retry_after(_response("3600")) == 120
    assert retry.get_retry_after(_response("7")) == 7


def test_retry_after_unparsable_falls_back_to_backoff() -> None:
    assert make_retry(3).get_retry_after(_response("soon, maybe")) is None


def test_retry_cap_survives_increment() -> None:
    # urllib3 builds a new Retry per attempt with Retry.new(): the cap must follow.
    retry = make_retry(3, max_retry_after=5)
    later = retry.increment(method="GET", url="/x", response=_response("100"))
    assert isinstance(later, CappedRetry)
    assert later.max_retry_after == 5
    assert later.get_retry_after(_response("100")) == 5


def test_retry_sleep_uses_capped_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    make_retry(3, max_retry_after=42).sleep(_response("3600"))
    assert slept == [42]


# --- sessions and adapters -----------------------------------------------------------


def test_own_session_gets_retrying_adapters_and_is_closed() -> None:
    transport = make_transport(retries=3)
    adapter = transport.session.get_adapter(URL)
    assert isinstance(adapter, HTTPAdapter)
    assert adapter.max_retries.total == 3
    assert transport.session.get_adapter("http://other.org/").max_retries.total == 3
    closed: list[bool] = []
    transport.session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    transport.close()
    assert closed == [True]


def test_caller_session_with_stock_adapter_gets_retries_for_the_service_only() -> None:
    session = requests.Session()
    transport = make_transport(session=session, retries=3)
    assert session.get_adapter(URL).max_retries.total == 3
    assert not session.get_adapter("https://elsewhere.org/").max_retries.total
    closed: list[bool] = []
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    transport.close()
    assert closed == []


@pytest.mark.parametrize("retries", [7, Retry(total=None, connect=2)])
def test_caller_session_with_own_retry_policy_is_left_alone(retries: Any) -> None:
    session = requests.Session()
    mine = HTTPAdapter(max_retries=retries)
    session.mount("https://", mine)
    make_transport(session=session, retries=3)
    assert session.get_adapter(URL) is mine


def test_caller_session_with_own_adapter_class_is_left_alone() -> None:
    class Custom(HTTPAdapter):
        pass

    session = requests.Session()
    mine = Custom()
    session.mount("https://", mine)
    make_transport(session=session, retries=3)
    assert session.get_adapter(URL) is mine


# --- replies -------------------------------------------------------------------------


def _reply(**kwargs: Any) -> Reply:
    options: dict[str, Any] = {
        "method": "GET",
        "url": URL + "/abc",
        "status": 200,
        "reason": "OK",
        "headers": {},
        "body": b"",
    }
    options.update(kwargs)
    return Reply(**options)


def test_reply_content_type_and_location() -> None:
    reply = _reply(
        headers=requests.structures.CaseInsensitiveDict(
            {"content-type": "Text/XML; charset=UTF-8", "location": "../ExPRES/def"}
        )
    )
    assert reply.content_type == "text/xml"
    assert reply.location == "https://uws.example.org/rest/ExPRES/def"
    assert _reply().content_type is None
    assert _reply().location is None


def test_reply_text_uses_charset() -> None:
    reply = _reply(
        headers={"Content-Type": "text/plain; charset=latin-1"}, body="é".encode("latin-1")
    )
    assert reply.text() == "é"
    assert (
        _reply(headers={"Content-Type": "text/plain; charset=nonsense"}, body=b"ok").text() == "ok"
    )


def test_reply_html_sniffing() -> None:
    assert _reply(headers={"Content-Type": "text/html"}).looks_like_html()
    assert _reply(body=b"  <!DOCTYPE html><html></html>").looks_like_html()
    assert not _reply(body=b"<uws:job/>", headers={"Content-Type": "text/xml"}).looks_like_html()


# --- status checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, HTTPStatusError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFound),
        (418, HTTPStatusError),
        (429, HTTPStatusError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_check_maps_statuses(status: int, cls: type) -> None:
    with pytest.raises(cls) as info:
        make_transport().check(_reply(status=status, reason="Reason", body=b"boom"))
    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert f"HTTP {status}" in str(error)
    assert URL + "/abc" in str(error)
    assert "boom" in str(error)


def test_check_uses_the_given_not_found_class() -> None:
    with pytest.raises(JobNotFound):
        make_transport().check(_reply(status=404), not_found=JobNotFound)


def test_check_accepts_any_2xx_and_redirects_when_asked() -> None:
    transport = make_transport()
    for status in (200, 201, 202, 204, 299):
        transport.check(_reply(status=status))
    for status in (301, 302, 303):
        transport.check(_reply(status=status, headers={"Location": URL}), redirect_ok=True)
    for status in (307, 308):
        with pytest.raises(HTTPStatusError, match="redirect"):
            transport.check(_reply(status=status, headers={"Location": URL}), redirect_ok=True)
    with pytest.raises(HTTPStatusError, match="redirect"):
        transport.check(_reply(status=303, headers={"Location": URL}))


def test_check_scrubs_credentials_echoed_by_the_server() -> None:
    transport = make_transport(auth=("alice", "0b5e7f8a-6d2c-4c1e"))
    body = b"<pre>bad token 0b5e7f8a-6d2c-4c1e for alice</pre>"
    with pytest.raises(ForbiddenError) as info:
        transport.check(_reply(status=403, body=body, headers={"Content-Type": "text/html"}))
    error = info.value
    for text in (str(error), error.body_excerpt, error.server_message or ""):
        assert "0b5e7f8a-6d2c-4c1e" not in text
    assert "***" in str(error)


def test_xml_body_refuses_json() -> None:
    with pytest.raises(ParseError, match="JSON"):
        make_transport().xml_body(
            _reply(headers={"Content-Type": "application/json"}, body=b"{}"), "a job"
        )


def test_text_body_refuses_html_with_message() -> None:
    reply = _reply(
        headers={"Content-Type": "text/html"}, body=b"<html><pre>Please log in</pre></html>"
    )
    with pytest.raises(ServiceErrorDocument, match="Please log in") as info:
        make_transport().text_body(reply, "the phase")
    assert info.value.status == 200


# --- sending -------------------------------------------------------------------------


def test_send_reads_at_most_max_body(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, body=b"x" * 5000)
    with pytest.raises(ParseError, match="larger than 1000 bytes"):
        make_transport().send("GET", URL, max_body=1000)


def test_error_bodies_are_read_bounded(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, body=b"y" * (MAX_ERROR_BODY + 10), status=500)
    reply = make_transport().send("GET", URL, max_body=10)
    assert reply.status == 500
    assert len(reply.body) == MAX_ERROR_BODY


def test_send_follows_get_redirects_only_when_asked(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, status=302, headers={"Location": URL + "/"})
    rsps.get(URL + "/", body=b"here")
    transport = make_transport()
    assert transport.send("GET", URL, max_body=100).status == 302
    reply = transport.send("GET", URL, max_body=100, follow_redirects=True)
    assert (reply.status, reply.body, reply.url) == (200, b"here", URL + "/")


def test_send_stops_after_five_redirects(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, status=302, headers={"Location": URL})
    reply = make_transport().send("GET", URL, max_body=100, follow_redirects=True)
    assert reply.status == 302
    assert len(rsps.calls) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (requests.ConnectionError("reset by peer"), ConnectionFailed),
        (requests.ReadTimeout("read timed out"), RequestTimeout),
        (requests.ConnectTimeout("connect timed out"), RequestTimeout),
        (requests.exceptions.ChunkedEncodingError("broken"), ConnectionFailed),
        (requests.exceptions.InvalidHeader("bad header"), InvalidRequest),
    ],
)
def test_requests_exceptions_become_uws_errors(
    rsps: responses.RequestsMock, exc: Exception, cls: type
) -> None:
    rsps.get(URL, body=exc)
    with pytest.raises(cls) as info:
        make_transport().send("GET", URL, max_body=100)
    assert not isinstance(info.value, requests.RequestException)
    assert URL in str(info.value)


def test_refused_connection_is_connection_failed_after_retries() -> None:
    # A real socket: a closed loopback port refuses at once; urllib3 retries, then gives up.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/rest/ExPRES"
    transport = t.Transport(url, timeout=(2.0, 2.0), retries=1)
    with pytest.raises(ConnectionFailed, match="could not reach"):
        transport.send("GET", url, max_body=100)
    transport.close()


def test_user_agent_and_accept(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, body=b"")
    make_transport().send("GET", URL, max_body=100)
    headers = rsps.calls[0].request.headers
    assert headers["Accept"] == "application/xml, text/plain"
    assert headers["User-Agent"].startswith("uws_lite/")
    assert "IVOA" in headers["User-Agent"]


def test_caller_user_agent_is_kept(rsps: responses.RequestsMock) -> None:
    rsps.get(URL, body=b"")
    session = requests.Session()
    session.headers["User-Agent"] = "my-pipeline/2"
    make_transport(session=session).send("GET", URL, max_body=100)
    assert rsps.calls[0].request.headers["User-Agent"] == "my-pipeline/2"


# --- the real urllib3 retry path (responses only emulates it) ---------------------------


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 (Retry-After: 0) to the first request of each method, then 200.

    Once only: urllib3's backoff before a second retry would cost the suite a second."""

    hits: ClassVar[dict[str, int]] = {}

    def _answer(self) -> None:
        count = self.hits.get(self.command, 0) + 1
        self.hits[self.command] = count
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if count <= 1:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            body = b"busy"
        else:
            self.send_response(200)
            body = b"fine"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _Flaky.hits = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rest/ExPRES"
    server.shutdown()
    server.server_close()
    thread.join()


def test_loopback_get_and_delete_retried_post_not(flaky_server: str) -> None:
    transport = t.Transport(flaky_server, timeout=(5.0, 5.0), retries=3)
    try:
        assert transport.send("GET", flaky_server, max_body=100).body == b"fine"
        assert transport.send("DELETE", flaky_server, max_body=100).status == 200
        post = transport.send("POST", flaky_server, data=[("a", "b")], max_body=100)
        assert post.status == 503
    finally:
        transport.close()
    assert _Flaky.hits == {"GET": 2, "DELETE": 2, "POST": 1}


# --- one path: the credential rule at every hop, for API requests and downloads ------------


class _Hop(http.server.BaseHTTPRequestHandler):
    """``/a`` redirects to the other server's ``/b``, which redirects back to ``/c``."""

    seen: ClassVar[list[tuple[int, str, dict[str, str]]]] = []
    other: ClassVar[dict[int, str]] = {}

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        self.seen.append((port, self.path, dict(self.headers.items())))
        if self.path in ("/a", "/b"):
            self.send_response(302)
            self.send_header("Location", self.other[port] + {"/a": "/b", "/b": "/c"}[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"arrived"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def two_origins() -> Iterator[tuple[str, str]]:
    _Hop.seen = []
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hop) for _ in range(2)]
    urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    _Hop.other = {
        servers[0].server_address[1]: urls[1],
        servers[1].server_address[1]: urls[0],
    }
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield urls[0], urls[1]
    for server, thread in zip(servers, threads):
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("way", ["send", "stream"])
def test_session_credentials_never_reach_another_origin_on_any_hop(
    two_origins: tuple[str, str], way: str
) -> None:
    # home /a -> elsewhere /b -> home /c: a session-wide Authorization header and a jar
    # cookie (not port-scoped) go home, both times, never elsewhere; API requests (send)
    # and downloads (stream) take the same path.
    home, elsewhere = two_origins
    session = requests.Session()
    session.headers["Authorization"] = "Bearer session-secret"
    session.cookies.set("jar", "jar-secret", domain="127.0.0.1")
    transport = t.Transport(home + "/rest/ExPRES", session=session, timeout=5.0, retries=0)
    if way == "send":
        reply = transport.send("GET", home + "/a", max_body=100, follow_redirects=True)
        assert (reply.status, reply.body, reply.url, reply.redirects) == (
            200,
            b"arrived",
            home + "/c",
            2,
        )
    else:
        with transport.stream(home + "/a", headers={"Accept-Encoding": "identity"}) as opened:
            assert (opened.url, opened.redirects) == (home + "/c", 2)
            assert opened.response.raw.read() == b"arrived"
    ports = [int(url.rsplit(":", 1)[1]) for url in (home, elsewhere, home)]
    assert [(port, path) for port, path, _ in _Hop.seen] == list(zip(ports, ["/a", "/b", "/c"]))
    hops = [(path, headers) for _, path, headers in _Hop.seen]
    for path, headers in hops:
        lowered = {k.lower(): v for k, v in headers.items()}
        if path == "/b":
            assert not {"authorization", "cookie", "proxy-authorization"} & set(lowered)
        else:
            assert lowered["authorization"] == "Bearer session-secret"
            assert lowered["cookie"] == "jar=jar-secret"


def test_too_many_redirects_say_so_for_api_requests_and_downloads(
    rsps: responses.RequestsMock,
) -> None:
    # One loop, one limit, one wording: the last redirect answer comes back, and its error
    # (the one status table) says the server loops.
    rsps.get(URL, status=302, headers={"Location": URL})
    transport = make_transport()
    reply = transport.send("GET", URL, max_body=100, follow_redirects=True)
    with transport.stream(URL, headers={}) as opened:
        streamed, _ = opened.read_reply(100)
    for answer in (reply, streamed):
        assert (answer.status, answer.redirects) == (302, MAX_REDIRECTS)
        error = transport.status_error(answer)
        assert f"redirected more than {MAX_REDIRECTS} times" in str(error)
    assert len(rsps.calls) == 2 * (MAX_REDIRECTS + 1)
