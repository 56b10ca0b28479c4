"""SHA-1, OPUS's ``hash`` of a result (an integrity check against corruption, not a security
one), computed on a worker thread while a download writes."""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Optional

__all__ = ["BackgroundSHA1", "new_sha1"]


def new_sha1() -> hashlib._Hash:
    # OPUS publishes SHA-1: an integrity check against corruption, not a security one.
    return hashlib.sha1(usedforsecurity=False)


class BackgroundSHA1:
    """SHA-1 computed on a worker thread fed through a small bounded queue.

    hashlib releases the GIL while hashing large buffers, so the hash of one chunk overlaps
    the socket read and the file write of the next. Inline, hashing made a 1 GiB loopback
    download 0.84x curl's speed (bench/RESULTS.md); the queue holds at most 8 chunks.
    """

    def __init__(self) -> None:
        self._hash = new_sha1()
        self._chunks: queue.Queue[Optional[bytes]] = queue.Queue(maxsize=8)
        self._digest: Optional[str] = None
        self._thread = threading.Thread(target=self._work, name="uws_lite-sha1", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            chunk = self._chunks.get()
            if chunk is None:
                return
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def hexdigest(self) -> str:
        """The digest of everything given so far (stops the worker)."""
        if self._digest is None:
            self.close()
            self._digest = self._hash.hexdigest()
        return self._digest

    def close(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
