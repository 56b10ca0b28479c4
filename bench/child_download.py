"""Child process of the download figures: one way of downloading, timed, with peak RSS.

    python -m bench.child_download MODE LIST_URL JOB_ID DEST_DIR [RESULT_ID ...]

MODE is one of
- ``client``: ``uws_lite.Client.download`` of each result, one after another;
- ``many``: ``uws_lite.Client.download_many`` of all results (``--workers`` in the env
  variable BENCH_WORKERS, default 8);
- ``naive``: ``requests.get(href).content`` written to a file (the documented recipe's
  simplest replacement);
- ``nohash``: ``uws_lite.Client.download`` of the href alone, without the SHA-1 check
  (diagnostic).

Prints one JSON object: total seconds, per-result seconds, the time the last byte was
written (so verification/fsync time can be told apart), bytes, and VmHWM (peak RSS).
The result list is read before the clock starts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from uws_lite import Client, Result


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main(argv: List[str]) -> int:
    mode, list_url, job_id, dest_dir = argv[0], argv[1], argv[2], Path(argv[3])
    wanted = argv[4:]
    dest_dir.mkdir(parents=True, exist_ok=True)
    with Client(list_url) as client:
        results: List[Result] = [
            r for r in client.get_results(job_id) if not wanted or r.id in wanted
        ]
        if wanted and len(results) != len(wanted):
            raise SystemExit(f"results {wanted} not all found in job {job_id}")
        rss_before = _peak_rss()
        last_byte = [0.0]
        received = [0, 0]  # bytes received in all attempts, last progress value

        def progress(done: int, total: Optional[int]) -> None:
            # done goes back to 0 when the download starts again from zero.
            received[0] += max(0, done - received[1]) if done >= received[1] else done
            received[1] = done
            if total is not None and done >= total:
                last_byte[0] = time.perf_counter()

        per_item: List[float] = []
        start = time.perf_counter()
        if mode == "client":
            for result in results:
                t0 = time.perf_counter()
                client.download(result, dest_dir / result.id, progress=progress)
                per_item.append(time.perf_counter() - t0)
        elif mode == "nohash":
            # Diagnostic only: the same download without the SHA-1 check (an href has no
            # hash), to tell the cost of verification from the cost of the transfer.
            for result in results:
                t0 = time.perf_counter()
                client.download(str(result.href), dest_dir / result.id, progress=progress)
                per_item.append(time.perf_counter() - t0)
        elif mode == "many":
            # Client.download_many: the client's own session (pool of 10 connections) and
            # origin-scoped auth.
            workers = int(os.environ.get("BENCH_WORKERS", "8"))
            report = client.download_many(
                [(r, dest_dir / r.id) for r in results], max_workers=workers
            )
            report.raise_for_failures()
        elif mode == "naive":
            for result in results:
                t0 = time.perf_counter()
                data = requests.get(str(result.href), timeout=(10, 90)).content
                (dest_dir / result.id).write_bytes(data)
                last_byte[0] = time.perf_counter()
                del data
                per_item.append(time.perf_counter() - t0)
        else:
            raise SystemExit(f"unknown mode {mode}")
        elapsed = time.perf_counter() - start
    size = sum((dest_dir / r.id).stat().st_size for r in results)
    out: Dict[str, Any] = {
        "seconds": elapsed,
        "per_item": per_item,
        "after_last_byte": (start + elapsed - last_byte[0]) if last_byte[0] else None,
        "bytes": size,
        "received": received[0] if mode == "client" else None,
        "peak_rss": _peak_rss(),
        "rss_before": rss_before,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
