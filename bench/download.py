"""Figures: 1 GiB result download, ``Client.download`` (SHA-1 verified) vs ``curl -o``, in
rotated pairs; the verified download vs ``curl -o`` + ``sha1sum`` and ``requests .content``;
peak RSS at 100 MiB and 1 GiB. Resume and parallel downloads: ``resume.py``, ``parallel.py``.

Every download runs in its own process (``child_fetch.py``, ``child_download.py`` or curl) so
that its peak RSS is its own; the server runs in this process. Before every timed run the
machine is left idle for ``pairs.SETTLE_SECONDS``, so that each run meets the same memory
state whichever ran before it (on a VM with free page reporting, writing into the page cache
right after another big file was deleted is up to 10x faster than 3 s later).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List

from uws_lite.testing import OpusServer

from . import parallel, proc, resume
from . import server as srv
from .pairs import SETTLE_SECONDS, PairSummary, rotated, settle
from .stats import Samples, megabytes, mib_per_s, ratio, seconds
from .table import Row

MiB = 1 << 20
GiB = 1 << 30
GOAL = 0.9  # × curl's throughput, whichever runs first
RSS_LIMIT = 80e6  # bytes: the "< 80 MB"
RSS_FLAT = 5e6  # bytes: "flat" = the peak grows by less than this from 100 MiB to 1 GiB


def _dest(name: str) -> Path:
    path = proc.SCRATCH / "dl" / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def client_run(res: srv.GeneratedResults) -> Dict[str, Any]:
    """``Client.download`` of the first result in a fresh process (bench/child_fetch.py)."""
    dest = _dest("client")
    try:
        out = proc.python_child(
            "child_fetch", [res.list_url, res.job_id, res.ids[0], str(dest)]
        ).json()
        if out["bytes"] != res.size:
            raise RuntimeError(f"Client.download wrote {out['bytes']} bytes, not {res.size}")
        return out
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def curl_run(res: srv.GeneratedResults, *, sha1sum: bool = False) -> Dict[str, Any]:
    """``curl -o`` of the first result: its own ``time_total``, CPU and peak RSS; with
    ``sha1sum``, also how long ``sha1sum`` then takes on the file (the same check)."""
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
        check = proc.run(["sha1sum", str(dest / res.ids[0])]) if sha1sum else None
        if check is not None and check.stdout.split()[0] != res.sha1s[0]:
            raise RuntimeError("sha1sum of curl's file does not match the server's hash")
        return {
            "seconds": float(seconds_text),
            "cpu": done.cpu,
            "peak_rss": done.peak_rss,
            "sha1sum": check.wall if check is not None else None,
        }
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _naive(res: srv.GeneratedResults) -> Dict[str, Any]:
    """``requests.get(href).content`` written to a file (bench/child_download.py)."""
    dest = _dest("naive")
    try:
        out = proc.python_child(
            "child_download", ["naive", res.list_url, res.job_id, str(dest), res.ids[0]]
        ).json()
        if out["bytes"] != res.size:
            raise RuntimeError(f"requests .content wrote {out['bytes']} bytes, not {res.size}")
        return out
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


def _label(size: int) -> str:
    return "1 GiB" if size == GiB else f"{size // MiB} MiB"


def _throughput_row(
    res: srv.GeneratedResults,
    mine: List[Dict[str, Any]],
    curl: List[Dict[str, Any]],
    summary: PairSummary,
    load: str,
) -> Row:
    size = res.size
    s_mine = Samples.of(size / MiB / r["seconds"] for r in mine)
    s_curl = Samples.of(size / MiB / r["seconds"] for r in curl)
    cpu_mine = Samples.of(r["cpu"] * GiB / size for r in mine)
    cpu_curl = Samples.of(r["cpu"] * GiB / size for r in curl)
    tail = Samples.of(r["after_last_byte"] or 0.0 for r in mine)
    met = summary.overall.median >= GOAL and summary.worst() >= GOAL
    facts = (
        f"{summary.describe('Client.download', 'curl')}; CPU seconds per GiB (all threads):"
        f" Client.download {cpu_mine.fmt(seconds)}, curl {cpu_curl.fmt(seconds)}"
        f" (curl's includes its start); verification + rename after the last byte:"
        f" {tail.fmt(seconds)}; {SETTLE_SECONDS:g} s idle before every run; load {load}"
    )
    if not met:
        facts += (
            f"; hashlib SHA-1 alone: {_sha1_speed():.0f} MiB/s on one core (curl does not hash)"
        )
    return Row(
        figure=f"{_label(size)} result download throughput, rotated pairs",
        measured=f"Client.download (SHA-1 checked): {s_mine.fmt(mib_per_s)}",
        reference=f"curl -o: {s_curl.fmt(mib_per_s)}",
        ratio=(
            f"{ratio(summary.overall.median)} curl (Client.download first"
            f" {ratio(summary.a_first.median)}, curl first {ratio(summary.b_first.median)})"
        ),
        goal=f"≥ {GOAL:g} × curl's throughput, whichever runs first",
        met=met,
        facts=facts,
    )


def _verified_row(
    res: srv.GeneratedResults,
    mine: List[Dict[str, Any]],
    curl: List[Dict[str, Any]],
    naive: List[Dict[str, Any]],
) -> Row:
    size = res.size
    s_mine = Samples.of(size / MiB / r["seconds"] for r in mine)
    checked = [r for r in curl if r["sha1sum"] is not None]
    s_checked = Samples.of(size / MiB / (r["seconds"] + r["sha1sum"]) for r in checked)
    s_naive = Samples.of(size / MiB / r["seconds"] for r in naive)
    return Row(
        figure=f"{_label(size)} verified download vs the shell and the naive recipe",
        measured=f"Client.download: {s_mine.fmt(mib_per_s)}",
        reference=(
            f"curl -o then sha1sum (the same verification): {s_checked.fmt(mib_per_s)};"
            f" requests.get().content: {s_naive.fmt(mib_per_s)}"
        ),
        ratio=(
            f"{ratio(s_mine.median / s_checked.median)} curl + sha1sum;"
            f" {ratio(s_mine.median / s_naive.median)} naive"
        ),
        goal="(none)",
        met=None,
        info=True,
        facts=(
            "medians of the rotated runs above (sha1sum right after curl, on the file still"
            " in the page cache) and of requests .content runs interleaved with them"
        ),
    )


def _rss_row(
    big: int,
    small: int,
    mine: List[Dict[str, Any]],
    mine_small: List[Dict[str, Any]],
    curl: List[Dict[str, Any]],
    naive: List[Dict[str, Any]],
) -> Row:
    rss_big = Samples.of(r["peak_rss"] for r in mine)
    rss_small = Samples.of(r["peak_rss"] for r in mine_small)
    rss_naive = Samples.of(r["peak_rss"] for r in naive)
    rss_curl = Samples.of(r["peak_rss"] for r in curl)
    start_rss = Samples.of(r["rss_before"] for r in mine)
    growth = rss_big.median - rss_small.median
    met = rss_big.high < RSS_LIMIT and growth < RSS_FLAT
    facts = (
        f"whole child process (VmHWM), Python + requests + lxml + uws_lite imported:"
        f" {start_rss.fmt(megabytes)} before the download; curl's own peak (its VmHWM,"
        f" read while it runs): {rss_curl.fmt(megabytes)}"
    )
    if not met:
        facts += f"; growth {_label(small)} → {_label(big)}: {growth / 1e6:.1f} MB"
    return Row(
        figure=f"peak RSS during the download, {_label(small)} vs {_label(big)}",
        measured=f"{_label(small)}: {rss_small.fmt(megabytes)}; {_label(big)}:"
        f" {rss_big.fmt(megabytes)}",
        reference=f"requests .content, {_label(big)}: {rss_naive.fmt(megabytes)}",
        ratio=ratio(rss_big.median / rss_naive.median),
        goal="< 80 MB, flat from 100 MiB to 1 GiB (growth < 5 MB)",
        met=met,
        facts=facts,
    )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def rows(server: OpusServer, quick: bool) -> List[Row]:
    """The throughput, verification and RSS rows."""
    big = 64 * MiB if quick else GiB
    small = 16 * MiB if quick else 100 * MiB
    n_pairs = 2 if quick else 6
    pause = 0.5 if quick else SETTLE_SECONDS
    res_big = srv.GeneratedResults(server, big)
    res_small = srv.GeneratedResults(server, small)
    if shutil.which("curl") is None:
        raise RuntimeError("curl is not installed (apt-get install curl): no comparison")
    with_sha1sum = shutil.which("sha1sum") is not None
    naive: List[Dict[str, Any]] = []
    mine_small: List[Dict[str, Any]] = []

    def interleaved(k: int) -> None:  # after every other pair: the naive way, and 100 MiB
        if k % 2 == 0:
            settle(pause)
            naive.append(_naive(res_big))
            settle(pause)
            mine_small.append(client_run(res_small))

    load_before = _load()
    pairs, mine, curl = rotated(
        n_pairs,
        lambda: client_run(res_big),
        lambda: curl_run(res_big, sha1sum=with_sha1sum),
        lambda out: 1.0 / float(out["seconds"]),  # throughput, up to the constant size
        before_each=lambda: settle(pause),
        after_pair=interleaved,
    )
    summary = PairSummary.of(pairs)
    load = f"{load_before} before, {_load()} after"
    return [
        _throughput_row(res_big, mine, curl, summary, load),
        _verified_row(res_big, mine, curl, naive),
        _rss_row(big, small, mine, mine_small, curl, naive),
    ]


def run(quick: bool) -> List[Row]:
    server = srv.start()
    try:
        result = rows(server, quick)
    finally:
        server.stop()
    return result + resume.run(quick) + parallel.run(quick)
