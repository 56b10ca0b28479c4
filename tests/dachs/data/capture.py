"""Re-capture the DaCHS documents in this directory from a running server (see README.md).

    python tests/dachs/data/capture.py http://127.0.0.1:8089

Needs the echo service from ../q.rd and the users made by ../setup-dachs.sh. Writes the files
listed in README.md (job ids and times change on every capture; the structure does not).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import requests

HERE = Path(__file__).resolve().parent
ALICE = ("alice", "s3cret")
TIMEOUT = 30  # seconds, for every request
TAP_QUERY = "SELECT TOP 1 table_name FROM tap_schema.tables"


def get(url: str, **kw: Any) -> requests.Response:
    return requests.get(url, timeout=TIMEOUT, **kw)


def post(url: str, **kw: Any) -> requests.Response:
    return requests.post(url, timeout=TIMEOUT, allow_redirects=False, **kw)


def save(name: str, response: requests.Response, expect: int) -> None:
    if response.status_code != expect:
        raise SystemExit(f"{name}: expected HTTP {expect}, got {response.status_code}")
    (HERE / name).write_bytes(response.content)
    ctype = response.headers.get("Content-Type", "")
    print(f"{name}: HTTP {response.status_code} {ctype} {len(response.content)} bytes")


def create(
    url: str,
    data: Dict[str, str],
    files: Optional[Dict[str, Tuple[str, bytes]]] = None,
    auth: Optional[Tuple[str, str]] = None,
) -> str:
    response = post(url, data=data, files=files, auth=auth)
    if response.status_code != 303:
        raise SystemExit(f"creation at {url}: HTTP {response.status_code}: {response.text}")
    return response.headers["Location"]


def run_and_wait(job: str, auth: Optional[Tuple[str, str]] = None) -> None:
    post(f"{job}/phase", data={"PHASE": "RUN"}, auth=auth)
    for _ in range(30):
        phase = get(job, params={"WAIT": "5"}, auth=auth).text
        if "COMPLETED" in phase or "ERROR" in phase:
            return
        time.sleep(0.2)
    raise SystemExit(f"{job} did not finish")


def main(base: str) -> None:
    echo = f"{base}/uwstest/q/echo/async"
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))

    job = create(echo, {"message": "pending job", "sleep": "0.5"})
    save("dachs-job-pending.xml", get(job), 200)
    save("dachs-parameters.xml", get(f"{job}/parameters"), 200)
    # DaCHS has no per-parameter resource: GET <job>/parameters/<name> is a 200 VOTable error.
    save("dachs-parameter-name-200-votable.xml", get(f"{job}/parameters/message"), 200)
    # An unknown PHASE value is answered with HTTP 200 and a VOTable error document.
    bad = post(f"{job}/phase", data={"PHASE": "BOGUS"})
    save("dachs-phase-bogus-200-votable.xml", bad, 200)
    post(f"{job}/phase", data={"PHASE": "ABORT"})
    save("dachs-job-aborted.xml", get(job), 200)

    job = create(echo, {"message": "completed job", "sleep": "0.5"})
    run_and_wait(job)
    save("dachs-job-completed.xml", get(job), 200)
    save("dachs-results.xml", get(f"{job}/results"), 200)

    job = create(
        echo,
        {"UPLOAD": "infile,param:upl", "message": "upload"},
        files={"upl": ("input.bin", b"uploaded bytes\n\x00\xff")},
    )
    run_and_wait(job)
    # byReference="True": not an xs:boolean, so this document does not validate.
    save("dachs-job-upload-byReference-True.xml", get(job), 200)

    # A file part named after the parameter is inlined as text; DaCHS writes a NUL as "&x00;"
    # and other control characters raw: the job document is not well-formed XML.
    job = create(echo, {}, files={"infile": ("ctl.bin", b"\x00\x01\x02")})
    save("dachs-job-inline-control-chars-not-wellformed.xml", get(job), 200)

    job = create(echo, {"fail": "this job fails on purpose"})
    run_and_wait(job)
    save("dachs-job-error.xml", get(job), 200)
    save("dachs-error-votable.xml", get(f"{job}/error"), 200)

    job = create(echo, {"message": "alice"}, auth=ALICE)
    save("dachs-job-owner-alice.xml", get(job, auth=ALICE), 200)
    save("dachs-401.html", get(job), 401)

    listing = get(echo, params={"AFTER": started, "PHASE": "COMPLETED"})
    save("dachs-joblist-completed.xml", listing, 200)
    save("dachs-joblist-bad-phase-400-votable.xml", get(echo, params={"PHASE": "X"}), 400)
    save("dachs-job-not-found-404-votable.xml", get(f"{echo}/nosuchjob"), 404)

    tap = create(
        f"{base}/tap/async",
        {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": TAP_QUERY},
    )
    run_and_wait(tap)
    save("dachs-tap-job-completed.xml", get(tap), 200)
    save("dachs-tap-result.vot", get(f"{tap}/results/result"), 200)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8089")
