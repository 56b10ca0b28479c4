"""Figures: 1 GiB download throughput vs curl and a naive ``requests .content``; peak RSS;
resume after a reset at 50 %; 8 results of 64 MiB in parallel vs one after another.

Every download runs in its own child process (bench/child_download.py, or curl) so that
its peak RSS (VmHWM, or ``wait4`` for curl) is its own; the server runs in this process.
Results are generated on the fly by the server (uws_lite/testing/payload.py) and verified
by uws_lite against the SHA-1 ``hash`` the server publishes, as with OPUS.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from uws_lite import Client
from uws_lite.testing import OpusServer

from . import proc
from . import server as srv
from .stats import Samples, megabytes, mib_per_s, ratio, seconds, times
from .table import Row
from .throttle import ThrottlingProxy

MiB = 1 << 20
GiB = 1 << 30
RSS_LIMIT = 80e6  # bytes: the "< 80 MB"
RSS_FLAT = 5e6  # bytes: "flat" = the peak grows by less than this from 100 MiB to 1 GiB
RESUME_LIMIT = 1.1  # "≈ 1.0 × the file": what the reset itself loses in socket buffers
WAN_RATE = 20 * MiB  # bytes/s per connection for the parallel-download figure


class _Results:
    """A COMPLETED job on ``server`` with ``count`` generated results of ``size`` bytes."""

    def __init__(self, server: OpusServer, size: int, count: int = 1) -> None:
        with Client(server.list_url()) as client:
            job = srv.submit(
                client,
                name=f"dl_{size}_{count}",
                duration=0,
                queued=0,
                cdf_size=size,
                cdf_count=count,
                provenance=False,
            )
            job = client.wait(job.job_id, timeout=300)
            if job.phase.value != "COMPLETED":
                raise RuntimeError(f"download job {job.job_id} ended {job.phase}")
            cdfs = [r for r in job.results if r.id.endswith(".cdf")]
        self.list_url = server.list_url()
        self.job_id = job.job_id
        self.ids = [r.id for r in cdfs]
        self.hrefs = [str(r.href) for r in cdfs]
        self.size = size


def _dest(name: str) -> Path:
    path = proc.SCRATCH / "dl" / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _python(mode: str, res: _Results, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    dest = _dest(mode)
    try:
        done = proc.python_child(
            "child_download", [mode, res.list_url, res.job_id, str(dest), *res.ids], env=env
        )
        out = done.json()
        expected = res.size * len(res.ids)
        if out["bytes"] != expected:
            raise RuntimeError(f"{mode} download wrote {out['bytes']} bytes, not {expected}")
        return out
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _curl(res: _Results) -> Dict[str, Any]:
    dest = _dest("curl")
    try:
        done = proc.run(
            [
                "curl",
                "--silent",
                "--show-error",
                "--fail",
                "--output",
                str(dest / res.ids[0]),
                "--write-out",
                "%{time_total} %{size_download}",
                res.hrefs[0],
            ]
        )
        seconds_text, size_text = done.stdout.split()
        if int(size_text) != res.size:
            raise RuntimeError(f"curl downloaded {size_text} bytes, not {res.size}")
        # The same verification uws_lite does, the shell way (file still in the page cache).
        check = proc.run(["sha1sum", str(dest / res.ids[0])]) if shutil.which("sha1sum") else None
        return {
            "seconds": float(seconds_text),
            "bytes": int(size_text),
            "peak_rss": done.max_rss,
            "sha1sum": check.wall if check is not None else None,
        }
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _sha1_speed() -> float:
    """MiB/s of hashlib's SHA-1 on this machine (what verification costs per byte)."""
    block = bytes(64 * MiB)
    digest = hashlib.sha1(usedforsecurity=False)
    start = time.perf_counter()
    for _ in range(4):
        digest.update(block)
    return 4 * 64 / (time.perf_counter() - start)


def _speed(runs: Sequence[Dict[str, Any]], size: int) -> Samples:
    return Samples.of(size / MiB / r["seconds"] for r in runs)


