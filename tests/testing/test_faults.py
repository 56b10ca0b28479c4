"""Each switchable fault does what it says, and counted faults stop after N occurrences."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from typing import Any, Set, Tuple

import pytest
import requests

from uws_lite.testing import HOSTILE_XML_KINDS, Faults, generated_content


def _running(api: Any) -> str:
    job_id = api.create_job(duration=60, queued=0)
    api.job(job_id, WAIT=10, PHASE="QUEUED")
    return str(job_id)


def _completed(api: Any, **test: Any) -> Tuple[str, Any]:
    job_id = api.create_job(**test)
    return job_id, api.wait_for(job_id)


# -- waiting ------------------------------------------------------------------------------


def test_wait_ignored(api: Any, opus_server: Any) -> None:
    job_id = _running(api)
    opus_server.faults.wait_ignored = True
    job = api.job(job_id, WAIT=300, PHASE="EXECUTING")  # would block 300 s otherwise
    assert api.text(job, "phase") == "EXECUTING"


def test_wait_early(api: Any, opus_server: Any) -> None:
    job_id = _running(api)
    opus_server.faults.wait_early = 0.1
    job = api.job(job_id, WAIT=300, PHASE="EXECUTING")
    assert api.text(job, "phase") == "EXECUTING"


# -- status codes -----------------------------------------------------------------------------


def test_status_503_with_retry_after_for_the_next_requests(api: Any, opus_server: Any) -> None:
    opus_server.faults.status_503 = 2
    before = set(opus_server.jobs)
    first = api.create()
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert api.get("/rest/ExPRES").status_code == 503
    assert set(opus_server.jobs) == before  # refused before any side effect
    assert api.get("/rest/ExPRES").status_code == 200
    assert opus_server.faults.status_503 == 0


def test_status_429_without_retry_after(api: Any, opus_server: Any) -> None:
    opus_server.faults.status_429 = 1
    opus_server.faults.retry_after = None
    response = api.get("/rest/ExPRES")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_request_filter_narrows_counted_faults(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    opus_server.faults.request_filter = r"^GET /rest/ExPRES/[0-9a-f]{6}$"
    opus_server.faults.status_503 = 1
    assert api.get("/rest/ExPRES").status_code == 200
    assert api.get(f"/rest/ExPRES/{job_id}/phase").status_code == 200
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 503
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 200
    opus_server.faults.request_filter = r"\?WAIT="  # the query string is matched too
    opus_server.faults.status_503 = 1
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 200
    assert api.get(f"/rest/ExPRES/{job_id}?WAIT=1").status_code == 503


def test_slow_response_beyond_the_read_timeout(api: Any, opus_server: Any) -> None:
    opus_server.faults.slow_response = 1
    opus_server.faults.slow_delay = 2.0
    with pytest.raises(requests.ReadTimeout):
        api.get("/rest/ExPRES", timeout=(5, 0.3))
    assert api.get("/rest/ExPRES", timeout=(5, 5)).status_code == 200


# -- documents ---------------------------------------------------------------------------------


def test_truncated_xml(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    opus_server.faults.truncated_xml = 1
    response = api.get(f"/rest/ExPRES/{job_id}")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert not response.content.rstrip().endswith(b"</uws:job>")
    assert api.get(f"/rest/ExPRES/{job_id}").content.endswith(b"</uws:job>")


def test_html_instead_of_xml(api: Any, opus_server: Any) -> None:
    opus_server.faults.html_instead_of_xml = 1
    response = api.get("/rest/ExPRES")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in response.content
    assert api.get("/rest/ExPRES").content.startswith(b"<uws:jobs")


@pytest.mark.parametrize("kind", HOSTILE_XML_KINDS)
def test_hostile_xml(api: Any, opus_server: Any, kind: str) -> None:
    job_id = api.create_job(run=False)
    opus_server.faults.hostile_xml = kind
    body = api.get(f"/rest/ExPRES/{job_id}").content
    assert body.startswith(b"<!DOCTYPE uws:job [<!ENTITY ")
    reference = b"&lol9;" if kind == "billion_laughs" else b"&note;"
    assert b"<uws:jobInfo><note>" + reference + b"</note>" in body
    if kind == "external_entity":
        assert b'SYSTEM "file:///etc/passwd"' in body


def test_hostile_result_ids_point_at_downloadable_files(api: Any, opus_server: Any) -> None:
    opus_server.faults.hostile_result_ids = True
    _, job = _completed(api, cdf_name="expres_a.cdf", provenance=False)
    ids = [r.get("id") for r in job.iter(api.UWS + "result")]
    for hostile in ("../../x", "/etc/passwd", "example.json"):
        assert hostile in ids
    assert ids.count("expres_a.cdf") == 2  # a duplicate id
    hrefs = {r.get(api.XLINK + "href") for r in job.iter(api.UWS + "result")}
    assert all(api.get(href).status_code == 200 for href in hrefs)


def test_hostile_content_disposition(api: Any, opus_server: Any) -> None:
    _, job = _completed(api)
    href = next(r for r in api.results(job).values() if "store" in r[api.XLINK + "href"])
    opus_server.faults.hostile_content_disposition = True
    disposition = api.get(href[api.XLINK + "href"]).headers["Content-Disposition"]
    assert disposition == f'attachment; filename="../../{href["name"]}"'


def test_hash_mismatch(api: Any, opus_server: Any) -> None:
    opus_server.faults.hash_mismatch = True
    job_id, job = _completed(api, cdf_size=1000)
    cdf = next(r for r in api.results(job).values() if r["hash"])
    content = api.get(cdf[api.XLINK + "href"]).content
    assert content == generated_content(0, 1000)
    assert hashlib.sha1(content, usedforsecurity=False).hexdigest() != cdf["hash"]
    assert api.results(api.job(job_id))["stdout"]["hash"] == ""  # logs keep an empty hash


# -- job lists --------------------------------------------------------------------------------


def _listed(api: Any, query: str) -> Set[str]:
    response = api.get(f"/rest/ExPRES?{query}")
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # noqa: S314 (our own server)
    return {ref.attrib["id"] for ref in root.iter(api.UWS + "jobref")}


def _three_phases(opus_server: Any) -> Tuple[str, str, str]:
    (queued,) = opus_server.seed_jobs(1, phase="QUEUED")
    (executing,) = opus_server.seed_jobs(1, phase="EXECUTING")
    (completed,) = opus_server.seed_jobs(1, phase="COMPLETED")
    return queued, executing, completed


def test_job_list_filters_by_default(api: Any, opus_server: Any) -> None:
    queued, executing, _completed = _three_phases(opus_server)
    assert _listed(api, "PHASE=QUEUED&PHASE=EXECUTING") == {queued, executing}
    assert _listed(api, "AFTER=2999-01-01T00:00:00") == set()


def test_list_filters_ignored(api: Any, opus_server: Any) -> None:
    jobs = set(_three_phases(opus_server))
    opus_server.faults.list_filters_ignored = True
    assert _listed(api, "PHASE=QUEUED&PHASE=EXECUTING") == jobs
    assert _listed(api, "AFTER=2999-01-01T00:00:00&PHASE=QUEUED") == jobs
    assert len(_listed(api, "LAST=1")) == 1  # LAST still applies


def test_list_last_phase_only(api: Any, opus_server: Any) -> None:
    queued, executing, _completed = _three_phases(opus_server)
    opus_server.faults.list_last_phase_only = True
    assert _listed(api, "PHASE=QUEUED&PHASE=EXECUTING") == {executing}
    assert _listed(api, "PHASE=EXECUTING&PHASE=QUEUED") == {queued}
    assert _listed(api, "AFTER=2999-01-01T00:00:00&PHASE=QUEUED") == set()  # AFTER applies


# -- jobs -------------------------------------------------------------------------------------


def test_job_vanishes_after_n_gets(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(duration=60)
    opus_server.faults.job_vanishes = 2
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 200
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 200
    assert api.get(f"/rest/ExPRES/{job_id}").status_code == 404
    assert job_id not in opus_server.jobs


def test_creation_500_leaves_an_orphan(api: Any, opus_server: Any) -> None:
    opus_server.faults.creation_500_orphan = 1
    response = api.create(data={"runId": "orphan"}, run=True)
    assert response.status_code == 500
    (orphan,) = [job for job in opus_server.jobs.values() if job.run_id == "orphan"]
    assert orphan.phase == "PENDING"  # never started, although the form said PHASE=RUN
    assert api.create().status_code == 303


# -- downloads ---------------------------------------------------------------------------------


def _download(api: Any, href: str, **headers: str) -> Tuple[bytes, bool]:
    """The bytes received, and whether the connection broke."""
    received = bytearray()
    try:
        with api.session.get(api.url(href), headers=headers, stream=True, timeout=30) as resp:
            for block in resp.iter_content(65536):
                received += block
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        return bytes(received), True
    return bytes(received), False


@pytest.mark.parametrize("cut", [0.5, 300_000])
def test_reset_in_the_middle_of_a_download_then_resume(
    api: Any, opus_server: Any, cut: Any
) -> None:
    size = 1 << 20
    _, job = _completed(api, cdf_size=size)
    href = next(r for r in api.results(job).values() if r["hash"])[api.XLINK + "href"]
    opus_server.faults.reset_download_at = cut
    first, broken = _download(api, href)
    assert broken
    assert len(first) < size
    rest, broken = _download(api, href, Range=f"bytes={len(first)}-")
    assert not broken
    assert first + rest == generated_content(0, size)
    assert opus_server.faults.reset_download_count == 0


def test_reset_fires_only_when_the_download_crosses_the_offset(api: Any, opus_server: Any) -> None:
    _, job = _completed(api, cdf_size=1000)
    href = next(r for r in api.results(job).values() if r["hash"])[api.XLINK + "href"]
    opus_server.faults.reset_download_at = 100
    tail, broken = _download(api, href, Range="bytes=500-")
    assert not broken
    assert len(tail) == 500
    assert opus_server.faults.reset_download_count == 1


def test_range_not_supported(api: Any, opus_server: Any) -> None:
    _, job = _completed(api, cdf_size=1000)
    href = next(r for r in api.results(job).values() if r["hash"])[api.XLINK + "href"]
    opus_server.faults.range_supported = False
    response = api.get(href, headers={"Range": "bytes=10-"})
    assert response.status_code == 200
    assert len(response.content) == 1000
    assert "Accept-Ranges" not in response.headers


def test_clear_turns_everything_off() -> None:
    faults = Faults(status_503=3, wait_ignored=True, hostile_xml="entity", reset_download_at=0.5)
    faults.clear()
    assert faults == Faults()
