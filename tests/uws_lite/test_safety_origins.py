"""Credentials from any source never reach another origin on a redirect (issue 11, point 5):
``auth=``, ``session.auth``, session-level ``Authorization``/``Cookie``/``Proxy-Authorization``
headers and jar cookies, for API requests and downloads alike. Two real loopback servers on
different ports: "home" (the service) redirects, "elsewhere" records what arrives."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

from uws_lite import Client
from uws_lite.errors import UWSError


class _Recorder:
    def __init__(self) -> None:
        self.seen: List[Dict[str, str]] = []
        self.redirect_to: Optional[str] = None
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self) -> Any:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.seen.append({k: v for k, v in self.headers.items()})
                if recorder.redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", recorder.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"result bytes"
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Recorder, _Recorder]]:
    home, elsewhere = _Recorder(), _Recorder()
    home.redirect_to = elsewhere.url
    try:
        yield home, elsewhere
    finally:
        home.close()
        elsewhere.close()


SECRET_HEADERS = {
    "Authorization": "Bearer session-header-secret",
    "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
    "Cookie": "session=cookie-secret",
}


def _session(home_url: str) -> requests.Session:
    s = requests.Session()
    s.headers.update(SECRET_HEADERS)
    s.cookies.set("jar", "jar-secret", domain="127.0.0.1")
    return s


def _assert_clean(seen: List[Dict[str, str]]) -> None:
    assert seen, "the redirect was not followed"
    for headers in seen:
        lowered = {k.lower() for k in headers}
        assert not lowered & {"authorization", "proxy-authorization", "cookie"}, headers


def test_session_headers_do_not_follow_an_api_redirect(
    servers: tuple[_Recorder, _Recorder],
) -> None:
    home, elsewhere = servers
    with _session(home.url) as s:
        client = Client(home.url + "/rest/ExPRES", session=s, retries=0)
        with pytest.raises(UWSError):  # the other server's answer is no job document
            client.get_job("abc")
    assert home.seen[0]["Authorization"] == "Bearer session-header-secret"  # home: kept
    _assert_clean(elsewhere.seen)


@pytest.mark.parametrize("how", ["auth", "session.auth"])
def test_auth_does_not_follow_an_api_redirect(
    servers: tuple[_Recorder, _Recorder], how: str
) -> None:
    home, elsewhere = servers
    with requests.Session() as s:
        if how == "auth":
            client = Client(home.url + "/rest/ExPRES", auth=("alice", "tok-1234"), session=s)
        else:
            s.auth = ("alice", "tok-1234")
            client = Client(home.url + "/rest/ExPRES", session=s)
        with pytest.raises(UWSError):
            client.get_job("abc")
    assert home.seen[0]["Authorization"].startswith("Basic ")
    _assert_clean(elsewhere.seen)


def test_session_headers_do_not_follow_a_download_redirect(
    servers: tuple[_Recorder, _Recorder], tmp_path: Path
) -> None:
    home, elsewhere = servers
    with _session(home.url) as s:
        client = Client(home.url + "/rest/ExPRES", auth=("alice", "tok-1234"), session=s)
        client.download(home.url + "/rest/ExPRES/abc/results/r", tmp_path / "r")
    assert (tmp_path / "r").read_bytes() == b"result bytes"
    assert "Cookie" in home.seen[0]
    assert "Authorization" in home.seen[0]
    _assert_clean(elsewhere.seen)


def test_jar_cookies_do_not_follow_an_api_redirect_to_another_port(
    servers: tuple[_Recorder, _Recorder],
) -> None:
    # Cookies are not port-scoped: a jar cookie for 127.0.0.1 would reach any port.
    home, elsewhere = servers
    with requests.Session() as s:
        s.cookies.set("jar", "jar-secret", domain="127.0.0.1")
        client = Client(home.url + "/rest/ExPRES", session=s, retries=0)
        with pytest.raises(UWSError):
            client.get_job("abc")
    assert home.seen[0]["Cookie"] == "jar=jar-secret"
    _assert_clean(elsewhere.seen)
