"""Deadlines that hold for one HTTP request: its connects, its reads, its retries and the
sleeps between them, and its body.

A request sent with a deadline (a :func:`time.monotonic` instant) gets:

- a :class:`DeadlineTimeout`: each connect and each read of each attempt (urllib3 retries
  included) waits at most ``min(its own timeout, time left)``;
- :func:`deadline_scope` around it, read by :class:`uws_lite.transport.CappedRetry`: no retry
  starts once the time is up, and a backoff or ``Retry-After`` sleep is cut to the time left
  (logged as a warning when a ``Retry-After`` is cut);
- a :class:`Watchdog` while its body is read: a server trickling a document byte by byte
  resets the per-read timeout at every byte, so at the deadline the watchdog shuts the
  socket down, which ends the read at once (a body whose answer came after the deadline
  gets ``BODY_GRACE``, 0.25 s).

So a request given a deadline ends at most ``BODY_GRACE`` plus a few tens of milliseconds
after it (the time to notice and raise), on any server. The one thing not covered is a
DNS look-up, which no Python timeout bounds.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from typing import Any, Iterator, Optional, Tuple

from urllib3.util.timeout import Timeout

__all__ = ["DeadlineTimeout", "Watchdog", "current_deadline", "deadline_scope", "time_left"]

# The smallest timeout handed to a socket: 0 would mean "non-blocking" (urllib3 even
# raises at once for a read timeout of 0), and a past deadline must still fail cleanly.
_FLOOR = 0.01

# Seconds a body that starts arriving after the deadline is still given.
BODY_GRACE = 0.25

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
    """Shuts down ``response``'s socket at ``deadline`` unless stopped before.

    Use as a context manager around the body read; ``fired`` tells whether it cut the read.
    Without a deadline, or when the socket cannot be found, it does nothing.
    """

    def __init__(self, response: Any, deadline: Optional[float]) -> None:
        self.fired = False
        self._sock = _socket_of(response) if deadline is not None else None
        self._timer: Optional[threading.Timer] = None
        if self._sock is not None and deadline is not None:
            # An answer that arrives after the deadline (a retry's last 429, say) is most
            # likely already buffered: it gets BODY_GRACE seconds rather than none.
            delay = max(deadline - time.monotonic(), BODY_GRACE)
            self._timer = threading.Timer(delay, self._fire)
            self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        self.fired = True
        try:
            assert self._sock is not None  # noqa: S101 (set whenever the timer exists)
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


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
