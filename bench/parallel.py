"""Figure: 8 results of 64 MiB with ``download_many`` (8 workers, the client's session) vs
``Client.download`` one after another, through ``throttle.py`` (a proxy limiting each TCP
connection to 20 MiB/s, the WAN situation in which parallel downloads pay off) and, for the
record, on raw loopback. Each download runs in its own process (bench/child_download.py).
"""

from __future__ import annotations

import shutil
from typing import Any, Dict, List

from . import proc
from . import server as srv
from .stats import Samples, ratio, seconds
from .table import Row
from .throttle import ThrottlingProxy

MiB = 1 << 20
WAN_RATE = 20 * MiB  # bytes/s per connection


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


def _parallel_rows(quick: bool) -> List[Row]:
    size = 8 * MiB if quick else 64 * MiB
    count = 8
    repeats = 1 if quick else 3
    rows: List[Row] = []
    for throttled in (True, False):
        proxy = ThrottlingProxy(WAN_RATE) if throttled else None
        options: Dict[str, Any] = {}
        if proxy is not None:
            options["base_url"] = f"http://127.0.0.1:{proxy.port}"
        server = srv.start(**options)
        try:
            if proxy is not None:
                proxy.start(server.port)
            res = srv.GeneratedResults(server, size, count)
            sequential = _child("client", res)
            parallel = [_child("many", res) for _ in range(repeats)]
        finally:
            server.stop()
            if proxy is not None:
                proxy.stop()
        one = Samples.of(sequential["per_item"])
        par = Samples.of(r["seconds"] for r in parallel)
        value = par.median / one.median
        seq_total = sequential["seconds"]
        where = (
            f"through a proxy limiting each TCP connection to {WAN_RATE // MiB} MiB/s (a WAN link)"
            if throttled
            else "plain loopback (no per-connection limit)"
        )
        facts = (
            f"{where}; uws_lite.download.download_many, 8 workers, vs Client.download one"
            f" after another: sequential total {seconds(seq_total)}, i.e."
            f" {ratio(seq_total / par.median)} the parallel time"
        )
        if not throttled:
            facts += (
                "; on 2 cores one loopback stream already keeps the server and the client"
                " busy (CPU-bound), so parallel streams share the same CPU: no goal here"
            )
        rows.append(
            Row(
                figure=f"{count} results of {size // MiB} MiB in parallel"
                + (" (WAN model)" if throttled else " (raw loopback)"),
                measured=f"parallel: {par.fmt(seconds)}",
                reference=f"one result: {one.fmt(seconds)} (from the sequential run)",
                ratio=ratio(value) + " of one result",
                goal="wall time ≤ 1.3 × one result's time" if throttled else "(none)",
                met=value <= 1.3 if throttled else None,
                info=not throttled,
                facts=facts,
            )
        )
    return rows


def run(quick: bool) -> List[Row]:
    return _parallel_rows(quick)
