"""The job, job list, parameters and results documents are shaped exactly like OPUS's."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

import requests


def test_job_document_has_opus_shape(api: Any) -> None:
    job_id = api.create_job()
    response = api.get(f"/rest/ExPRES/{job_id}")
    assert response.headers["Content-Type"] == "text/xml; charset=UTF-8"
    body = response.content
    # uws: prefix, no XML declaration, no version attribute
    assert body.startswith(b'<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"')
    assert b"version=" not in body.split(b">", 1)[0]
    assert re.fullmatch(r"[0-9a-f]{6}", job_id)


def test_completed_job_fields(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(data={"runId": "my run/1"})
    job = api.wait_for(job_id)
    assert api.text(job, "jobId") == job_id
    assert api.text(job, "runId") == "my run/1"
    assert api.text(job, "ownerId") == "anonymous"
    assert api.text(job, "phase") == "COMPLETED"
    for tag in ("creationTime", "startTime", "endTime", "destruction"):
        value = api.text(job, tag)
        # naive local time, to the second
        assert datetime.strptime(value, "%Y-%m-%dT%H:%M:%S").tzinfo is None
    assert api.text(job, "quote") == "120"
    assert api.text(job, "executionDuration") == "60"
    assert api.is_nil(job, "errorSummary")
    info = job.find(api.UWS + "jobInfo")
    assert info is not None
    assert info.findtext("process_id", "").isdigit()


def test_parameters_are_url_encoded_with_numeric_by_reference(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(data={"runId": "a b&c", "extra": "x=1"}, run=False)
    params = api.params(api.job(job_id))
    assert params["runId"] == ("a+b%26c", "0")
    assert params["extra"] == ("x%3D1", "0")
    config_value, by_ref = params["config"]
    assert by_ref == "1"
    upload = opus_server.job(job_id).uploads["config"]
    assert unquote_plus(config_value) == f"{opus_server.base_url}/store?ID={upload.entity_id}"
    assert list(params) == sorted(params)  # OPUS reads them back in key order


def test_pending_job_nil_values(api: Any) -> None:
    job_id = api.create_job(run=False, data={"runId": ""})
    job = api.job(job_id)
    assert api.is_nil(job, "startTime")
    assert api.is_nil(job, "endTime")
    assert api.is_nil(job, "runId")
    assert "runId" not in api.params(job)  # OPUS leaves out empty parameters
    assert job.find(api.UWS + "jobInfo").findtext("process_id") == "None"
    assert list(job.find(api.UWS + "results")) == []


def test_results_of_a_completed_job(api: Any, opus_server: Any) -> None:
    job_id = api.create_job()
    results = api.results(api.wait_for(job_id))
    assert sorted(results) == ["expres_io2015-04-30.cdf", "provjson", "stderr", "stdout"]
    cdf = results["expres_io2015-04-30.cdf"]
    href = cdf[api.XLINK + "href"]
    eid = href.rsplit("=", 1)[1]
    assert href == f"{opus_server.base_url}/store?ID={eid}"
    assert cdf["mime-type"] == "application/x-cdf"
    assert cdf["name"] == f"{eid}_expres_io2015-04-30.cdf"
    assert re.fullmatch(r"[0-9a-f]{40}", cdf["hash"])
    log = results["stdout"]
    # OPUS builds log URLs as BASE_URL + "/" + "/rest/...": a double slash.
    assert log[api.XLINK + "href"] == f"{opus_server.base_url}//rest/ExPRES/{job_id}/stdout"
    assert (log["name"], log["hash"], log["mime-type"]) == ("", "", "text/plain")
    assert "size" not in cdf


def test_job_list_document(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    response = api.get("/rest/ExPRES")
    assert response.content.startswith(b"<uws:jobs ")
    root = ET.fromstring(response.content)  # noqa: S314 (our own server)
    (ref,) = root.findall(api.UWS + "jobref")
    # OPUS leaves "/rest" out of the jobref href (it is informative only).
    assert ref.get(api.XLINK + "href") == f"{opus_server.base_url}/ExPRES/{job_id}"
    assert [child.tag for child in ref] == [
        api.UWS + "phase",
        api.UWS + "runId",
        api.UWS + "creationTime",
    ]


def test_parameters_and_results_resources(api: Any) -> None:
    job_id = api.create_job()
    api.wait_for(job_id)
    parameters = api.get(f"/rest/ExPRES/{job_id}/parameters")
    assert parameters.content.startswith(b"<uws:parameters ")
    assert b'id="branch"' in parameters.content
    results = api.get(f"/rest/ExPRES/{job_id}/results")
    assert results.content.startswith(b"<uws:results ")
    assert b'id="stdout"' in results.content


def test_non_ascii_values_become_character_references(api: Any) -> None:
    job_id = api.create_job(data={"runId": "Éole"})
    body = api.get(f"/rest/ExPRES/{job_id}").content
    assert b"<uws:runId>&#201;ole</uws:runId>" in body


def test_error_pages_are_bottle_html(api: Any) -> None:
    response = api.get("/rest/ExPRES/abcdef")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "<pre>Job &quot;abcdef&quot; NOT FOUND</pre>" in response.text


def test_production_mode_hides_unexpected_500_messages(opus_server_factory: Any) -> None:
    server = opus_server_factory(debug=False)
    files = {"config": ("c.json", b"{}")}
    page = requests.post(server.list_url("ExPRES-dev"), files=files, timeout=10)
    assert page.status_code == 500
    assert "<pre>Internal Server Error</pre>" in page.text
    # a client mistake (UserWarning in OPUS) keeps its message
    page = requests.post(server.list_url(), data={"config": "x"}, timeout=10)
    assert "cannot upload URL for input" in page.text
