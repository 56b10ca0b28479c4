"""The one timer thread that moves every job along: a heap of timed events, whatever the
number of jobs.

The scheduler shares the store's lock: events are scheduled by code that holds it, and fired
with it held, so an event and a request never see a half-changed job. An event carries the
job's ``generation`` at the time it was scheduled; whoever receives it ignores events of an
older generation (the job was aborted or deleted since).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable, List, Optional, Tuple

__all__ = ["Fire", "Scheduler"]

Fire = Callable[[str, int, str], None]
"""Called with the lock held, as ``fire(job_id, generation, action)``, when an event is due."""


class Scheduler:
    def __init__(self, lock: threading.Lock, fire: Fire) -> None:
        self._lock = lock
        self._wake = threading.Condition(lock)
        self._fire = fire
        self._heap: List[Tuple[float, int, str, int, str]] = []
        self._seq = itertools.count()  # ties broken in scheduling order
        self._stopping = False
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="opus-runs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; pending events are dropped. Call without holding the lock."""
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def schedule(self, job_id: str, generation: int, delay: float, action: str) -> None:
        """Fire ``action`` for the job in ``delay`` seconds. Call with the lock held."""
        due = time.monotonic() + delay
        heapq.heappush(self._heap, (due, next(self._seq), job_id, generation, action))
        self._wake.notify()

    def _loop(self) -> None:
        with self._lock:
            while not self._stopping:
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                _, _, job_id, generation, action = heapq.heappop(self._heap)
                self._fire(job_id, generation, action)
