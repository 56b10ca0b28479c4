"""Child process of the rotated download figure: one ``Client.download``, timed.

    python -m bench.child_fetch LIST_URL JOB_ID RESULT_ID DEST_DIR

Reads the job's result list first (not timed), then downloads the result with
``Client.download`` (SHA-1 verified against OPUS's ``hash``) and prints one JSON object:
seconds of the download, CPU seconds of this process during it (all threads: the SHA-1 is
computed on a worker thread), the time from the last byte written to the end of the call
(verification and rename), bytes on disk, VmHWM (peak RSS) before and after.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Union

from uws_lite import Client

from .proc import peak_rss_self


def main(argv: List[str]) -> int:
    list_url, job_id, result_id, dest_dir = argv[0], argv[1], argv[2], Path(argv[3])
    dest_dir.mkdir(parents=True, exist_ok=True)
    with Client(list_url) as client:
        found = [r for r in client.get_results(job_id) if r.id == result_id]
        if not found:
            raise SystemExit(f"result {result_id} not found in job {job_id}")
        result = found[0]
        if result.sha1 is None:
            raise SystemExit(f"result {result_id} has no SHA-1: the figure needs one")
        rss_before = peak_rss_self()
        last_byte = [0.0]

        def progress(done: int, total: Optional[int]) -> None:
            if total is not None and done >= total:
                last_byte[0] = time.perf_counter()

        cpu0 = time.process_time()
        start = time.perf_counter()
        path = client.download(result, dest_dir / result.id, progress=progress)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    out: Dict[str, Union[float, int, None]] = {
        "seconds": elapsed,
        "cpu": cpu,
        "after_last_byte": (start + elapsed - last_byte[0]) if last_byte[0] else None,
        "bytes": path.stat().st_size,
        "peak_rss": peak_rss_self(),
        "rss_before": rss_before,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
