"""Every OPUS route of opus-server.md, with its status codes and quirks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests


def test_creation_answers_303_with_absolute_location_and_empty_body(
    api: Any, opus_server: Any
) -> None:
    response = api.create()
    assert response.status_code == 303
    assert response.content == b""
    location = response.headers["Location"]
    job_id = location.rsplit("/", 1)[1]
    assert location == f"{opus_server.base_url}/rest/ExPRES/{job_id}"


def test_location_uses_the_configured_base_url(opus_server_factory: Any) -> None:
    server = opus_server_factory(base_url="http://localhost:{port}/")
    response = requests.post(
        server.list_url(), files={"config": ("c.json", b"{}")}, allow_redirects=False, timeout=10
    )
    assert response.headers["Location"].startswith(f"http://localhost:{server.port}/rest/ExPRES/")
    assert server.base_url == f"http://localhost:{server.port}"


def test_phase_run_in_the_form_starts_the_job(api: Any, opus_server: Any) -> None:
    started = api.create_job(run=True)
    pending = api.create_job(run=False)
    assert opus_server.job(started).phase in ("QUEUED", "EXECUTING", "COMPLETED")
    assert opus_server.job(pending).phase == "PENDING"
    assert "PHASE" not in opus_server.job(started).parameters


def test_phase_resource(api: Any) -> None:
    job_id = api.create_job(run=False)
    response = api.get(f"/rest/ExPRES/{job_id}/phase")
    assert (response.text, response.headers["Content-Type"]) == (
        "PENDING",
        "text/plain; charset=UTF-8",
    )
    response = api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/rest/ExPRES/{job_id}")
    # RUN again: not PENDING any more -> 500
    response = api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    assert response.status_code == 500
    assert "Job has to be in PENDING phase" in response.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"PHASE": "SUSPEND"}, "PHASE=SUSPEND not expected"),
        ({}, "PHASE keyword is not specified in POST"),
    ],
)
def test_phase_post_mistakes_are_500(api: Any, form: Any, message: str) -> None:
    job_id = api.create_job(run=False)
    response = api.post(f"/rest/ExPRES/{job_id}/phase", data=form)
    assert response.status_code == 500
    assert message in response.text


def test_phase_in_the_query_string_is_not_read(api: Any) -> None:
    # bottle's request.forms is the body only.
    job_id = api.create_job(run=False)
    response = api.post(f"/rest/ExPRES/{job_id}/phase?PHASE=RUN")
    assert response.status_code == 500


def test_delete_and_action_delete(api: Any, opus_server: Any) -> None:
    first = api.create_job(run=False)
    second = api.create_job()
    response = api.delete(f"/rest/ExPRES/{first}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{opus_server.base_url}/rest/ExPRES"
    response = api.post(f"/rest/ExPRES/{second}", data={"ACTION": "DELETE"})
    assert response.status_code == 303
    assert first not in opus_server.jobs
    assert second not in opus_server.jobs
    assert api.get(f"/rest/ExPRES/{first}").status_code == 404


def test_any_other_post_to_the_job_is_500(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    for form in ({"PHASE": "ABORT"}, {"ACTION": "delete"}, {"runId": "x"}):
        response = api.post(f"/rest/ExPRES/{job_id}", data=form)
        assert response.status_code == 500
        assert "ACTION=DELETE is not specified in POST" in response.text
    assert opus_server.job(job_id).phase == "PENDING"


def test_text_attributes(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False, data={"executionDuration": "300"})
    snapshot = opus_server.job(job_id)
    expected = {
        "executionduration": "300",
        "destruction": snapshot.destruction.strftime("%Y-%m-%dT%H:%M:%S"),
        "error": "",
        "quote": "120",
        "owner": "anonymous",
    }
    for name, value in expected.items():
        response = api.get(f"/rest/ExPRES/{job_id}/{name}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
        assert response.text == value, name


def test_execution_duration_post(api: Any) -> None:
    job_id = api.create_job(run=False)
    url = f"/rest/ExPRES/{job_id}/executionduration"
    assert api.post(url, data={"EXECUTIONDURATION": "1200"}).status_code == 303
    assert api.get(url).text == "1200"
    assert api.post(url, data={"EXECUTIONDURATION": "soon"}).status_code == 500
    assert api.post(url, data={"VALUE": "12"}).status_code == 500
    api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    response = api.post(url, data={"EXECUTIONDURATION": "30"})
    assert response.status_code == 500
    assert "PENDING" in response.text


def test_destruction_post(api: Any) -> None:
    job_id = api.create_job(run=False)
    url = f"/rest/ExPRES/{job_id}/destruction"
    assert api.post(url, data={"DESTRUCTION": "2031-01-02T03:04:05"}).status_code == 303
    assert api.get(url).text == "2031-01-02T03:04:05"
    # OPUS keeps the first 19 characters when only a suffix is extra
    assert api.post(url, data={"DESTRUCTION": "2032-01-02T03:04:05.123Z"}).status_code == 303
    assert api.get(url).text == "2032-01-02T03:04:05"
    response = api.post(url, data={"DESTRUCTION": "tomorrow"})
    assert response.status_code == 500
    assert "ISO8601" in response.text


def test_parameter_resource(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    assert api.get(f"/rest/ExPRES/{job_id}/parameters/branch").text == "master"
    # the raw stored value, not the URL shown in the XML
    assert api.get(f"/rest/ExPRES/{job_id}/parameters/config").text == "file://example.json"
    assert api.get(f"/rest/ExPRES/{job_id}/parameters/nothing").status_code == 404
    response = api.post(f"/rest/ExPRES/{job_id}/parameters/branch", data={"VALUE": "develop"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/rest/ExPRES/{job_id}/parameters")
    assert opus_server.job(job_id).param("branch") == "develop"
    assert api.post(f"/rest/ExPRES/{job_id}/parameters/branch", data={}).status_code == 500
    assert api.post(f"/rest/ExPRES/{job_id}/parameters/new", data={"VALUE": "1"}).status_code == 500
    api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    response = api.post(f"/rest/ExPRES/{job_id}/parameters/branch", data={"VALUE": "master"})
    assert response.status_code == 500
    assert "must be in PENDING state" in response.text


def test_result_resource_answers_the_url(api: Any) -> None:
    job_id = api.create_job()
    results = api.results(api.wait_for(job_id))
    response = api.get(f"/rest/ExPRES/{job_id}/results/stdout")
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.text == results["stdout"][api.XLINK + "href"]
    assert api.get(f"/rest/ExPRES/{job_id}/results/nothing").status_code == 404


def test_logs_exist_only_once_the_job_has_run(api: Any) -> None:
    job_id = api.create_job(run=False)
    assert api.get(f"/rest/ExPRES/{job_id}/stdout").status_code == 404
    assert api.get(f"/rest/ExPRES/{job_id}/stderr").status_code == 404
    api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    api.wait_for(job_id)
    stdout = api.get(f"/rest/ExPRES/{job_id}/stdout")
    assert stdout.status_code == 200
    assert "config: example.json" in stdout.text
    # served through the double-slash URL OPUS writes in the results
    assert api.get(f"//rest/ExPRES/{job_id}/stdout").text == stdout.text
    provenance = api.get(f"/rest/ExPRES/{job_id}/provjson")
    assert "expres_io2015-04-30.cdf" in json.loads(provenance.text)["generated"]


def test_unknown_routes_methods_and_trailing_slashes(api: Any) -> None:
    job_id = api.create_job(run=False)
    assert api.get(f"/rest/ExPRES/{job_id}/").status_code == 200  # OPUS strips the slash
    assert api.get("/rest/ExPRES/").status_code == 200
    assert api.get("/nothing/here").status_code == 404
    response = api.session.put(api.url(f"/rest/ExPRES/{job_id}"), timeout=10)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST", "DELETE"}
    assert api.delete("/rest/ExPRES").status_code == 405
    assert api.post(f"/rest/ExPRES/{job_id}/quote").status_code == 405


def test_head_and_options(api: Any) -> None:
    job_id = api.create_job(run=False)
    head = api.session.head(api.url(f"/rest/ExPRES/{job_id}"), timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) > 100
    options = api.session.options(api.url("/rest/ExPRES"), timeout=10)
    assert "Authorization" in options.headers["Access-Control-Allow-Headers"]


def test_jdl(api: Any) -> None:
    description = api.get("/jdl/ExPRES/json").json()
    assert set(description["used"]) == {"config", "ephemeride"}
    assert api.get("/jdl/Nothing/json").status_code == 404


def test_jobs_are_found_by_id_whatever_the_list_in_the_url(api: Any) -> None:
    # OPUS reads a job by its id only.
    job_id = api.create_job(run=False, auth=api.ALICE)
    assert api.get(f"/rest/ExPRES-dev/{job_id}", auth=api.ALICE).status_code == 200