def _throughput_rows(server: OpusServer, quick: bool) -> List[Row]:
    big = 64 * MiB if quick else GiB
    small = 16 * MiB if quick else 100 * MiB
    repeats = 1 if quick else 5  # the noisiest figure: one stream per core
    res_big = _Results(server, big)
    res_small = _Results(server, small)
    mine: List[Dict[str, Any]] = []
    curl: List[Dict[str, Any]] = []
    naive: List[Dict[str, Any]] = []
    mine_small: List[Dict[str, Any]] = []
    have_curl = shutil.which("curl") is not None
    for _ in range(repeats):  # interleaved: drift of the shared machine hits all alike
        mine.append(_python("client", res_big))
        if have_curl:
            curl.append(_curl(res_big))
        naive.append(_python("naive", res_big))
        mine_small.append(_python("client", res_small))
    s_mine, s_curl, s_naive = (_speed(x, big) for x in (mine, curl, naive))
    value = s_mine.median / s_curl.median if curl else float("nan")
    s_checked = Samples.of(
        big / MiB / (r["seconds"] + r["sha1sum"]) for r in curl if r["sha1sum"] is not None
    )
    tail = Samples.of(r["after_last_byte"] or 0.0 for r in mine)
    label = f"{big // MiB} MiB" if big < GiB else "1 GiB"
    facts = (
        f"uws_lite streams 1 MiB chunks, hashes SHA-1 on a worker thread while reading,"
        f" then renames (no fsync); time after the last byte (verify + rename):"
        f" {tail.fmt(seconds)}"
    )
    if not curl:
        facts += "; curl is not installed (apt-get install curl): no comparison with it"
    elif value < 0.9:
        nohash = _speed([_python("nohash", res_big) for _ in range(repeats)], big)
        facts += (
            f"; the same download without the SHA-1 check: {nohash.fmt(mib_per_s)}"
            f" ({ratio(nohash.median / s_curl.median)} curl); hashlib SHA-1 alone on this"
            f" machine: {_sha1_speed():.0f} MiB/s — the client has one core (the server"
            " uses the other) and curl does not hash"
        )
    rows = [
        Row(
            figure=f"{label} result download throughput",
            measured=f"Client.download: {s_mine.fmt(mib_per_s)}",
            reference=(
                f"curl -o: {s_curl.fmt(mib_per_s)}; curl -o then sha1sum (the same"
                f" verification): {s_checked.fmt(mib_per_s)}; requests.get().content:"
                f" {s_naive.fmt(mib_per_s)}"
            ),
            ratio=(
                f"{ratio(value)} curl; {ratio(s_mine.median / s_checked.median)} curl + sha1sum;"
                f" {ratio(s_mine.median / s_naive.median)} naive"
            ),
            goal="≥ 0.9 × curl",
            met=value >= 0.9 if curl else None,
            facts=facts,
        )
    ]
    rss_big = Samples.of(r["peak_rss"] for r in mine)
    rss_small = Samples.of(r["peak_rss"] for r in mine_small)
    rss_naive = Samples.of(r["peak_rss"] for r in naive)
    rss_curl = Samples.of(r["peak_rss"] for r in curl)
    start_rss = Samples.of(r["rss_before"] for r in mine)
    growth = rss_big.median - rss_small.median
    met = rss_big.high < RSS_LIMIT and growth < RSS_FLAT
    facts = (
        f"whole child process (VmHWM), Python + requests + lxml + uws_lite imported:"
        f" {start_rss.fmt(megabytes)} before the download; curl: {rss_curl.fmt(megabytes)}"
    )
    if not met:
        facts += f"; growth {small // MiB} MiB → {label}: {growth / 1e6:.1f} MB"
    rows.append(
        Row(
            figure=f"peak RSS during the download, {small // MiB} MiB vs {label}",
            measured=f"{small // MiB} MiB: {rss_small.fmt(megabytes)}; {label}:"
            f" {rss_big.fmt(megabytes)}",
            reference=f"requests .content, {label}: {rss_naive.fmt(megabytes)}",
            ratio=ratio(rss_big.median / rss_naive.median),
            goal="< 80 MB, flat from 100 MiB to 1 GiB (growth < 5 MB)",
            met=met,
            facts=facts,
        )
    )
    return rows


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
    res = _Results(server, size)
    ratios: Dict[bool, List[float]] = {True: [], False: []}
    received: List[float] = []
    requests_made: Dict[bool, List[int]] = {True: [], False: []}
    for _ in range(repeats):
        for ranged in (True, False):
            server.faults.range_supported = ranged
            server.faults.reset_download_at = 0.5
            server.faults.reset_download_count = 1
            since = time.time()
            out = _python("client", res)
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
            res = _Results(server, size, count)
            sequential = _python("client", res)
            parallel = [_python("many", res) for _ in range(repeats)]
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
    server = srv.start()
    try:
        rows = _throughput_rows(server, quick)
        rows += _resume_rows(server, quick)
    finally:
        server.stop()
    rows += _parallel_rows(quick)
    return rows
