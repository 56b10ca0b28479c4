"""Figure: a sweep of 50 one-second jobs with ``--max-parallel 8`` vs one after another.

Both runs are the real command line, ``python -m uws_call_expres CONFIG... --server <local>``
in a child process (submit, wait, download every result of every job), against the local
server in this process. The server counts the TCP connections it accepts and the requests
it answers, to show whether the client reuses connections.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

from . import proc
from . import server as srv
from .stats import Samples, ratio, seconds
from .table import Row

SPEEDUP_GOAL = 6.0


def _configs(directory: Path, n: int, duration: float) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = directory / f"sweep_{i:03d}.json"
        path.write_bytes(srv.config(f"sweep_{i:03d}", duration=duration, cdf_size=64 * 1024))
        paths.append(path)
    return paths


def _sweep(
    server_rest: str, configs: List[Path], parallel: int, out: Path, counter: srv.ConnectionCounter
) -> Tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    counter.reset()
    cmd = [
        sys.executable,
        "-m",
        "uws_call_expres",
        *map(str, configs),
        "--server",
        server_rest,
        "--max-parallel",
        str(parallel),
        "--output-dir",
        str(out),
        "--quiet",
        "--no-progress",
    ]
    done = proc.run(cmd, timeout=600)
    saved = sum(1 for p in out.rglob("*.cdf"))
    if saved != len(configs):
        raise RuntimeError(f"the sweep saved {saved} CDF files for {len(configs)} jobs")
    shutil.rmtree(out, ignore_errors=True)
    return done.wall, counter.count


def run(quick: bool) -> List[Row]:
    n_jobs, duration, parallel = (10, 0.5, 8) if quick else (50, 1.0, 8)
    repeats = 1 if quick else 3
    server = srv.start()
    counter = srv.ConnectionCounter(server)
    work = proc.SCRATCH / "sweep"
    try:
        configs = _configs(work / "configs", n_jobs, duration)
        par_times: List[float] = []
        par_conns: List[int] = []
        par_requests: List[int] = []
        seq_wall, seq_conns, seq_requests = 0.0, 0, 0
        for k in range(repeats):
            if k == min(1, repeats - 1):  # the sequential run between the parallel ones
                since = time.time()
                seq_wall, seq_conns = _sweep(server.rest_url, configs, 1, work / "out", counter)
                seq_requests = sum(1 for r in server.requests if r.started >= since)
            since = time.time()
            wall, n_conns = _sweep(server.rest_url, configs, parallel, work / "out", counter)
            par_times.append(wall)
            par_conns.append(n_conns)
            par_requests.append(sum(1 for r in server.requests if r.started >= since))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    par = Samples.of(par_times)
    speedup = seq_wall / par.median
    conns = Samples.of(par_conns).median
    requests_made = Samples.of(par_requests).median
    per_conn = requests_made / conns if conns else float("nan")
    reused = per_conn >= 2.0
    ideal = n_jobs / -(-n_jobs // parallel)  # jobs / rounds
    facts: Dict[str, str] = {
        "conn": (
            f"parallel run: {conns:.0f} TCP connections for {requests_made:.0f} requests"
            f" ({per_conn:.1f} requests per connection, {conns / n_jobs:.2f} per job: the"
            " sweep's jobs share one client, at most 10 pooled connections);"
            f" sequential run: {seq_conns} connections for {seq_requests} requests"
        ),
        "ideal": (
            f"{n_jobs} jobs in lanes of {parallel}: at most ⌈{n_jobs}/{parallel}⌉ ="
            f" {-(-n_jobs // parallel)} rounds, so the best possible speed-up is {ideal:.2f}×"
        ),
    }
    met = speedup >= SPEEDUP_GOAL and reused
    text = facts["conn"] + "; " + facts["ideal"]
    if speedup < SPEEDUP_GOAL:
        text += f"; sequential {seconds(seq_wall / n_jobs)} per job vs the job's {duration:g} s run"
    return [
        Row(
            figure=f"sweep of {n_jobs} {duration:g}-second jobs, max-parallel {parallel}",
            measured=f"--max-parallel {parallel}: {par.fmt(seconds)}",
            reference=f"one after another (--max-parallel 1): {seconds(seq_wall)} (n=1)",
            ratio=f"{ratio(speedup)} faster",
            goal=f"≥ {SPEEDUP_GOAL:g}× faster, connections reused (≥ 2 requests per connection)",
            met=met,
            facts=text,
        )
    ]
