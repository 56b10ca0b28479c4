"""Job creation: file parts, form values, and OPUS's failure modes (orphans included)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

import pytest
import requests


def test_file_parts_keep_a_sanitised_basename(api: Any, opus_server: Any) -> None:
    files = {
        "config": ("/home/me/My Configs/été run.json", api.config_bytes()),
        "ephemeride": ("C:\\data\\juice ephem.txt", b"State Vector Results\n"),
    }
    job_id = api.create_job(files=files, run=False)
    uploads = opus_server.job(job_id).uploads
    assert uploads["config"].filename == "ete-run.json"
    assert uploads["config"].raw_filename == "/home/me/My Configs/été run.json"
    assert uploads["ephemeride"].filename == "juice-ephem.txt"
    assert uploads["ephemeride"].content == b"State Vector Results\n"
    assert opus_server.job(job_id).param("ephemeride") == "file://juice-ephem.txt"


def test_uploaded_files_are_served_back_from_the_store(api: Any, opus_server: Any) -> None:
    config = api.config_bytes()
    job_id = api.create_job(run=False, config=config)
    href = api.params(api.job(job_id))["config"][0]
    response = api.get(unquote_plus(href))
    assert response.content == config
    assert response.headers["Content-Type"] == "application/json"


def test_binary_content_survives_the_multipart_parser(api: Any, opus_server: Any) -> None:
    blob = bytes(range(256)) * 4 + b"\r\n--not-a-boundary\r\n"
    job_id = api.create_job(run=False, files={"ephemeride": ("e.bin", blob)})
    assert opus_server.job(job_id).uploads["ephemeride"].content == blob


@pytest.mark.parametrize("field", ["config", "ephemeride"])
def test_file_input_sent_as_a_value_is_500_and_leaves_an_orphan(
    api: Any, opus_server: Any, field: str
) -> None:
    form = {"runId": "orphan", field: "example.json"}
    if field == "config":
        response = api.post("/rest/ExPRES", data=form)  # urlencoded, no file at all
    else:
        files = {"config": ("c.json", api.config_bytes())}
        response = api.post("/rest/ExPRES", data=form, files=files)
    assert response.status_code == 500
    assert api.message(response) == f'cannot upload URL for input "{field}": example.json'
    orphans = [j for j in opus_server.jobs.values() if j.run_id == "orphan"]
    assert orphans
    assert all(j.phase == "PENDING" for j in orphans)


def test_missing_config_is_500(api: Any, opus_server: Any) -> None:
    response = api.post("/rest/ExPRES", data={"runId": "x"}, files={"other": ("a", b"1")})
    assert response.status_code == 500
    assert api.message(response) == 'cannot upload URL for input "config": '


def test_control_parameters_are_case_sensitive(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False, data={"runid": "lower", "executionduration": "5"})
    job = opus_server.job(job_id)
    assert job.run_id == "myrun"
    assert job.execution_duration == "60"
    # unknown (mistyped) parameters are accepted silently
    assert job.param("runid") == "lower"
    assert job.param("executionduration") == "5"


def test_execution_duration_at_creation(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False, data={"executionDuration": "600"})
    assert opus_server.job(job_id).execution_duration == "600"
    assert api.params(api.job(job_id))["executionDuration"] == ("600", "0")
    before = set(opus_server.jobs)
    response = api.create(data={"executionDuration": "ten minutes"})
    assert response.status_code == 500
    assert set(opus_server.jobs) == before  # the save failed: no orphan


def test_invalid_test_overrides_are_refused_with_the_key(api: Any) -> None:
    response = api.create(durration=1)
    assert response.status_code == 500
    assert "_test.durration" in response.text
    response = api.create(outcome="MAYBE")
    assert response.status_code == 500
    assert "outcome" in response.text


def test_too_many_active_jobs(opus_server_factory: Any) -> None:
    server = opus_server_factory(max_active_jobs=1)
    files = {"config": ("c.json", b"{}")}
    first = requests.post(server.list_url(), files=files, allow_redirects=False, timeout=10)
    assert first.status_code == 303
    second = requests.post(server.list_url(), files=files, allow_redirects=False, timeout=10)
    assert second.status_code == 500
    assert "Maximum number of active jobs reached for anonymous (1)" in second.text


def test_other_file_parts_become_parameters(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False, files={"notes": ("../notes.txt", b"hello")})
    assert opus_server.job(job_id).param("notes") == "notes.txt"
