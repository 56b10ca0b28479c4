"""The bytes of a generated (CDF-like) result: deterministic, any size, never held in memory.

A result of ``size`` bytes is the first ``size`` bytes of one endless stream: a fixed pattern of
``PERIOD`` bytes repeated. The stream is the same for every job, so its SHA-1 depends on the
size only and is computed once per size (and incrementally: the hash state at each whole period
is kept, so a larger size continues from the smaller one instead of starting again).

``PERIOD`` is a prime just under 1 MiB: a client that resumes a download at a wrong offset which
is a multiple of a power of two (a block-size bug) cannot land on identical bytes by accident.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Dict, Iterator, List

__all__ = ["PERIOD", "chunks", "content", "is_hashed", "sha1_hex", "start_hashing"]

PERIOD = 1_048_573
# A real CDF file starts with this magic number (CDF v3, uncompressed).
_MAGIC = b"\xcd\xf3\x00\x01\x00\x00\xff\xff"
_PATTERN = _MAGIC + hashlib.shake_128(b"uws_lite.testing generated result").digest(PERIOD - 8)
# Two periods back to back: any window of at most PERIOD bytes is one contiguous slice.
_DOUBLE = memoryview(_PATTERN + _PATTERN)

CHUNK = 1 << 20  # large writes: the benchmark compares download speed with curl


def chunks(start: int, end: int, chunk: int = CHUNK) -> Iterator[memoryview]:
    """Bytes ``start`` to ``end`` (exclusive) of the stream, as slices of one shared buffer."""
    chunk = min(chunk, PERIOD)
    pos = start
    while pos < end:
        offset = pos % PERIOD
        length = min(chunk, end - pos)
        yield _DOUBLE[offset : offset + length]
        pos += length


def content(start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` of the stream as one ``bytes`` (for tests, small ranges)."""
    return b"".join(bytes(part) for part in chunks(start, end))


class _Sha1Cache:
    """SHA-1 hex digests of the stream's prefixes, with checkpoints at whole periods."""

    def __init__(self) -> None:
        self._states: List[hashlib._Hash] = [hashlib.sha1()]  # noqa: S324 (OPUS uses SHA-1)
        self._extend = threading.Lock()
        self._done: Dict[int, str] = {}
        self._workers: Dict[int, threading.Thread] = {}
        self._workers_lock = threading.Lock()

    def is_hashed(self, size: int) -> bool:
        return size in self._done or len(self._states) > size // PERIOD

    def sha1_hex(self, size: int) -> str:
        known = self._done.get(size)
        if known is not None:
            return known
        periods, rest = divmod(size, PERIOD)
        if len(self._states) <= periods:
            with self._extend:
                while len(self._states) <= periods:
                    state = self._states[-1].copy()
                    state.update(_DOUBLE[:PERIOD])
                    self._states.append(state)
        digest = self._states[periods].copy()
        digest.update(_DOUBLE[:rest])
        hexdigest = digest.hexdigest()
        self._done[size] = hexdigest
        return hexdigest

    def start(self, size: int) -> None:
        """Compute ``sha1_hex(size)`` in a background thread (a GiB takes a second or two)."""
        if self.is_hashed(size):
            return
        with self._workers_lock:
            if size in self._workers:
                return
            worker = threading.Thread(
                target=self.sha1_hex, args=(size,), name=f"sha1-{size}", daemon=True
            )
            self._workers[size] = worker
        worker.start()


_CACHE = _Sha1Cache()


def sha1_hex(size: int) -> str:
    """The SHA-1 (hex) of the first ``size`` bytes of the stream (blocks while computing)."""
    return _CACHE.sha1_hex(size)


def is_hashed(size: int) -> bool:
    """Whether :func:`sha1_hex` would answer at once."""
    return _CACHE.is_hashed(size)


def start_hashing(size: int) -> None:
    """Start computing the SHA-1 of ``size`` bytes in the background, if not known yet."""
    _CACHE.start(size)
