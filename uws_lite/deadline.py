"""Deadlines that hold for one HTTP request: its connects, its reads, its retries and the
sleeps between them, and its body.

A request sent with a deadline (a :func:`time.monotonic` instant) gets:

- a :class:`DeadlineTimeout`: each connect and each read of each attempt (urllib3 retries
  included) waits at most ``min(its own timeout, time left)``;
- :func:`deadline_scope` around it, read by :class:`uws_lite._retry.CappedRetry`: no retry
  starts once the time is up, and a backoff or ``Retry-After`` sleep is cut to the time left
  (logged as a warning when a ``Retry-After`` is cut);
- a :class:`Watchdog` around the whole request: a server trickling its headers or a
  document byte by byte resets the per-read timeout at every byte, so at the deadline the
  watchdog shuts the socket down, which ends the read at once. The connections of
  :class:`DeadlineAdapter` (mounted by uws_lite's transport) hand their socket to it before
  the answer is read; with a caller's own adapter only the body is covered.

So a request given a deadline ends at most a few tens of milliseconds after it (the time to
notice and raise), on any server. The one thing not covered is a
DNS look-up, which no Python timeout bounds.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from typing import Any, Iterator, Optional, Tuple

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.timeout import Timeout

__all__ = [
    "DeadlineAdapter",
    "DeadlineTimeout",
    "Watchdog",
    "current_deadline",
    "deadline_scope",
    "time_left",
]

# The smallest timeout handed to a socket: 0 would mean "non-blocking" (urllib3 even
# raises at once for a read timeout of 0), and a past deadline must still fail cleanly.
_FLOOR = 0.01

_DEADLINE: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar(
    "uws_lite_deadline", default=None
)


def current_deadline() -> Optional[float]:
    """The deadline of the request being sent in this thread (monotonic), or None."""
    return _DEADLINE.get()


def time_left(deadline: Optional[float]) -> Optional[float]:
    """Seconds until ``deadline`` (may be <= 0), or None without a deadline."""
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def deadline_scope(deadline: Optional[float]) -> Iterator[None]:
    """Make ``deadline`` the current request's deadline (for the retry policy) meanwhile."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class DeadlineTimeout(Timeout):
    """A urllib3 Timeout whose connect and read timeouts never exceed the time left.

    urllib3 reads ``connect_timeout`` and ``read_timeout`` at each attempt (retries reuse
    the request's Timeout), so every attempt gets at most what is left of the deadline.
    """

    def __init__(self, connect: float, read: float, deadline: float) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def _left(self) -> float:
        return max(_FLOOR, self.deadline - time.monotonic())

    @property
    def connect_timeout(self) -> Any:
        own = super().connect_timeout
        return self._left() if not isinstance(own, (int, float)) else min(own, self._left())

    @property
    def read_timeout(self) -> Any:
        own = super().read_timeout
        return self._left() if not isinstance(own, (int, float)) else min(own, self._left())

    def as_tuple(self) -> Tuple[float, float]:
        """The request's own (connect, read) timeouts, before the deadline cuts them."""
        return (float(self._connect), float(self._read))  # type: ignore[arg-type]

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self._connect, self._read, self.deadline)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        own = f"connect={self._connect!r}, read={self._read!r}"
        return f"DeadlineTimeout({own}, left={self._left():.2f})"


class Watchdog:
    """Shuts down the socket of the request under way at ``deadline`` unless stopped before.

    Used as a context manager around a whole request (status line, headers and body): the
    connections of :class:`DeadlineAdapter` register their socket with the watchdog of the
    current context as they send; :meth:`watch_response` adds the socket of an answer
    (for a caller's own adapter). ``fired`` tells whether it cut the request. Without a
    deadline it does nothing.
    """

    def __init__(self, deadline: Optional[float]) -> None:
        self.deadline = deadline
        self.fired = False
        self._sock: Optional[socket.socket] = None
        self._lock = threading.Lock()
        self._timer: Optional[threading.Timer] = None
        self._token: Optional[contextvars.Token[Optional[Watchdog]]] = None

    def __enter__(self) -> Watchdog:
        if self.deadline is not None:
            self._token = _WATCHDOG.set(self)
            self._timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._token is not None:
            _WATCHDOG.reset(self._token)
            self._token = None

    def watch(self, sock: Optional[socket.socket]) -> None:
        """Cut ``sock`` at the deadline (at once if it has passed while it was being set)."""
        if sock is None or self.deadline is None:
            return
        with self._lock:
            self._sock = sock
            fired = self.fired
        if fired:
            _shutdown(sock)

    def watch_response(self, response: Any) -> None:
        """Cut the socket under ``response`` (a requests or urllib3 response) too."""
        self.watch(_socket_of(response))

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._sock
        if sock is not None:
            _shutdown(sock)


_WATCHDOG: contextvars.ContextVar[Optional[Watchdog]] = contextvars.ContextVar(
    "uws_lite_watchdog", default=None
)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _Registering:
    """Mixin for urllib3 connections: hand the socket to the current watchdog before the
    answer is read (a new connection or a reused keep-alive one alike)."""

    sock: Optional[socket.socket]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watchdog = _WATCHDOG.get()
        if watchdog is not None:
            watchdog.watch(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Registering, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Registering, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose connections register with the current :class:`Watchdog`,
    so that a deadline also cuts a server that trickles its status line or headers."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


def _socket_of(response: Any) -> Optional[socket.socket]:
    """The socket under a requests Response (or urllib3 response), or None."""
    raw = getattr(response, "raw", response)
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    fp = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's buffered reader
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None
