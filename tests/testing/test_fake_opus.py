"""The shared fake OPUS (tests/fakes/fake_opus.py, on ``responses``) answers like the real
simulator (``OpusServer``, over HTTP): the same exchange, run against both, is seen alike.

A unit test on the fake is only worth something if the fake answers like OPUS; this pins the
shape of every answer the client relies on (status, Location, document layout, parameter
encoding, result attributes, error pages, who sees which job).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, Iterator, Optional

import pytest
import requests
import responses
from fake_opus import FakeOpus

from uws_lite.testing import OpusServer
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
CONFIG = b'{"SIMU": {"NAME": "contract"}, "OBSERVER": {"EPHEM": ""}}'


def _doc(response: requests.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    return ET.fromstring(response.content)  # noqa: S314 (our own servers)


def _until_ended(session: requests.Session, job_url: str) -> ET.Element:
    for _ in range(50):
        job = _doc(session.get(job_url, timeout=10))
        phase = job.findtext(UWS + "phase")
        if phase in ("COMPLETED", "ERROR", "ABORTED"):
            return job
        session.get(job_url, params={"WAIT": 5, "PHASE": phase}, timeout=10)
    raise AssertionError(f"{job_url} never ended")


def _pre(response: requests.Response) -> Optional[str]:
    found = re.search(r"<pre>(.*)</pre>", response.text, re.S)
    return None if found is None else found.group(1)


def exchange(base: str) -> Dict[str, Any]:
    """Create, follow, read, download, list, misuse and delete a job at ``base``: what a
    client sees, without what legitimately differs (ids, times, host, the set of results)."""
    seen: Dict[str, Any] = {}
    session = requests.Session()
    job_list = f"{base}/rest/ExPRES"
    created = session.post(
        job_list,
        data={"runId": "my run+1", "branch": "master", "PHASE": "RUN"},
        files={"config": ("example.json", CONFIG)},
        allow_redirects=False,
        timeout=10,
    )
    job_url = created.headers["Location"]
    seen["create"] = (created.status_code, created.content)
    seen["location"] = re.fullmatch(re.escape(job_list) + "/[0-9a-f]{6}", job_url) is not None
    job = _until_ended(session, job_url)
    seen["root"] = (job.tag, sorted(job.attrib))
    seen["children"] = [child.tag for child in job]
    seen["phase"] = job.findtext(UWS + "phase")
    seen["error"] = job.find(UWS + "errorSummary").attrib  # type: ignore[union-attr]
    seen["parameters"] = {
        p.get("id"): (p.get("byReference"), p.text if p.get("byReference") == "0" else "URL")
        for p in job.iter(UWS + "parameter")
    }
    results = {r.get("id"): r.attrib for r in job.iter(UWS + "result")}
    seen["result attributes"] = {tuple(sorted(a)) for a in results.values()}
    stdout = results["stdout"]
    seen["log"] = (stdout["name"], stdout["hash"])
    cdf_id = next(rid for rid in results if rid.endswith(".cdf"))
    cdf = results[cdf_id]
    seen["file name"] = re.fullmatch(f"[0-9a-f]{{6}}_{re.escape(cdf_id)}", cdf["name"]) is not None
    data = session.get(cdf[XLINK + "href"], timeout=10)
    seen["file"] = (data.status_code, hashlib.sha1(data.content).hexdigest() == cdf["hash"])  # noqa: S324
    listed = _doc(session.get(job_list, params={"PHASE": "COMPLETED"}, timeout=10))
    alice = session.get(job_list, auth=(TEST_USER, TEST_TOKEN), timeout=10)
    seen["lists"] = (
        [ref.get("id") for ref in listed] == [job_url.rsplit("/", 1)[1]],
        [ref.get("id") for ref in _doc(alice)],
    )
    wrong = session.post(job_url, data={"ACTION": "nothing"}, allow_redirects=False, timeout=10)
    unknown = session.get(f"{job_list}/ffffff", timeout=10)
    seen["errors"] = [(r.status_code, _pre(r) is not None) for r in (wrong, unknown)]
    deleted = session.delete(job_url, allow_redirects=False, timeout=10)
    seen["delete"] = (deleted.status_code, deleted.headers["Location"] == job_list)
    return seen


@pytest.fixture
def fake(opus_server: OpusServer) -> Iterator[FakeOpus]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(opus_server.base_url)  # the real simulator stays reachable
        yield FakeOpus(rsps, "https://fake.example.org")


def test_the_fake_answers_the_same_exchange_as_the_server(
    fake: FakeOpus, opus_server: OpusServer
) -> None:
    from_fake = exchange(fake.host)
    from_server = exchange(opus_server.base_url)
    assert from_fake == from_server
    # and what both say is OPUS's (opus-server.md), not merely the same
    assert from_server["create"] == (303, b"")
    assert from_server["location"]
    assert from_server["root"][0] == UWS + "job"
    assert "version" not in from_server["root"][1]
    # quote_plus-encoded, after OPUS's own decoding: the "+" sent is read back as a space
    assert from_server["parameters"]["runId"] == ("0", "my+run+1")
    assert from_server["parameters"]["config"] == ("1", "URL")
    assert from_server["error"] == {XSI + "nil": "true"}
    assert from_server["log"] == ("", "")
    assert from_server["file"] == (200, True)
    assert from_server["lists"] == (True, [])  # guests' jobs: not alice's
    assert from_server["errors"] == [(500, True), (404, True)]
    assert from_server["delete"] == (303, True)
