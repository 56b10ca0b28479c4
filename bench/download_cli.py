"""Figure: the whole ``uws-lite download`` command vs ``curl -o``, each a fresh process.

``python -m uws_lite --url LIST download JOB RESULT -o DIR --quiet`` (interpreter start,
imports, the job's result list, the download, the SHA-1 check) against ``curl -o`` of the
same result, in rotated pairs; wall time of each process measured from here, with its CPU
time (``wait4``) and its own peak RSS. Same idle time before every run as download.py.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any, Dict, List

from . import proc
from . import server as srv
from .pairs import SETTLE_SECONDS, PairSummary, rotated, settle
from .stats import Samples, megabytes, ratio, seconds
from .table import Row

MiB = 1 << 20
GiB = 1 << 30
GOAL = 0.85  # × curl's throughput (curl's wall time / the command's)


def _command(res: srv.GeneratedResults) -> Dict[str, Any]:
    dest = proc.SCRATCH / "dlcli" / "uws-lite"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        cmd = [sys.executable, "-m", "uws_lite", "--url", res.list_url, "--quiet"]
        done = proc.run([*cmd, "download", res.job_id, res.ids[0], "-o", str(dest)])
        saved = [p.stat().st_size for p in dest.iterdir()]
        if saved != [res.size]:
            raise RuntimeError(f"uws-lite download left {saved} bytes in {dest}")
        return {"wall": done.wall, "cpu": done.cpu, "peak_rss": done.peak_rss}
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _curl(res: srv.GeneratedResults) -> Dict[str, Any]:
    dest = proc.SCRATCH / "dlcli" / "curl"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        target = dest / res.ids[0]
        done = proc.run(["curl", "--silent", "--fail", "-o", str(target), res.hrefs[0]])
        if target.stat().st_size != res.size:
            raise RuntimeError(f"curl saved {target.stat().st_size} bytes, not {res.size}")
        return {"wall": done.wall, "cpu": done.cpu, "peak_rss": done.peak_rss}
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def run(quick: bool) -> List[Row]:
    if shutil.which("curl") is None:
        raise RuntimeError("curl is not installed (apt-get install curl): no comparison")
    size = 64 * MiB if quick else GiB
    n_pairs = 2 if quick else 6
    pause = 0.5 if quick else SETTLE_SECONDS
    server = srv.start()
    try:
        res = srv.GeneratedResults(server, size)
        pairs, mine, curl = rotated(
            n_pairs,
            lambda: _command(res),
            lambda: _curl(res),
            lambda out: 1.0 / float(out["wall"]),  # throughput of the whole process
            before_each=lambda: settle(pause),
        )
    finally:
        server.stop()
    summary = PairSummary.of(pairs)
    met = summary.overall.median >= GOAL and summary.worst() >= GOAL
    walls = Samples.of(r["wall"] for r in mine)
    curl_walls = Samples.of(r["wall"] for r in curl)
    label = "1 GiB" if size == GiB else f"{size // MiB} MiB"
    facts = (
        f"{summary.describe('uws-lite', 'curl')}; CPU of the whole process (wait4):"
        f" uws-lite {Samples.of(r['cpu'] for r in mine).fmt(seconds)}, curl"
        f" {Samples.of(r['cpu'] for r in curl).fmt(seconds)}; own peak RSS: uws-lite"
        f" {Samples.of(r['peak_rss'] for r in mine).fmt(megabytes)}, curl"
        f" {Samples.of(r['peak_rss'] for r in curl).fmt(megabytes)};"
        f" {pause:g} s idle before every run"
    )
    return [
        Row(
            figure=f"`uws-lite download` of a {label} result, whole process",
            measured=f"python -m uws_lite download: {walls.fmt(seconds)}",
            reference=f"curl -o: {curl_walls.fmt(seconds)}",
            ratio=(
                f"{ratio(summary.overall.median)} curl's throughput (uws-lite first"
                f" {ratio(summary.a_first.median)}, curl first {ratio(summary.b_first.median)})"
            ),
            goal=f"≥ {GOAL:g} × `curl -o`, whichever runs first",
            met=met,
            facts=facts,
        )
    ]
