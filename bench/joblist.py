"""Issue 12: a 100 000-job list (about 21 MB, OPUS style) read by ``Client.get_job_list()``.

    python -m bench.joblist [--quick]      # prints a markdown table

The list is served from memory by a plain ``http.server`` on loopback (the embedded OPUS
server would have to hold 100 000 real jobs); each measurement runs in a fresh child
process (``child_joblist.py``) that reports the call's time and its extra peak RSS (VmHWM
after the call minus VmHWM after a warm-up call on a 1-job list). Goal: ≤ 1.5 s and
≤ 150 MB extra.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Sequence

if __package__ in (None, ""):  # python bench/joblist.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import proc, uwsdocs
from bench.stats import Samples, megabytes, seconds
from bench.table import Row, render

GOAL_SECONDS = 1.5
GOAL_EXTRA_RSS = 150e6


class _ListHandler(BaseHTTPRequestHandler):
    documents: ClassVar[Dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.documents.get(self.path.split("?")[0].rstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(big: bytes) -> Iterator[str]:
    documents = {"/big": big, "/small": uwsdocs.job_list(1)}
    handler = type("Handler", (_ListHandler,), {"documents": documents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(n_jobs: int, runs: int) -> List[Dict[str, Any]]:
    """``runs`` child measurements of ``get_job_list()`` on an ``n_jobs`` list."""
    big = uwsdocs.job_list(n_jobs)
    results: List[Dict[str, Any]] = []
    with _serve(big) as base:
        for _ in range(runs):
            out = proc.python_child("child_joblist", [base]).json()
            if out["count"] != n_jobs:
                raise RuntimeError(f"read {out['count']} jobs of {n_jobs}")
            out["bytes"] = len(big)
            results.append(out)
    return results


def run(quick: bool) -> List[Row]:
    """The figure's row (the run.py interface)."""
    n_jobs, runs = (10_000, 1) if quick else (100_000, 5)
    results = measure(n_jobs, runs)
    times = Samples.of(r["seconds"] for r in results)
    extra = Samples.of(r["peak_after"] - r["peak_before"] for r in results)
    size = results[0]["bytes"]
    met = times.median <= GOAL_SECONDS and extra.median <= GOAL_EXTRA_RSS
    return [
        Row(
            figure=f"{n_jobs:,}-job list ({size / 1e6:.1f} MB): get_job_list()",
            measured=f"{times.fmt(seconds)}; +{extra.fmt(megabytes)} peak RSS",
            reference="–",
            ratio="–",
            goal="≤ 1.5 s, ≤ 150 MB extra RSS",
            met=met if not quick else None,
            facts=f"peak RSS before the call {megabytes(results[0]['peak_before'])}",
            info=quick,
        )
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.joblist", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 000 jobs, one run")
    args = parser.parse_args(argv)
    sys.stdout.write(render(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
