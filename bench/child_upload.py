"""Child process of the upload figure: create one job with a large ephemeris file.

    python -m bench.child_upload uws_lite|requests LIST_URL CONFIG_PATH EPHEM_PATH

``uws_lite``: ``Client.new_job(files=...)`` (streamed). ``requests``: the pre-issue-12 way,
``requests.post(url, files=...)`` with open files (requests reads them into memory).
Prints one JSON object: seconds, the job id and this process's peak RSS (VmHWM: a fresh
high-water mark since exec; ``wait4``'s ru_maxrss is not, it keeps the forking parent's
RSS, and the parent here holds the embedded server and its uploads).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import List

from bench.proc import peak_rss_self


def main(argv: List[str]) -> int:
    which, url, config, ephem = argv[0], argv[1], Path(argv[2]), Path(argv[3])
    import requests

    from uws_lite import Client

    start = time.perf_counter()
    if which == "uws_lite":
        with Client(url) as client:
            job_id = client.new_job(files={"config": config, "ephemeride": ephem}).job_id
    else:
        with config.open("rb") as c, ephem.open("rb") as e:
            reply = requests.post(
                url,
                files={"config": (config.name, c), "ephemeride": (ephem.name, e)},
                allow_redirects=False,
                timeout=300,
            )
        reply.raise_for_status()
        job_id = reply.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "job_id": job_id, "peak_rss": peak_rss_self()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
