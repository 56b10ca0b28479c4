"""HTTP on the socket: read a request, apply the transport faults, write the answer.

Stdlib ``http.server`` with HTTP/1.1 keep-alive (clients reuse connections), no Nagle delay
(small answers leave at once: the benchmark measures completion latency), and large writes for
files (the benchmark compares download speed with curl).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Callable, List, Optional, Set, Tuple
from urllib.parse import unquote

from . import documents
from .exchange import HTML, FileBody, Request, Response
from .failures import Failure
from .faults import Faults
from .identity import Identity
from .requestlog import RecordedRequest, RequestLog
from .routes import MethodNotAllowed, OpusRoutes

__all__ = ["HandlerContext", "OpusHTTPServer"]

MAX_BODY = 256 << 20  # bytes; a bigger request body is refused


class _Dropped(Exception):
    """The connection was cut on purpose (reset fault): nothing more to write."""


class _BadRequest(Exception):
    pass


@dataclass
class HandlerContext:
    routes: OpusRoutes
    requests: RequestLog
    faults: Callable[[], Faults]
    identify: Callable[[Optional[str]], Identity]
    stopping: threading.Event
    debug: bool = True
    log: Optional[Callable[[str], None]] = None
    connections: Set[socket.socket] = field(default_factory=set)
    connections_lock: threading.Lock = field(default_factory=threading.Lock)


class OpusHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 50 concurrent jobs plus downloads

    def __init__(self, address: Tuple[str, int], family: int, context: HandlerContext) -> None:
        self.address_family = family
        self.context = context
        super().__init__(address, OpusHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can hang.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, _Dropped)) or self.context.stopping.is_set():
            return  # a client that went away (or the server stopping) is not a server bug
        super().handle_error(request, client_address)


class OpusHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: OpusHTTPServer

    # -- connection bookkeeping (so stop() can close idle keep-alive connections) ----------

    def setup(self) -> None:
        super().setup()
        context = self.server.context
        with context.connections_lock:
            context.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client went away
            super().finish()
        context = self.server.context
        with context.connections_lock:
            context.connections.discard(self.connection)

    def version_string(self) -> str:
        return "OPUS-test"

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.context.log
        if log is not None:
            log(f"{self.address_string()} {format % args}")

    # -- methods ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_HEAD = do_PUT = do_PATCH = do_OPTIONS = do_GET

    def _handle(self) -> None:
        started = time.time()
        raw_path, _, query = self.path.partition("?")
        recorded = False

        def record(status: int, body_size: int) -> None:
            # Recorded *before* the answer is written: a client that has seen the answer
            # must find its request in ``server.requests``.
            nonlocal recorded
            recorded = True
            self.server.context.requests.add(
                RecordedRequest(
                    method=self.command,
                    path=raw_path,
                    query=query,
                    headers=tuple(self.headers.items()),
                    body_size=body_size,
                    status=status,
                    started=started,
                    answered=time.time(),
                )
            )

        try:
            try:
                body = self._read_body()
            except _BadRequest as exc:
                self.close_connection = True
                record(400, 0)
                self._send(_page(400, self.path, str(exc)))
                return
            response = self._answer(self._request(raw_path, query, body))
            record(response.status, len(body))
            self._send(response)
        except (_Dropped, OSError):
            self.close_connection = True
            if not recorded:
                record(0, 0)  # the connection broke before an answer was ready

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError as exc:
            raise _BadRequest(f"bad Content-Length {length_text!r}") from exc
        if length < 0 or length > MAX_BODY:
            raise _BadRequest(f"request body of {length} bytes refused")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _BadRequest("bad chunk size in a chunked body") from exc
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise _BadRequest("chunked request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _request(self, raw_path: str, query: str, body: bytes) -> Request:
        context = self.server.context
        # bottle decodes the path; OPUS strips trailing slashes; "//rest" (in OPUS's own
        # log URLs) is served like "/rest", as the front web server merges slashes.
        path = "/" + "/".join(part for part in unquote(raw_path).split("/") if part)
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        return Request(
            method=self.command,
            path=path,
            query=query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            identity=context.identify(self.headers.get("Authorization")),
            url=f"http://{host}{raw_path}",
        )

    def _answer(self, request: Request) -> Response:
        context = self.server.context
        faults = context.faults()
        if faults.take("slow_response", request.line):
            context.stopping.wait(faults.slow_delay)
        self._pace(faults, request)
        for status, name in ((503, "status_503"), (429, "status_429")):
            if faults.take(name, request.line):
                response = Response(status=status, body=documents.MAINTENANCE_PAGE)
                if faults.retry_after is not None:
                    response.headers.append(("Retry-After", faults.retry_after))
                return response
        try:
            response = context.routes.dispatch(request)
        except Failure as exc:
            message = str(exc)
            if type(exc) is Failure and not context.debug:
                message = "Internal Server Error"  # OPUS abort_500_except with DEBUG off
            response = _page(exc.status, request.url, message)
            if isinstance(exc, MethodNotAllowed):
                response.headers.append(("Allow", ", ".join(exc.allowed)))
        except Exception:  # a bug in this server: show it, like OPUS in DEBUG mode
            text = traceback.format_exc() if context.debug else "Internal Server Error"
            response = _page(500, request.url, text)
        if response.is_xml and response.status == 200:
            if faults.take("html_instead_of_xml", request.line):
                response = Response(body=documents.MAINTENANCE_PAGE, content_type=HTML)
            elif faults.take("truncated_xml", request.line):
                response.body = response.body[: len(response.body) // 2]
        return response

    # -- the deadline faults (hold, trickle, stall)
    _trickle: Optional[float] = None
    _trickle_head: bool = False
    _stall_file: bool = False

    def _pace(self, faults: Faults, request: Request) -> None:
        """Hold the request, and note whether its answer is trickled or may stall."""
        self._trickle, self._trickle_head, self._stall_file = None, False, False
        if not faults.matches(request.line):
            return
        if faults.hold_requests is not None:
            self.server.context.stopping.wait(faults.hold_requests)
        self._trickle = faults.trickle_delay
        self._trickle_head = faults.trickle_headers and self._trickle is not None
        self._stall_file = request.method == "GET" and faults.stall_download_at is not None

    def flush_headers(self) -> None:
        buffered = getattr(self, "_headers_buffer", None)
        if self._trickle_head and self._trickle is not None and buffered:
            head = b"".join(buffered)
            buffered.clear()
            self._send_trickled(head, self._trickle)
            return
        super().flush_headers()

    def _send_trickled(self, body: bytes, delay: float) -> None:
        stopping = self.server.context.stopping
        for i in range(len(body)):
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            if stopping.wait(delay):
                raise _Dropped

    def _stall(self, file: FileBody) -> Optional[int]:
        if not self._stall_file:
            return None
        at = self.server.context.faults().stall_offset(file.size)
        return None if at is None or not file.start <= at < file.end else at - file.start

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        file = response.file
        length = len(response.body) if file is None else file.end - file.start
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        if file is None:
            if self._trickle is not None:
                self._send_trickled(response.body, self._trickle)
                return
            self.wfile.write(response.body)
            return
        sent = 0
        limit = file.reset_at
        stall = self._stall(file)
        for chunk in file.chunks(file.start, file.end):
            if stall is not None and sent + len(chunk) > stall:
                self.wfile.write(chunk[: stall - sent])
                self.wfile.flush()
                self.server.context.stopping.wait(
                    self.server.context.faults().stall_download_seconds
                )
                raise _Dropped
            if limit is not None and sent + len(chunk) > limit:
                if limit > sent:
                    self.wfile.write(chunk[: limit - sent])
                self.server.context.faults().consume_reset()
                self._reset()
                raise _Dropped
            self.wfile.write(chunk)
            sent += len(chunk)

    def _reset(self) -> None:
        """Abort the connection with a TCP reset (SO_LINGER 0), like a crashed proxy."""
        self._drain()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _drain(self, timeout: float = 2.0) -> None:
        """Wait until the client has received (acknowledged) what was written.

        A reset throws away unsent data: without this, "cut at 50 %" could mean "the client
        got nothing" when the bytes were still in the socket buffers. Linux only (SIOCOUTQ);
        elsewhere the reset happens at once."""
        try:
            import fcntl
            import termios
        except ImportError:  # pragma: no cover - not POSIX
            return
        self.wfile.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                raw = fcntl.ioctl(self.connection.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            except OSError:
                return
            if struct.unpack("i", raw)[0] == 0:
                return
            time.sleep(0.005)


def _page(status: int, url: str, message: str) -> Response:
    return Response(status=status, body=documents.error_page(status, url, message))
