"""Deadline overshoot on hostile servers (issue 11): how long after its deadline a call ends.

    python bench/deadlines.py [--repeat N] [--timeout T]

For each class of hostile behaviour, an embedded OPUS server (``uws_lite.testing``) with the
fault switched on; ``Client.wait(timeout=T)`` on a job that never ends, the download
faults with ``Client.download``. Prints a markdown table: overshoot = elapsed - T (median,
[min-max], runs) against the promised bound (``uws_lite.wait.DEADLINE_MARGIN``). The cases
run concurrently (one server each; they mostly sleep), so a run takes about T x repeat.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Tuple

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from uws_lite import Client, DownloadTimeout, WaitTimeout
from uws_lite.errors import UWSError
from uws_lite.testing import OpusServer, RunPlan
from uws_lite.testing.faults import FOREVER, Faults
from uws_lite.wait import DEADLINE_MARGIN

WAITS = r"^GET /rest/ExPRES/\w+\?.*WAIT="
CDF = 4 << 20


def _huge(f: Faults) -> None:
    f.status_429, f.retry_after = FOREVER, "999999999"


def _429(f: Faults) -> None:
    f.status_429, f.retry_after = FOREVER, "10"


def _503(f: Faults) -> None:
    f.status_503, f.retry_after = FOREVER, "10"


def _held(f: Faults) -> None:
    f.hold_requests = 120.0


def _trickle(f: Faults) -> None:
    f.trickle_delay = 2.0


def _trickled_headers(f: Faults) -> None:
    f.trickle_delay, f.trickle_headers = 2.0, True


def _stall(f: Faults) -> None:
    f.trickle_delay = 120.0


WAIT_CASES: Dict[str, Callable[[Faults], None]] = {
    "Retry-After: 999999999 (429 forever)": _huge,
    "429 forever (Retry-After: 10)": _429,
    "503 forever (Retry-After: 10)": _503,
    "every request held 120 s (past WAIT)": _held,
    "job document trickled, 1 byte / 2 s": _trickle,
    "status line and headers trickled, 1 byte / 2 s": _trickled_headers,
    "job document stalls after 1 byte": _stall,
}


def _server() -> OpusServer:
    return OpusServer(run_plan=RunPlan(duration=0.1, queued=0.0, cdf_size=CDF)).start()


def wait_case(setup: Callable[[Faults], None], timeout: float) -> float:
    """Seconds past ``timeout`` at which ``Client.wait`` ended (it must raise WaitTimeout)."""
    server = _server()
    try:
        job_id = server.seed_jobs(1, phase="EXECUTING")[0]
        server.faults.request_filter = WAITS
        setup(server.faults)
        with Client(server.list_url()) as client:
            started = time.monotonic()
            with contextlib.suppress(WaitTimeout):
                client.wait(job_id, timeout=timeout)
            return time.monotonic() - started - timeout
    finally:
        server.stop()


def _result(server: OpusServer, client: Client, work: Path) -> Tuple[str, str]:
    config = work / "example.json"
    config.write_text('{"SIMU": {}, "_test": {"duration": 0.1, "cdf_size": ' + str(CDF) + "}}")
    job = client.wait(client.new_job(files={"config": config}, run=True).job_id, timeout=30)
    result = next(r for r in job.results if r.id.endswith(".cdf"))
    return result.href or "", result.sha1 or ""


def download_stall_case(stall_timeout: float) -> float:
    """Seconds past ``stall_timeout`` at which a download stalled at 60 % completed
    (resumed with Range)."""
    server = _server()
    try:
        with tempfile.TemporaryDirectory() as tmp, Client(server.list_url()) as client:
            href, _ = _result(server, client, Path(tmp))
            server.faults.stall_download_at = 0.6
            started = time.monotonic()
            client.download(href, Path(tmp) / "r.cdf", stall_timeout=stall_timeout)
            return time.monotonic() - started - stall_timeout
    finally:
        server.stop()


def download_deadline_case(timeout: float) -> float:
    """Seconds past ``timeout`` at which a download that always stalls raised."""
    server = _server()
    try:
        with tempfile.TemporaryDirectory() as tmp, Client(server.list_url()) as client:
            href, _ = _result(server, client, Path(tmp))
            server.faults.stall_download_at = 0.6
            server.faults.stall_download_count = FOREVER
            started = time.monotonic()
            with contextlib.suppress(DownloadTimeout):
                client.download(href, Path(tmp) / "r.cdf", timeout=timeout)
            return time.monotonic() - started - timeout
    finally:
        server.stop()


def _row(name: str, values: List[float], bound: str) -> str:
    med = statistics.median(values)
    return (
        f"| {name} | {med:+.3f} s [{min(values):+.3f} – {max(values):+.3f}], "
        f"{len(values)} runs | {bound} |"
    )


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    t, n = args.timeout, args.repeat
    jobs: Dict[str, List[Callable[[], float]]] = {}
    for name, setup in WAIT_CASES.items():
        jobs[f"`Client.wait(timeout={t:g})`: {name}"] = [
            functools.partial(wait_case, setup, t) for _ in range(n)
        ]
    jobs["`Client.download(stall_timeout=2)`: stall at 60 %, resumed"] = [
        functools.partial(download_stall_case, 2.0) for _ in range(n)
    ]
    jobs[f"`Client.download(timeout={t:g})`: every attempt stalls"] = [
        functools.partial(download_deadline_case, t) for _ in range(n)
    ]
    with ThreadPoolExecutor(max_workers=sum(len(v) for v in jobs.values())) as pool:
        futures = {name: [pool.submit(f) for f in fs] for name, fs in jobs.items()}
        results: Dict[str, List[float]] = {}
        for name, fs in futures.items():
            try:
                results[name] = [f.result() for f in fs]
            except UWSError as exc:
                print(f"{name}: failed: {exc}", file=sys.stderr)
                return 1
    print("| case | overshoot past the deadline | promised bound |")
    print("|---|---|---|")
    for name, values in results.items():
        bound = f"+{DEADLINE_MARGIN:g} s"
        if "stall_timeout" in name:
            bound = "resumed soon after the stall timeout (old: 90 s read timeout)"
        print(_row(name, values, bound))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
