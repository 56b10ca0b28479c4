r"""Switchable faults: the ways a real server, proxy or network misbehaves, one flag each.

A test sets them on ``server.faults`` at any time (also while requests are in flight)::

    opus_server.faults.status_503 = 2          # the next two requests get 503 + Retry-After
    opus_server.faults.reset_download_at = 0.5 # cut the next download in the middle

Counters ("the next N ...") are decremented as the fault fires, so a client that retries
eventually succeeds; flags stay on until reset. ``request_filter`` narrows the counted request
faults (503, 429, slow, truncated, HTML) to requests whose ``"METHOD /path?query"`` matches it
(e.g. ``r"^GET /rest/ExPRES/\w+\?.*WAIT="`` for the blocking GETs of a job only).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, fields
from typing import Callable, Optional, Union

__all__ = ["FOREVER", "HOSTILE_XML_KINDS", "Faults"]

HOSTILE_XML_KINDS = ("entity", "billion_laughs", "external_entity")
FOREVER = 10**9  # a count for the counted faults that never runs out


@dataclass
class Faults:
    """Every fault is off by default. Mutable on purpose: tests flip them at run time."""

    # -- waiting
    wait_ignored: bool = False
    """``WAIT`` returns at once (a UWS 1.0 server, or a 1.1 server that does not block)."""
    wait_early: Optional[float] = None
    """``WAIT`` returns after at most this many seconds, phase unchanged (a proxy timeout)."""

    # -- status codes (counted)
    status_503: int = 0
    """The next N matching requests get 503 with ``Retry-After`` (before any side effect)."""
    status_429: int = 0
    """The next N matching requests get 429 with ``Retry-After`` (before any side effect)."""
    retry_after: Optional[str] = "1"
    """The ``Retry-After`` value sent with 503/429 (None: no header)."""
    request_filter: Optional[str] = None
    """Regex searched in ``"METHOD /path"`` (``"METHOD /path?query"`` when there is a query
    string); None means every request."""

    # -- slowness (counted)
    slow_response: int = 0
    """The next N matching requests wait ``slow_delay`` seconds before answering."""
    slow_delay: float = 2.0

    # -- documents (counted, matching requests answered with XML)
    truncated_xml: int = 0
    """The next N XML documents are cut in the middle (with a matching Content-Length)."""
    html_instead_of_xml: int = 0
    """The next N XML documents are replaced by a 200 HTML page (a proxy or login page)."""
    hostile_xml: Optional[str] = None
    """Job documents carry a DTD: "entity", "billion_laughs" or "external_entity"."""
    hostile_result_ids: bool = False
    """COMPLETED jobs list extra results with ids ``../../x``, ``/etc/passwd``, a duplicate
    id and ``example.json`` (each pointing at a small, downloadable file)."""
    hostile_content_disposition: bool = False
    """``/store`` answers ``Content-Disposition: attachment; filename="../../<name>"``."""
    hash_mismatch: bool = False
    """The ``hash`` attribute of file results is the SHA-1 of something else."""

    # -- job lists (how servers fall short of UWS 1.1's filters, see uws_lite.watch)
    list_filters_ignored: bool = False
    """``GET <list>`` ignores ``PHASE`` and ``AFTER``: every job of the caller is listed (a
    UWS 1.0 server, which has no filters). ``LAST`` still applies."""
    list_last_phase_only: bool = False
    """Of several ``PHASE`` filters, ``GET <list>`` applies only the last one (as DaCHS
    does), so ``PHASE=QUEUED&PHASE=EXECUTING`` lists the EXECUTING jobs alone."""

    # -- jobs
    job_vanishes: Optional[int] = None
    """After N GETs of a job's document, the job is deleted server-side (then 404)."""
    creation_500_orphan: int = 0
    """The next N creations store a PENDING job (never started) and answer 500."""

    # -- downloads
    reset_download_at: Union[int, float, None] = None
    """Reset the connection when a download reaches this offset: an int is a byte offset in
    the file, a float a fraction of its size. Fires ``reset_download_count`` times."""
    reset_download_count: int = 1
    range_supported: bool = True
    """False: ``Range`` is ignored (always 200 with the whole file) and not advertised."""

    # -- secrets and hostile names (issue 11, points 3-8; the "safety" faults)
    echo_secret: bool = False
    """A job's error text (``errorSummary`` in the job document, and ``<job>/error``) echoes
    the caller's credentials: the token as sent, URL-encoded, and the Basic ``Authorization``
    value. A job without an error gets one. A client must never show any of them."""
    malformed_location: Optional[str] = None
    """Job creations answer 303 with this ``Location`` (e.g. ``"http://[::1"``); the job is
    created all the same."""
    download_hook: Optional[Callable[[str], None]] = None
    """Called with the request path just before a result (``/store``, a log) is sent: a test
    uses it to take the client's destination name during the download."""
    # -- deadlines (issue 11: servers that hold, trickle or stall; see tests/*/test_deadlines.py)
    # A counted fault set to FOREVER (e.g. ``status_429 = FOREVER`` with
    # ``retry_after = "999999999"``) fires on every matching request.
    hold_requests: Optional[float] = None
    """Every matching request is held this many seconds before it is answered, whatever
    WAIT it asked for (a server or proxy that keeps requests longer than asked)."""
    trickle_delay: Optional[float] = None
    """Matching answers that are not files are sent one byte every ``trickle_delay``
    seconds (headers at once, then the body): the per-read timeout never fires."""
    trickle_headers: bool = False
    """With ``trickle_delay``: the status line and headers are trickled too."""
    stall_download_at: Union[int, float, None] = None
    """A matching download goes silent at this offset (int: bytes, float: fraction of the
    file), the connection left open, for ``stall_download_seconds`` (or until the server
    stops), then the connection is closed. Fires ``stall_download_count`` times."""
    stall_download_seconds: float = 120.0
    stall_download_count: int = 1

    def stall_offset(self, size: int, request_line: Optional[str] = None) -> Optional[int]:
        """The offset in a file of ``size`` bytes at which its download stalls now, or None
        (consumes one occurrence of ``stall_download_count``)."""
        if request_line is not None and not self.matches(request_line):
            return None
        with self._lock:
            at = self.stall_download_at
            if at is None or self.stall_download_count <= 0:
                return None
            self.stall_download_count -= 1
            offset = int(size * at) if isinstance(at, float) else int(at)
            return max(0, min(offset, size))

    # -- end of the deadline faults

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take(self, name: str, request_line: Optional[str] = None) -> bool:
        """Consume one occurrence of the counted fault ``name``; True if it fires now.

        ``request_line`` ("METHOD /path?query") is checked against ``request_filter`` when given.
        """
        with self._lock:
            remaining = getattr(self, name)
            if not isinstance(remaining, int) or isinstance(remaining, bool) or remaining <= 0:
                return False
            if request_line is not None and not self.matches(request_line):
                return False
            setattr(self, name, remaining - 1)
            return True

    def matches(self, request_line: str) -> bool:
        return (
            self.request_filter is None or re.search(self.request_filter, request_line) is not None
        )

    def reset_offset(self, size: int, request_line: Optional[str] = None) -> Optional[int]:
        """The byte offset at which the next download of ``size`` bytes is cut, or None.

        With ``request_filter`` set, only matching downloads are cut (results download in
        parallel, so "the next download" alone would pick one at random)."""
        if request_line is not None and not self.matches(request_line):
            return None
        with self._lock:
            at = self.reset_download_at
            if at is None or self.reset_download_count <= 0:
                return None
            offset = int(size * at) if isinstance(at, float) else int(at)
            return max(0, min(offset, size))

    def consume_reset(self) -> None:
        with self._lock:
            self.reset_download_count -= 1

    def clear(self) -> None:
        """Turn every fault off again."""
        defaults = Faults()
        with self._lock:
            for item in fields(self):
                if item.name != "_lock":
                    setattr(self, item.name, getattr(defaults, item.name))
