"""uws_lite.download (and its engine, uws_lite._transfer and _batch): streaming, atomic,
resumable, verified downloads, one outcome per item.

Most tests use a real loopback HTTP server (started here) because broken connections,
resumes and redirects need real sockets; the server records every request's headers
and counts the body bytes it sent. `responses` covers the cases a mock shows as well.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import responses
from requests.auth import HTTPBasicAuth

from uws_lite._answers import MAX_REDIRECTS
from uws_lite.download import DownloadItem, DownloadStatus
from uws_lite.errors import DownloadError, IntegrityError, InvalidRequest, UnsafeURL

from .engine import fetch_many, fetch_one

DATA = os.urandom(3 * (1 << 20) + 12345)  # not a multiple of any chunk size


def sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


SHA1 = sha1(DATA)
CHUNK = 64 * 1024


# --- the loopback server ----------------------------------------------------------------


@dataclass
class Route:
    """How the server answers one path."""

    data: bytes = DATA
    ranges: bool = True  # honour Range (and If-Range)
    etag: Optional[str] = '"v1"'
    break_at: Optional[int] = None  # absolute offset where the body is cut...
    breaks: int = 0  # ...for this many answers
    break_mode: str = "fin"  # "fin": orderly close; "rst": TCP reset
    claimed_length: Optional[int] = None  # a Content-Length that lies
    no_length: bool = False  # close-delimited body, no Content-Length
    chunked_no_end: bool = False  # chunked body whose last chunk never comes
    redirect: Optional[str] = None
    status: int = 200
    content_encoding: Optional[str] = None
    replace_after_first: Optional[bytes] = None  # the file changes after one answer
    stall_once: float = 0.0  # seconds of silence in the middle of the first answer


@dataclass
class Seen:
    path: str
    headers: Dict[str, str]


@dataclass
class ServerState:
    routes: Dict[str, Route] = field(default_factory=dict)
    requests: List[Seen] = field(default_factory=list)
    sent: Dict[str, int] = field(default_factory=dict)  # body bytes per path
    lock: threading.Lock = field(default_factory=threading.Lock)
    served: Dict[str, threading.Event] = field(default_factory=dict)

    def seen(self, path: str) -> List[Seen]:
        return [r for r in self.requests if r.path == path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        path = self.path.split("?", 1)[0]
        with state.lock:
            state.requests.append(Seen(path, dict(self.headers.items())))
            route = state.routes.get(path)
        try:
            self._answer(path, route)
        finally:
            state.served.setdefault(path, threading.Event()).set()

    def _answer(self, path: str, route: Optional[Route]) -> None:
        if route is None or route.status != 200:
            body = b"no such result"
            self.send_response(404 if route is None else route.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if route.redirect is not None:
            self.send_response(302)
            self.send_header("Location", route.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data, etag = route.data, route.etag
        if route.replace_after_first is not None:
            route.data, route.etag = route.replace_after_first, '"v2"'
            route.replace_after_first = None
        start = 0
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if route.ranges and wanted and (if_range is None or if_range == etag):
            start = int(wanted.split("=", 1)[1].split("-", 1)[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        if etag:
            self.send_header("ETag", etag)
        if route.content_encoding:
            self.send_header("Content-Encoding", route.content_encoding)
        body = data[start:]
        if route.chunked_no_end:
            route.chunked_no_end = False
            self._chunked_without_end(path, body)
            return
        if route.no_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            length = route.claimed_length if route.claimed_length is not None else len(data)
            self.send_header("Content-Length", str(length - start))
        self.end_headers()
        cut = None
        if route.breaks > 0 and route.break_at is not None and route.break_at > start:
            route.breaks -= 1
            cut = route.break_at - start
        if route.stall_once:
            stall, route.stall_once = route.stall_once, 0.0
            half = len(body) // 2
            self._send(path, body[:half])
            time.sleep(stall)
            body = body[half:]
        if cut is not None:
            self._send(path, body[:cut])
            self._break(route.break_mode)
            return
        self._send(path, body)
        if route.claimed_length is not None:
            self._break("fin")

    def _chunked_without_end(self, path: str, body: bytes) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n" % len(body))
        self._send(path, body)
        self.wfile.write(b"\r\n")  # ...and no terminating "0\r\n\r\n"
        self._break("fin")

    def _send(self, path: str, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError:
            return
        with self.server.state.lock:
            self.server.state.sent[path] = self.server.state.sent.get(path, 0) + len(data)

    def _break(self, mode: str) -> None:
        self.close_connection = True
        if mode == "rst":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            self.connection.shutdown(socket.SHUT_RDWR)


SERVER_THREAD = "loopback-server-handler"


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = ServerState()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # broken connections are what these tests are about

    def process_request(self, request: Any, client_address: Any) -> None:
        # Handler threads are named, so a test can tell them from the client's (Python 3.9
        # names them plain "Thread-N").
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=SERVER_THREAD,
            daemon=True,
        )
        thread.start()


def _serve() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    yield from _serve()


@pytest.fixture
def other_server() -> Iterator[LoopbackServer]:
    """A second origin (another port) to redirect to."""
    yield from _serve()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _leftovers(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def _get(
    session: requests.Session, server: LoopbackServer, path: str, dest: Path, **kwargs: object
) -> Path:
    kwargs.setdefault("auth", None)
    kwargs.setdefault("trusted_origin", server.origin)
    kwargs.setdefault("timeout", (5.0, 5.0))
    return fetch_one(session, server.url(path), dest, **kwargs)  # type: ignore[arg-type]


# --- normal downloads -------------------------------------------------------------------


def test_download_writes_the_file_and_nothing_else(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    dest = tmp_path / "result.cdf"
    assert _get(session, server, "/r", dest, sha1=SHA1, expected_size=len(DATA)) == dest
    assert dest.read_bytes() == DATA
    assert os.listdir(tmp_path) == ["result.cdf"]
    (request,) = server.state.seen("/r")
    assert request.headers["Accept-Encoding"] == "identity"
    assert "Range" not in request.headers


def test_sha1_is_compared_case_insensitively(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    _get(session, server, "/r", tmp_path / "x", sha1=SHA1.upper())
    assert (tmp_path / "x").read_bytes() == DATA


def test_parent_directories_are_created(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    dest = tmp_path / "a" / "b" / "x.cdf"
    _get(session, server, "/r", dest)
    assert dest.read_bytes() == DATA


def test_progress_is_monotonic_and_ends_at_the_size(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    calls: List[Tuple[int, Optional[int]]] = []
    _get(
        session,
        server,
        "/r",
        tmp_path / "x",
        progress=lambda d, t: calls.append((d, t)),
        chunk_size=CHUNK,
    )
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert done[0] == 0
    assert done[-1] == len(DATA)
    assert len(calls) > len(DATA) // CHUNK  # reported as chunks arrive, not only at the end
    assert {t for _, t in calls} == {len(DATA)}


def test_progress_total_is_none_without_a_length(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(no_length=True, ranges=False)
    calls: List[Tuple[int, Optional[int]]] = []
    _get(session, server, "/r", tmp_path / "x", progress=lambda d, t: calls.append((d, t)))
    assert (tmp_path / "x").read_bytes() == DATA
    assert {t for _, t in calls} == {None}
    assert calls[-1][0] == len(DATA)


def test_gzip_content_encoding_is_stored_as_sent(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # A server labelling a .gz file "Content-Encoding: gzip": the file is the gzip data,
    # as curl -o saves it, and OPUS's hash is the hash of those bytes.
    packed = gzip.compress(DATA[:50000])
    server.state.routes["/r.gz"] = Route(data=packed, content_encoding="gzip")
    _get(session, server, "/r.gz", tmp_path / "x.gz", sha1=sha1(packed))
    assert (tmp_path / "x.gz").read_bytes() == packed


def test_an_existing_destination_is_refused_before_any_request(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    dest = tmp_path / "x"
    dest.write_bytes(b"mine")
    with pytest.raises(InvalidRequest, match="already exists"):
        _get(session, server, "/r", dest)
    assert server.state.requests == []
    assert dest.read_bytes() == b"mine"
    _get(session, server, "/r", dest, overwrite=True)
    assert dest.read_bytes() == DATA


def test_a_directory_destination_is_refused(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    with pytest.raises(InvalidRequest, match="directory"):
        _get(session, server, "/r", tmp_path, overwrite=True)
    assert server.state.requests == []


def test_a_file_appearing_during_the_download_is_not_replaced(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    dest = tmp_path / "x"

    def meanwhile(done: int, total: Optional[int]) -> None:
        if done and not dest.exists():
            dest.write_bytes(b"someone else's")

    with pytest.raises(InvalidRequest, match="appeared"):
        _get(session, server, "/r", dest, progress=meanwhile)
    assert dest.read_bytes() == b"someone else's"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "href",
    [
        "uws:executing:10",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "/relative/path",
        "",
        "http://",
    ],
)
def test_only_http_urls_are_fetched(href: str, tmp_path: Path) -> None:
    class NoNetwork(requests.Session):
        def request(self, *args: object, **kwargs: object) -> requests.Response:
            raise AssertionError("no request may be made")

    with pytest.raises(UnsafeURL):
        fetch_one(NoNetwork(), href, tmp_path / "x", auth=None, trusted_origin="http://127.0.0.1")
    assert os.listdir(tmp_path) == []


def test_a_hash_that_is_not_sha1_is_not_checked(
    server: LoopbackServer,
    session: requests.Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Server-given: a truncated or MD5 "hash" cannot be checked and must not block.
    server.state.routes["/r"] = Route()
    _get(session, server, "/r", tmp_path / "x", sha1="739ace34\u2026")
    assert (tmp_path / "x").read_bytes() == DATA
    assert "not a SHA-1" in caplog.text


def test_bad_arguments_are_refused(session: requests.Session, tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/x"
    with pytest.raises(InvalidRequest, match="negative"):
        fetch_one(session, url, tmp_path / "x", auth=None, trusted_origin=url, expected_size=-1)
    with pytest.raises(InvalidRequest, match="not an http"):  # the service's origin
        fetch_one(session, url, tmp_path / "x", auth=None, trusted_origin="file:///")


# --- integrity ----------------------------------------------------------------------------


def test_hash_mismatch_raises_and_leaves_no_file(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    with pytest.raises(IntegrityError, match="SHA-1") as caught:
        _get(session, server, "/r", tmp_path / "x", sha1="0" * 40)
    assert os.listdir(tmp_path) == []
    assert caught.value.url == server.url("/r")


def test_announced_length_differing_from_expected_size_raises(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    calls: List[int] = []
    with pytest.raises(IntegrityError, match="expected"):
        _get(
            session,
            server,
            "/r",
            tmp_path / "x",
            expected_size=len(DATA) + 1,
            progress=lambda d, t: calls.append(d),
        )
    assert calls == []  # refused on the headers, before reading the body
    assert os.listdir(tmp_path) == []


def test_body_longer_than_expected_size_raises(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(no_length=True, ranges=False)
    with pytest.raises(IntegrityError):
        _get(session, server, "/r", tmp_path / "x", expected_size=len(DATA) - 10)
    assert os.listdir(tmp_path) == []


def test_content_length_lie_is_a_download_error_without_file(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # The server announces more than it ever sends: every attempt ends short.
    server.state.routes["/r"] = Route(claimed_length=len(DATA) + 1000, ranges=False)
    with pytest.raises(DownloadError, match="attempts") as caught:
        _get(session, server, "/r", tmp_path / "x", max_resumes=2)
    assert not isinstance(caught.value, IntegrityError)
    assert len(server.state.seen("/r")) == 3
    assert os.listdir(tmp_path) == []


# --- resume -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_reset_at_half_resumes_with_range(
    mode: str, server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    half = len(DATA) // 2
    server.state.routes["/r"] = Route(break_at=half, breaks=1, break_mode=mode)
    _get(session, server, "/r", tmp_path / "x", sha1=SHA1, chunk_size=CHUNK)
    assert (tmp_path / "x").read_bytes() == DATA
    first, second = server.state.seen("/r")
    assert "Range" not in first.headers
    resumed_at = int(second.headers["Range"].split("=")[1].rstrip("-"))
    assert second.headers["If-Range"] == '"v1"'
    if mode == "fin":  # every byte sent arrived: the resume asks for exactly the rest
        assert resumed_at == half
        assert server.state.sent["/r"] == len(DATA)
    else:  # a reset may drop bytes in flight, never more than the resume asks again
        assert 0 < resumed_at <= half
        assert server.state.sent["/r"] == half + len(DATA) - resumed_at
    assert _leftovers(tmp_path) == []


def test_reset_without_range_support_starts_again(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    half = len(DATA) // 2
    server.state.routes["/r"] = Route(break_at=half, breaks=1, ranges=False)
    calls: List[int] = []
    _get(
        session,
        server,
        "/r",
        tmp_path / "x",
        sha1=SHA1,
        chunk_size=CHUNK,
        progress=lambda d, t: calls.append(d),
    )
    assert (tmp_path / "x").read_bytes() == DATA
    assert len(server.state.seen("/r")) == 2
    assert server.state.sent["/r"] == half + len(DATA)
    assert max(calls[: calls.index(0, 1)]) == half  # went back to 0 when restarting
    assert calls[-1] == len(DATA)


def test_changed_file_is_downloaded_whole_again(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # If-Range carries the first ETag; the file changed, so the server sends it whole.
    new = os.urandom(len(DATA) - 100)
    server.state.routes["/r"] = Route(break_at=len(DATA) // 2, breaks=1, replace_after_first=new)
    _get(session, server, "/r", tmp_path / "x", sha1=sha1(new))
    assert (tmp_path / "x").read_bytes() == new
    assert server.state.seen("/r")[1].headers["If-Range"] == '"v1"'


def test_short_body_without_length_resumes_to_expected_size(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(no_length=True, etag=None, break_at=1000, breaks=1)
    _get(session, server, "/r", tmp_path / "x", expected_size=len(DATA))
    assert (tmp_path / "x").read_bytes() == DATA
    assert server.state.seen("/r")[1].headers["Range"] == "bytes=1000-"
    assert "If-Range" not in server.state.seen("/r")[1].headers


def test_broken_after_the_last_byte_is_completed_by_416(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # A chunked body whose terminating chunk is lost: every byte arrived, the resume's
    # Range starts at the end, and the server's 416 "bytes */<size>" confirms it.
    data = DATA[: 4 * CHUNK]  # whole chunks: the last read ends on the last byte
    server.state.routes["/r"] = Route(data=data, chunked_no_end=True)
    _get(session, server, "/r", tmp_path / "x", sha1=sha1(data), chunk_size=CHUNK)
    assert (tmp_path / "x").read_bytes() == data
    assert server.state.seen("/r")[1].headers["Range"] == f"bytes={len(data)}-"
    assert server.state.sent["/r"] == len(data)


def test_read_timeout_mid_body_resumes(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(stall_once=1.0)
    _get(session, server, "/r", tmp_path / "x", sha1=SHA1, timeout=(5.0, 0.3))
    assert (tmp_path / "x").read_bytes() == DATA
    assert len(server.state.seen("/r")) == 2
    assert "Range" in server.state.seen("/r")[1].headers


def test_more_resets_than_max_resumes_fails_cleanly(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(break_at=len(DATA) // 2, breaks=100, ranges=False)
    with pytest.raises(DownloadError, match="max_resumes"):
        _get(session, server, "/r", tmp_path / "x", max_resumes=2)
    assert len(server.state.seen("/r")) == 3
    assert os.listdir(tmp_path) == []


def test_a_stale_part_file_is_left_alone_not_resumed(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    stale = b"left by a killed process" * 1000
    (tmp_path / ".x.part").write_bytes(stale)
    server.state.routes["/r"] = Route()
    _get(session, server, "/r", tmp_path / "x", sha1=SHA1)
    assert (tmp_path / "x").read_bytes() == DATA
    assert "Range" not in server.state.seen("/r")[0].headers
    assert sorted(os.listdir(tmp_path)) == [".x.part", "x"]
    assert (tmp_path / ".x.part").read_bytes() == stale  # not ours: not touched


@responses.activate
def test_connection_refused_then_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: List[float] = []
    monkeypatch.setattr("uws_lite._transfer.time.sleep", sleeps.append)
    url = "http://uws.example/r"
    responses.get(url, body=requests.ConnectionError("refused"))
    responses.get(url, body=b"abc")
    fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert (tmp_path / "x").read_bytes() == b"abc"
    assert sleeps == [0.25]  # backs off when an attempt made no progress


@responses.activate
def test_connection_never_possible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("uws_lite._transfer.time.sleep", lambda s: None)
    url = "http://user:secret@uws.example/r?ID=1"
    responses.get("http://uws.example/r", body=requests.ConnectionError("refused"))
    with pytest.raises(DownloadError) as caught:
        fetch_one(
            requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url, max_resumes=3
        )
    assert len(responses.calls) == 4
    assert "secret" not in str(caught.value)
    assert "secret" not in caught.value.url
    assert "uws.example/r" in str(caught.value)


@responses.activate
def test_416_with_another_total_starts_again(tmp_path: Path) -> None:
    url = "http://uws.example/r"
    # First answer: 10 bytes announced, 4 sent (responses cannot break a socket, so the
    # short body is a lie in Content-Length with auto_calculate off).
    responses.get(
        url, body=b"abcd", headers={"Content-Length": "10"}, auto_calculate_content_length=False
    )
    responses.get(url, status=416, headers={"Content-Range": "bytes */7"})
    responses.get(url, body=b"abcdefg")
    fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert (tmp_path / "x").read_bytes() == b"abcdefg"
    assert [c.request.headers.get("Range") for c in responses.calls] == [None, "bytes=4-", None]


@responses.activate
def test_206_at_the_wrong_offset_starts_again(tmp_path: Path) -> None:
    url = "http://uws.example/r"
    responses.get(
        url, body=b"abcd", headers={"Content-Length": "10"}, auto_calculate_content_length=False
    )
    responses.get(url, status=206, body=b"abcdefghij", headers={"Content-Range": "bytes 0-9/10"})
    responses.get(url, body=b"abcdefghij")
    fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert (tmp_path / "x").read_bytes() == b"abcdefghij"
    assert [c.request.headers.get("Range") for c in responses.calls] == [None, "bytes=4-", None]


@responses.activate
@pytest.mark.parametrize(("status", "hint"), [(404, "gone"), (403, "may not"), (500, "later")])
def test_http_errors_are_download_errors(status: int, hint: str, tmp_path: Path) -> None:
    url = "http://uws.example/r"
    responses.get(url, status=status, body="<html>oops</html>")
    with pytest.raises(DownloadError, match=hint) as caught:
        fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert str(status) in str(caught.value)
    assert os.listdir(tmp_path) == []


@responses.activate
def test_tls_failure_is_not_retried(tmp_path: Path) -> None:
    url = "https://uws.example/r"
    responses.get(url, body=requests.exceptions.SSLError("bad certificate"))
    with pytest.raises(DownloadError, match="TLS"):
        fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert len(responses.calls) == 1


def test_disk_errors_are_download_errors(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match="could not write"):
        _get(session, server, "/r", blocker / "sub" / "x")


def test_interrupt_removes_the_part_file(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()

    def interrupt(done: int, total: Optional[int]) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _get(session, server, "/r", tmp_path / "x", progress=interrupt)
    assert os.listdir(tmp_path) == []


# --- redirects and credentials ----------------------------------------------------------


def test_redirect_to_another_origin_drops_credentials(
    server: LoopbackServer,
    other_server: LoopbackServer,
    session: requests.Session,
    tmp_path: Path,
) -> None:
    server.state.routes["/r"] = Route(redirect=other_server.url("/file"))
    other_server.state.routes["/file"] = Route()
    session.headers["Authorization"] = "Bearer session-wide-token"
    _get(session, server, "/r", tmp_path / "x", auth=HTTPBasicAuth("alice", "s3cret"), sha1=SHA1)
    assert (tmp_path / "x").read_bytes() == DATA
    (home,) = server.state.seen("/r")
    (away,) = other_server.state.seen("/file")
    assert home.headers["Authorization"].startswith("Basic ")
    assert "Authorization" not in away.headers


def test_redirect_within_the_origin_keeps_credentials(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(redirect="/store?ID=1")  # relative Location
    server.state.routes["/store"] = Route()
    _get(session, server, "/r", tmp_path / "x", auth=HTTPBasicAuth("alice", "s3cret"))
    assert (tmp_path / "x").read_bytes() == DATA
    assert [r.path for r in server.state.requests] == ["/r", "/store"]
    for seen in server.state.requests:
        assert seen.headers["Authorization"].startswith("Basic ")


def test_session_auth_is_not_sent_to_another_origin(
    server: LoopbackServer, other_server: LoopbackServer, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(redirect=other_server.url("/file"))
    other_server.state.routes["/file"] = Route()
    with requests.Session() as s:
        s.auth = ("alice", "s3cret")
        _get(s, server, "/r", tmp_path / "x", auth=HTTPBasicAuth("alice", "s3cret"))
    assert "Authorization" not in other_server.state.seen("/file")[0].headers


def test_redirect_from_another_origin_back_home_sends_credentials_again(
    server: LoopbackServer,
    other_server: LoopbackServer,
    session: requests.Session,
    tmp_path: Path,
) -> None:
    # The origin is judged per hop, on the current URL.
    other_server.state.routes["/start"] = Route(redirect=server.url("/file"))
    server.state.routes["/file"] = Route()
    fetch_one(
        session,
        other_server.url("/start"),
        tmp_path / "x",
        auth=HTTPBasicAuth("alice", "s3cret"),
        trusted_origin=server.origin + "/rest",
    )
    assert "Authorization" not in other_server.state.seen("/start")[0].headers
    assert "Authorization" in server.state.seen("/file")[0].headers


def test_guest_never_sends_netrc_credentials(
    server: LoopbackServer,
    session: requests.Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrcuser password netrcpass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(netrc))
    server.state.routes["/r"] = Route()
    # The trap is real: plain requests would send these credentials.
    session.get(server.url("/r"), timeout=5).close()
    assert "Authorization" in server.state.requests[0].headers
    _get(session, server, "/r", tmp_path / "x", auth=None)
    assert "Authorization" not in server.state.requests[1].headers


def test_redirect_to_a_file_url_is_unsafe(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route(redirect="file:///etc/passwd")
    with pytest.raises(UnsafeURL):
        _get(session, server, "/r", tmp_path / "x")
    assert os.listdir(tmp_path) == []


def test_redirect_loop_is_an_error(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/a"] = Route(redirect="/b")
    server.state.routes["/b"] = Route(redirect="/a")
    with pytest.raises(DownloadError, match="redirected"):
        _get(session, server, "/a", tmp_path / "x")
    assert len(server.state.requests) == MAX_REDIRECTS + 1
    assert os.listdir(tmp_path) == []


# --- download_many ------------------------------------------------------------------------


def _files(server: LoopbackServer, count: int) -> Dict[str, bytes]:
    """``count`` files served at /f0, /f1...: their bytes by path."""
    files = {f"/f{i}": os.urandom(200_000 + i) for i in range(count)}
    for path, data in files.items():
        server.state.routes[path] = Route(data=data)
    return files


def test_download_many_downloads_everything(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    files = _files(server, 6)
    items = [
        DownloadItem(server.url(p), tmp_path / f"{p[1:]}.bin", len(d), sha1(d))
        for p, d in files.items()
    ]
    seen: Dict[DownloadItem, int] = {}
    report = fetch_many(
        session,
        items,
        auth=None,
        trusted_origin=server.origin,
        max_workers=3,
        progress=lambda item, d, t: seen.__setitem__(item, d),
    )
    assert [o.item for o in report] == items
    assert [o.status for o in report] == [DownloadStatus.SAVED] * 6
    assert list(report.paths) == [item.dest for item in items]
    for item, (_, data) in zip(items, files.items()):
        assert item.dest.read_bytes() == data
        assert seen[item] == len(data)
    assert _leftovers(tmp_path) == []


def test_download_many_a_failure_stops_no_other(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # Before: the first failure cancelled the rest. Now the big one, running alongside
    # the failed one and held until that failure happened, is still saved.
    big = os.urandom(4 << 20)
    server.state.routes["/big"] = Route(data=big)
    server.state.routes["/bad"] = Route(status=404)
    big_item = DownloadItem(server.url("/big"), tmp_path / "big.bin")
    bad_item = DownloadItem(server.url("/bad"), tmp_path / "bad.bin")
    bad_done = server.state.served.setdefault("/bad", threading.Event())

    def slow_big(item: DownloadItem, done: int, total: Optional[int]) -> None:
        if item is big_item and done > 0:
            bad_done.wait(10)
            time.sleep(0.5)

    report = fetch_many(
        session,
        [big_item, bad_item],
        auth=None,
        trusted_origin=server.origin,
        max_workers=2,
        progress=slow_big,
    )
    assert [o.status for o in report] == [DownloadStatus.SAVED, DownloadStatus.FAILED]
    assert isinstance(report[1].error, DownloadError)
    assert report[1].error.status == 404
    assert (tmp_path / "big.bin").read_bytes() == big
    assert sorted(os.listdir(tmp_path)) == ["big.bin"]


def test_download_many_keeps_completed_files_and_leaves_no_parts(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    files = _files(server, 4)
    server.state.routes["/bad"] = Route(data=b"x" * 1000)
    items = [DownloadItem(server.url(p), tmp_path / p[1:]) for p in files]
    items.insert(2, DownloadItem(server.url("/bad"), tmp_path / "bad", sha1="0" * 40))
    report = fetch_many(session, items, auth=None, trusted_origin=server.origin, max_workers=1)
    with pytest.raises(IntegrityError):
        report.raise_for_failures()
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "bad").exists()
    for path, data in files.items():  # each file is complete: the failure stopped none
        assert (tmp_path / path[1:]).read_bytes() == data
    assert [o.path.name for o in report.failed] == ["bad"]


def test_download_many_interrupted_stops_all_and_leaves_no_parts(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # Ctrl-C (here from a worker's progress callback) stops every download and is raised.
    files = _files(server, 4)
    items = [DownloadItem(server.url(p), tmp_path / p[1:]) for p in files]

    def interrupt(item: DownloadItem, done: int, total: Optional[int]) -> None:
        if item is items[1] and done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_many(
            session,
            items,
            auth=None,
            trusted_origin=server.origin,
            max_workers=2,
            progress=interrupt,
            chunk_size=CHUNK,
        )
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "f1").exists()
    for path, data in files.items():  # each file is either absent or complete
        dest = tmp_path / path[1:]
        assert not dest.exists() or dest.read_bytes() == data


def test_download_many_present_and_taken_destinations(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # A file already there that is the result: PRESENT, not fetched. Another file under a
    # destination: that item FAILED, the file left alone, no request for it; others go on.
    data = b"r" * 5000
    server.state.routes["/r"] = Route(data=data)
    (tmp_path / "same").write_bytes(data)
    (tmp_path / "sized").write_bytes(data)
    (tmp_path / "other").write_bytes(b"mine")
    items = [
        DownloadItem(server.url("/r"), tmp_path / "same", sha1=sha1(data)),
        DownloadItem(server.url("/r"), tmp_path / "sized", expected_size=len(data)),
        DownloadItem(server.url("/r"), tmp_path / "other", sha1=sha1(data)),
        DownloadItem(server.url("/r"), tmp_path / "new", sha1=sha1(data)),
    ]
    report = fetch_many(session, items, auth=None, trusted_origin=server.origin)
    assert [o.status for o in report] == [
        DownloadStatus.PRESENT,
        DownloadStatus.PRESENT,
        DownloadStatus.FAILED,
        DownloadStatus.SAVED,
    ]
    assert isinstance(report[2].error, InvalidRequest)
    assert "already exists" in str(report[2].error)
    assert (tmp_path / "other").read_bytes() == b"mine"
    assert (tmp_path / "new").read_bytes() == data
    assert len(server.state.requests) == 1
    assert report.paths == (tmp_path / "same", tmp_path / "sized", tmp_path / "new")


def test_download_many_checks_every_item_before_any_request(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    server.state.routes["/r"] = Route()
    (tmp_path / "dir").mkdir()
    ok = DownloadItem(server.url("/r"), tmp_path / "new")
    with pytest.raises(InvalidRequest, match="directory"):
        fetch_many(
            session,
            [ok, DownloadItem(server.url("/r"), tmp_path / "dir")],
            auth=None,
            trusted_origin=server.origin,
        )
    with pytest.raises(UnsafeURL):
        fetch_many(
            session,
            [ok, DownloadItem("file:///etc/passwd", tmp_path / "p")],
            auth=None,
            trusted_origin=server.origin,
        )
    with pytest.raises(InvalidRequest, match="same file name"):
        fetch_many(
            session,
            [ok, DownloadItem(server.url("/r"), tmp_path / "NEW")],
            auth=None,
            trusted_origin=server.origin,
        )
    with pytest.raises(InvalidRequest, match="max_workers"):
        fetch_many(session, [ok], auth=None, trusted_origin=server.origin, max_workers=0)
    assert server.state.requests == []
    assert len(fetch_many(session, [], auth=None, trusted_origin=server.origin)) == 0


def test_a_download_starts_no_thread(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # SHA-1 is computed inline: nothing outlives a download, after success, mismatch or failure.
    server.state.routes["/r"] = Route()
    before = set(threading.enumerate())
    _get(session, server, "/r", tmp_path / "ok", sha1=SHA1)
    with pytest.raises(IntegrityError):
        _get(session, server, "/r", tmp_path / "bad", sha1="0" * 40)
    with pytest.raises(DownloadError):
        _get(session, server, "/missing", tmp_path / "gone", sha1=SHA1)
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert [t.name for t in left if t.name != SERVER_THREAD] == []


def test_large_chunks_are_written_in_slices(
    server: LoopbackServer, session: requests.Session, tmp_path: Path
) -> None:
    # 1 MiB reads are written in 256 KiB slices (large page-cache folios are slow on VMs).
    from uws_lite import _publish, _transfer

    body = bytes(range(256)) * (5 * 4096 + 3)  # 5 MiB and 768 bytes
    server.state.routes["/big"] = Route(data=body)
    sizes: List[int] = []
    real_fdopen = os.fdopen

    class Recording:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, data: Any) -> int:
            sizes.append(len(data))
            return int(self.handle.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return Recording(real_fdopen(fd, *args, **kwargs))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_transfer.os, "fdopen", fdopen)
        digest = hashlib.sha1(body).hexdigest()  # noqa: S324
        _get(session, server, "/big", tmp_path / "big", sha1=digest)
    assert (tmp_path / "big").read_bytes() == body
    assert sum(sizes) == len(body)
    assert max(sizes) == _publish.WRITE_SLICE


def test_matches_local_file_by_sha1_else_size(tmp_path: Path) -> None:
    from uws_lite.download import matches_local_file

    path = tmp_path / "r.cdf"
    path.write_bytes(b"result bytes")
    digest = hashlib.sha1(b"result bytes").hexdigest()  # noqa: S324
    assert matches_local_file(path, sha1=digest) is True
    assert matches_local_file(path, sha1=digest.upper(), size=12) is True
    assert matches_local_file(path, sha1="0" * 40) is False
    assert matches_local_file(path, sha1=digest, size=13) is False  # no hashing needed
    assert matches_local_file(path, size=12) is True
    assert matches_local_file(path, sha1="not-a-sha1", size=12) is True  # malformed: size only
    assert matches_local_file(path) is None  # nothing to check against
    assert matches_local_file(tmp_path / "missing", size=12) is False
    assert matches_local_file(tmp_path, sha1=digest) is False  # a directory
