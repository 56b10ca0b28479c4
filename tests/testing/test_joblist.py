"""Job list filters with OPUS's quirks: PHASE parsed by regex, LAST keeps the oldest."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import timedelta, timezone
from typing import Any, List

import pytest


def _ids(api: Any, query: str = "") -> List[str]:
    response = api.get("/rest/ExPRES" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # noqa: S314 (our own server)
    return [ref.get("id") for ref in root.findall(api.UWS + "jobref")]


@pytest.fixture
def three_jobs(api: Any, opus_server: Any) -> List[str]:
    """Oldest first: one COMPLETED, one PENDING, one EXECUTING (long)."""
    done = api.create_job(duration=0.05)
    api.wait_for(done)
    pending = api.create_job(run=False)
    running = api.create_job(duration=60, queued=0)
    api.job(running, WAIT=10, PHASE="QUEUED")
    return [done, pending, running]


def test_list_is_oldest_first(api: Any, three_jobs: List[str]) -> None:
    assert _ids(api) == three_jobs


def test_phase_filters(api: Any, three_jobs: List[str]) -> None:
    done, pending, running = three_jobs
    assert _ids(api, "PHASE=PENDING") == [pending]
    assert _ids(api, "PHASE=COMPLETED&PHASE=EXECUTING") == [done, running]


def test_phase_must_come_last_in_the_query(api: Any, three_jobs: List[str]) -> None:
    _done, pending, _running = three_jobs
    # OPUS splits the raw query on "&?PHASE=": "PENDING&LAST=5" is taken as one phase.
    assert _ids(api, "PHASE=PENDING&LAST=5") == []
    assert _ids(api, "LAST=5&PHASE=PENDING") == [pending]


def test_last_returns_the_oldest_jobs(api: Any, three_jobs: List[str]) -> None:
    assert _ids(api, "LAST=2") == three_jobs[:2]
    assert _ids(api, "LAST=0") == []
    assert api.get("/rest/ExPRES?LAST=two").status_code == 500


def test_after_filter(api: Any, opus_server: Any) -> None:
    old = opus_server.seed_jobs(1)[0]
    time.sleep(1.1)  # creation times have a resolution of one second
    new = api.create_job(run=False)
    created = opus_server.job(new).creation_time
    assert _ids(api, f"AFTER={created.isoformat()}") == [new]  # OPUS compares with >=
    earlier = (created - timedelta(days=1)).isoformat()
    assert _ids(api, f"AFTER={earlier}") == [old, new]
    # an aware time is compared in the server's local time
    utc = created.astimezone(timezone.utc).isoformat()
    assert _ids(api, f"AFTER={utc.replace('+', '%2B')}") == [new]
    assert _ids(api, f"AFTER={utc.replace('+00:00', 'Z')}") == [new]
    assert api.get("/rest/ExPRES?AFTER=yesterday").status_code == 500


def test_lists_are_separate(api: Any) -> None:
    guest_job = api.create_job(run=False)
    dev_job = api.create_job("ExPRES-dev", auth=api.ALICE, run=False)
    assert _ids(api) == [guest_job]
    response = api.get("/rest/ExPRES-dev", auth=api.ALICE)
    assert f'id="{dev_job}"'.encode() in response.content
    assert guest_job.encode() not in response.content


def test_seeded_jobs_for_large_lists(api: Any, opus_server: Any) -> None:
    ids = opus_server.seed_jobs(500, phase="ERROR")
    assert _ids(api, "PHASE=ERROR") == ids
