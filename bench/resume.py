"""Figure: resume after a TCP reset at 50 % (``faults.reset_download_at``) vs the same client
against a server without Range support (a re-download from zero); bytes counted from the
server's request log. Each download runs in its own process (bench/child_download.py).
"""

from __future__ import annotations

import re
import shutil
import time
from typing import Any, Dict, List, Tuple

from uws_lite.testing import OpusServer

from . import proc
from . import server as srv
from .stats import Samples, ratio, times
from .table import Row

MiB = 1 << 20
RESUME_LIMIT = 1.1  # "≈ 1.0 × the file": what the reset itself loses in socket buffers


def _child(mode: str, res: srv.GeneratedResults) -> Dict[str, Any]:
    """One download in its own process (bench/child_download.py), checked for size."""
    dest = proc.SCRATCH / "dl" / mode
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        done = proc.python_child(
            "child_download", [mode, res.list_url, res.job_id, str(dest), *res.ids]
        )
        out = done.json()
        expected = res.size * len(res.ids)
        if out["bytes"] != expected:
            raise RuntimeError(f"{mode} download wrote {out['bytes']} bytes, not {expected}")
        return out
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _sent_bytes(server: OpusServer, since: float, size: int, reset_at: int) -> Tuple[int, int]:
    """Bytes the server sent for /store downloads since ``since``, and how many requests.

    A complete answer sends its Content-Length (size minus the Range start); the one
    request cut by the reset fault sent exactly up to the reset offset (handler.py)."""
    total, n, reset_done = 0, 0, False
    for rec in server.requests:
        if rec.path != "/store" or rec.started < since or rec.method != "GET":
            continue
        n += 1
        match = re.match(r"bytes=(\d+)-", rec.header("Range") or "")
        start = int(match.group(1)) if match and server.faults.range_supported else 0
        if not reset_done:
            total += reset_at - start
            reset_done = True
        else:
            total += size - start
    return total, n


def _resume_rows(server: OpusServer, quick: bool) -> List[Row]:
    size = 16 * MiB if quick else 256 * MiB
    repeats = 1 if quick else 3
    res = srv.GeneratedResults(server, size)
    ratios: Dict[bool, List[float]] = {True: [], False: []}
    received: List[float] = []
    requests_made: Dict[bool, List[int]] = {True: [], False: []}
    for _ in range(repeats):
        for ranged in (True, False):
            server.faults.range_supported = ranged
            server.faults.reset_download_at = 0.5
            server.faults.reset_download_count = 1
            since = time.time()
            out = _child("client", res)
            sent, n = _sent_bytes(server, since, size, size // 2)
            ratios[ranged].append(sent / size)
            requests_made[ranged].append(n)
            if ranged:
                received.append(out["received"] / size)
    server.faults.clear()
    mine, ref = Samples.of(ratios[True]), Samples.of(ratios[False])
    met = mine.median <= RESUME_LIMIT
    facts = (
        f"{size // MiB} MiB result, TCP reset after half of it was sent; Range + If-Range"
        f" resume; {max(requests_made[True])} requests; bytes received by the client:"
        f" {Samples.of(received).fmt(times)} (the kernel drops what was unsent at the reset,"
        " the server re-sends it)"
    )
    return [
        Row(
            figure="resume after a connection reset at 50 %",
            measured=f"server sent {mine.fmt(times)}",
            reference=f"re-download from zero (server without Range): {ref.fmt(times)}",
            ratio=ratio(mine.median / ref.median),
            goal="bytes transferred ≈ 1.0 × the file (≤ 1.1 ×), not 1.5 ×",
            met=met,
            facts=facts,
        )
    ]


def run(quick: bool) -> List[Row]:
    server = srv.start()
    try:
        return _resume_rows(server, quick)
    finally:
        server.stop()
