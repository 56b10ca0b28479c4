"""WAIT/PHASE blocking on the job resource (UWS 1.1 §2.2.1.2, as OPUS does it).

No timing assertions: a WAIT that returns a *changed* phase proves it blocked until the change
(and the request timeout proves it woke instead of sleeping its full WAIT).
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from typing import Any, List

import requests

from uws_lite.testing import RunPlan


def test_wait_returns_on_the_phase_change(api: Any) -> None:
    job_id = api.create_job(duration=0.3)
    api.job(job_id, WAIT=30, PHASE="QUEUED")
    # Far shorter than WAIT=300: only an early wake-up can answer in time.
    response = api.get(
        f"/rest/ExPRES/{job_id}", params={"WAIT": 300, "PHASE": "EXECUTING"}, timeout=10
    )
    assert api.text(_xml(response), "phase") == "COMPLETED"


def test_wait_returns_at_once_when_the_phase_already_differs(api: Any) -> None:
    job_id = api.create_job(duration=30)
    api.job(job_id, WAIT=30, PHASE="QUEUED")
    job = api.job(job_id, WAIT=300, PHASE="QUEUED")  # the client's phase is stale
    assert api.text(job, "phase") == "EXECUTING"


def test_wait_does_not_block_on_pending_or_terminal_jobs(api: Any) -> None:
    pending = api.create_job(run=False)
    assert api.text(api.job(pending, WAIT=300), "phase") == "PENDING"
    done = api.create_job()
    api.wait_for(done)
    assert api.text(api.job(done, WAIT=300), "phase") == "COMPLETED"


def test_wait_is_capped_by_the_server_maximum(opus_server_factory: Any) -> None:
    server = opus_server_factory(max_wait=0.2, run_plan=RunPlan(duration=60, queued=0))
    files = {"config": ("c.json", b"{}")}
    location = requests.post(
        server.list_url(), files=files, data={"PHASE": "RUN"}, allow_redirects=False, timeout=10
    ).headers["Location"]
    server_phase = server.job(location.rsplit("/", 1)[1]).phase
    for wait in ("-1", "100000"):
        response = requests.get(location, params={"WAIT": wait}, timeout=10)
        assert b"<uws:phase>EXECUTING</uws:phase>" in response.content
    assert server_phase in ("QUEUED", "EXECUTING")


def test_bad_wait_values(api: Any) -> None:
    job_id = api.create_job(duration=30)
    assert api.get(f"/rest/ExPRES/{job_id}", params={"WAIT": "soon"}).status_code == 500
    assert api.get(f"/rest/ExPRES/{job_id}", params={"WAIT": "-5"}).status_code == 200


def test_stopping_the_server_releases_waiters(opus_server_factory: Any) -> None:
    server = opus_server_factory(run_plan=RunPlan(duration=60, queued=0))
    files = {"config": ("c.json", b"{}")}
    location = requests.post(
        server.list_url(), files=files, data={"PHASE": "RUN"}, allow_redirects=False, timeout=10
    ).headers["Location"]
    outcome: List[object] = []

    def wait() -> None:
        try:
            outcome.append(requests.get(location, params={"WAIT": 600}, timeout=30).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # let the WAIT request reach the server (ordering only, nothing timed)
    server.stop()
    waiter.join(20)  # far below WAIT=600: stop() must have released it
    assert not waiter.is_alive()
    assert outcome


def _xml(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)  # noqa: S314 (our own server)
