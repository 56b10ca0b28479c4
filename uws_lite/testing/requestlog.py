"""The request log: every request the server answered, for tests to inspect."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

__all__ = ["RecordedRequest", "RequestLog"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, without the query string
    query: str  # raw query string ("" if none)
    headers: Tuple[Tuple[str, str], ...] = field(repr=False)  # as sent, Authorization included
    body_size: int
    status: int  # the status answered; 0 if the connection broke before an answer was ready
    started: float  # time.time() when the request line was read
    answered: float  # time.time() when the answer was ready (a file body may still stream)

    def header(self, name: str) -> Optional[str]:
        """The value of a request header (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def authorization(self) -> Optional[str]:
        return self.header("Authorization")


class RequestLog:
    """Thread-safe, append-only (until cleared). A request is added when its answer is ready
    and before it is sent, so whoever received an answer finds the request here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List[RecordedRequest] = []

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> Tuple[RecordedRequest, ...]:
        with self._lock:
            return tuple(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
