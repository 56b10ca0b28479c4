"""Child process of the large job-list figure: one ``Client.get_job_list()``.

    python -m bench.child_joblist BASE_URL

``BASE_URL/small`` answers a 1-job list (the warm-up: imports, connection, parser) and
``BASE_URL/big`` the large one. Prints one JSON object: the seconds of the big call, the
number of jobs read, and the peak RSS (VmHWM) before and after it, so that the figure is
the *extra* peak memory of reading the list, whatever the interpreter itself costs.
"""

from __future__ import annotations

import json
import sys
import time
from typing import List

from bench.proc import peak_rss_self


def main(argv: List[str]) -> int:
    base = argv[0].rstrip("/")
    from uws_lite import Client

    with Client(base + "/small") as small:
        assert len(small.get_job_list().jobs) == 1
    before = peak_rss_self()
    with Client(base + "/big") as client:
        start = time.perf_counter()
        jobs = client.get_job_list().jobs
        seconds = time.perf_counter() - start
    after = peak_rss_self()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "count": len(jobs),
                "last": jobs[-1].job_id if jobs else None,
                "peak_before": before,
                "peak_after": after,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
