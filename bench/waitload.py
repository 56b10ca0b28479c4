"""Issue 12: what a big sweep costs the server and the client while its jobs run.

    python -m bench.waitload [--quick]        # prints a markdown table

The real command line, ``python -m uws_call_expres`` with 100 configs of a 20-s simulated
run (``_test`` in each config, see ``uws_lite/testing/plan.py``) at ``--max-parallel 100``,
in a child process, against the embedded server in this process: once with ``WAIT``
ignored (``faults.wait_ignored``: every status request answers at once, as a UWS 1.0
server does), once with ``WAIT`` honoured. Measured while every job is running, from the
last job's start to the first job's end ("while waiting"):

- status requests per second, all jobs together: GETs of a job, its ``/phase`` or the job
  list (a sweep's :class:`uws_lite.JobWatcher` asks the list which jobs are still active) in
  the server's request log;
- the client's CPU, as a share of one core: the child's utime + stime, sampled every
  0.25 s from ``/proc/<pid>/stat`` and interpolated at the window's ends;

and, per job, the delay from its end (when the server put it in COMPLETED) to the
detection: the answer to the first status request answered after the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

if __package__ in (None, ""):  # python bench/waitload.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import proc
from bench import server as srv
from bench.stats import Samples, seconds
from bench.table import Row, render
from uws_lite.testing import OpusServer

IGNORED_RATE_GOAL = 5.0  # status requests per second, all jobs together
DETECTION_GOAL = 2.0  # seconds, median
HONOURED_RATE_GOAL = 1.0
HONOURED_CPU_GOAL = 2.0  # % of one core
SAMPLE_EVERY = 0.25  # seconds between CPU samples of the child
START_MARGIN = 1.0  # seconds after the last job started before the window opens


@dataclass(frozen=True)
class Sweep:
    """What one sweep did while its jobs ran."""

    window: Tuple[float, float]  # time.time() of the last start + margin, of the first end
    status_requests: int  # job, /phase and job-list GETs in the window
    with_wait: int
    list_requests: int
    cpu_percent: float  # of one core, in the window
    delays: Samples  # job end -> detection, seconds
    wall: float  # the whole command
    cpu_total: float  # the whole command

    @property
    def seconds(self) -> float:
        return self.window[1] - self.window[0]

    @property
    def rate(self) -> float:
        return self.status_requests / self.seconds


def _configs(directory: Path, n: int, duration: float) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = directory / f"w_{i:03d}.json"
        plan = {"duration": duration, "queued": 0, "cdf_size": 1024, "provenance": False}
        path.write_bytes(srv.config(f"w_{i:03d}", **plan))
        paths.append(path)
    return paths


def _is_status(path: str, job_ids: Sequence[str]) -> Optional[str]:
    """The job id when ``path`` is a job document or its phase, else None."""
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-1] == "phase":
        parts = parts[:-1]
    return parts[-1] if parts and parts[-1] in job_ids else None


def _measure(server: OpusServer, done: proc.Finished) -> Sweep:
    jobs = list(server.jobs.values())
    starts = [j.entered("EXECUTING") for j in jobs]
    ends = [srv.end_time(server, j.job_id) for j in jobs]
    if not jobs or None in starts or None in ends:
        raise RuntimeError("not every job of the sweep ran to its end")
    start = max(s for s in starts if s is not None) + START_MARGIN
    end = min(e for e in ends if e is not None)
    if end - start < 2.0:
        raise RuntimeError(
            f"the submissions took too long: only {end - start:.1f} s with every job running"
        )
    ids = [j.job_id for j in jobs]
    first_answer = dict.fromkeys(ids, float("inf"))
    end_of = {j.job_id: e for j, e in zip(jobs, ends) if e is not None}
    count = with_wait = lists = 0
    list_path = urlsplit(server.list_url()).path.rstrip("/")
    for rec in server.requests:
        if rec.method != "GET":
            continue
        job_id = _is_status(rec.path, ids)
        in_window = start <= rec.started <= end
        if job_id is None:
            if in_window and rec.path.rstrip("/") == list_path:
                count += 1
                lists += 1
            continue
        if in_window:
            count += 1
            with_wait += "WAIT=" in rec.query
        if rec.answered >= end_of[job_id]:
            first_answer[job_id] = min(first_answer[job_id], rec.answered)
    missed = [i for i in ids if first_answer[i] == float("inf")]
    if missed:
        raise RuntimeError(f"{len(missed)} job(s) ended with no status request after the end")
    cpu = done.cpu_between(start, end) / (end - start) * 100.0
    return Sweep(
        window=(start, end),
        status_requests=count,
        with_wait=with_wait,
        list_requests=lists,
        cpu_percent=cpu,
        delays=Samples.of(first_answer[i] - end_of[i] for i in ids),
        wall=done.wall,
        cpu_total=done.cpu,
    )


def sweep(configs: List[Path], out: Path, *, wait_ignored: bool) -> Sweep:
    """Run the sweep against a fresh server (every job on it is the sweep's)."""
    server = srv.start()
    server.faults.wait_ignored = wait_ignored
    shutil.rmtree(out, ignore_errors=True)
    try:
        cmd = [
            sys.executable,
            "-m",
            "uws_call_expres",
            *map(str, configs),
            "--server",
            server.rest_url,
            "--max-parallel",
            str(len(configs)),
            "--output-dir",
            str(out),
            "--quiet",
            "--no-progress",
        ]
        done = proc.run(cmd, timeout=600, trace_every=SAMPLE_EVERY)
        saved = sum(1 for _ in out.rglob("*.cdf"))
        if saved != len(configs):
            raise RuntimeError(f"the sweep saved {saved} CDF files for {len(configs)} jobs")
        return _measure(server, done)
    finally:
        server.stop()
        shutil.rmtree(out, ignore_errors=True)


def _facts(s: Sweep) -> str:
    return (
        f"window {s.seconds:.1f} s (last start + {START_MARGIN:g} s to first end):"
        f" {s.status_requests} status requests ({s.list_requests} of the job list,"
        f" {s.with_wait} with WAIT); client CPU"
        f" {s.cpu_percent:.2f} % of a core in the window; whole command {seconds(s.wall)},"
        f" {seconds(s.cpu_total)} CPU"
    )


def run(quick: bool) -> List[Row]:
    n_jobs, duration = (10, 6.0) if quick else (100, 20.0)
    work = proc.SCRATCH / "waitload"
    try:
        configs = _configs(work / "configs", n_jobs, duration)
        ignored = sweep(configs, work / "out", wait_ignored=True)
        honoured = sweep(configs, work / "out", wait_ignored=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    what = f"sweep of {n_jobs} × {duration:g} s jobs, --max-parallel {n_jobs}"
    return [
        Row(
            figure=f"{what}, server ignoring WAIT: status requests while waiting",
            measured=f"{ignored.rate:.1f} requests/s in aggregate",
            reference=f"the documented 2-s recipe: {n_jobs / 2:g} requests/s",
            ratio="–",
            goal=f"≤ {IGNORED_RATE_GOAL:g} requests/s in aggregate",
            met=ignored.rate <= IGNORED_RATE_GOAL,
            facts=_facts(ignored),
        ),
        Row(
            figure=f"{what}, server ignoring WAIT: job end → detection",
            measured=f"median {ignored.delays.fmt(seconds)}",
            reference="–",
            ratio="–",
            goal=f"≤ {DETECTION_GOAL:g} s median",
            met=ignored.delays.median <= DETECTION_GOAL,
            facts="per job: the first status request answered after the server's end time",
        ),
        Row(
            figure=f"{what}, WAIT honoured: requests/s and client CPU while waiting",
            measured=f"{honoured.rate:.2f} requests/s; CPU {honoured.cpu_percent:.2f} % of a core",
            reference="–",
            ratio="–",
            goal=f"≤ {HONOURED_RATE_GOAL:g} requests/s; ≤ {HONOURED_CPU_GOAL:g} % of a core",
            met=honoured.rate <= HONOURED_RATE_GOAL and honoured.cpu_percent <= HONOURED_CPU_GOAL,
            facts=_facts(honoured) + f"; job end → detection: {honoured.delays.fmt(seconds)}",
        ),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.waitload", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 jobs of 6 s")
    args = parser.parse_args(argv)
    print(render(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
