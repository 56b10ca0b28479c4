"""The simulated run: phases, outcomes chosen by the test, abort, execution duration."""

from __future__ import annotations

import time
from typing import Any

import pytest

from uws_lite.testing import RunPlan
from uws_lite.testing.plan import PlanError, read_overrides


def test_phases_in_order(api: Any, opus_server: Any) -> None:
    job_id = api.create_job()
    api.wait_for(job_id)
    history = [phase for phase, _ in opus_server.job(job_id).phase_history]
    assert history == ["PENDING", "QUEUED", "EXECUTING", "COMPLETED"]
    snapshot = opus_server.job(job_id)
    assert snapshot.entered("QUEUED") <= snapshot.entered("EXECUTING")
    assert snapshot.entered("EXECUTING") <= snapshot.entered("COMPLETED")


def test_error_outcome_from_the_config(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(outcome="ERROR", error="the source list is empty")
    job = api.wait_for(job_id)
    assert api.text(job, "phase") == "ERROR"
    assert api.text(job, "errorSummary") == "the source list is empty"  # plain text
    assert sorted(api.results(job)) == ["stderr", "stdout"]  # logs only
    assert api.get(f"/rest/ExPRES/{job_id}/error").text == "the source list is empty"
    assert "the source list is empty" in api.get(f"/rest/ExPRES/{job_id}/stderr").text


def test_server_default_plan_is_read_when_the_job_starts(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    opus_server.run_plan = RunPlan(duration=0.05, outcome="ERROR", error="default says no")
    api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "RUN"})
    assert api.text(api.wait_for(job_id), "errorSummary") == "default says no"


def test_cdf_size_count_and_name_from_the_config(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(cdf_size=1234, cdf_count=3, cdf_name="out.cdf", provenance=False)
    results = api.results(api.wait_for(job_id))
    assert sorted(results) == ["out_001.cdf", "out_002.cdf", "out_003.cdf", "stderr", "stdout"]
    response = api.get(results["out_002.cdf"][api.XLINK + "href"])
    assert len(response.content) == 1234


def test_cdf_name_defaults_to_the_run_id_without_simu_name(api: Any) -> None:
    job_id = api.create_job(config=b'{"_test": {"duration": 0.05}}', data={"runId": "Run 7"})
    assert "expres_run_7.cdf" in api.results(api.wait_for(job_id))


def test_a_config_that_is_not_json_fails_the_run(api: Any) -> None:
    job_id = api.create_job(config=b"{not json")
    job = api.wait_for(job_id)
    assert api.text(job, "phase") == "ERROR"
    assert "could not read the configuration file" in api.text(job, "errorSummary")


def test_ephemeris_must_be_uploaded_under_the_name_in_the_config(api: Any) -> None:
    ephem = {"ephemeride": ("/tmp/juice.txt", b"data")}
    good = api.create_job(config=api.config_bytes(ephem="juice.txt"), files=ephem)
    wrong = api.create_job(config=api.config_bytes(ephem="/tmp/juice.txt"), files=ephem)
    missing = api.create_job(config=api.config_bytes(ephem="juice.txt"))
    service = api.create_job(config=api.config_bytes(ephem="@wgc"))
    assert api.text(api.wait_for(good), "phase") == "COMPLETED"
    assert api.text(api.wait_for(service), "phase") == "COMPLETED"
    assert 'uploaded file is "juice.txt"' in api.text(api.wait_for(wrong), "errorSummary")
    assert "was not uploaded" in api.text(api.wait_for(missing), "errorSummary")


def test_abort_while_executing_keeps_the_logs(api: Any) -> None:
    job_id = api.create_job(duration=30)
    api.job(job_id, WAIT=10, PHASE="QUEUED")
    response = api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "ABORT"})
    assert response.status_code == 303
    job = api.job(job_id)
    assert api.text(job, "phase") == "ABORTED"
    assert api.text(job, "errorSummary") == "Job aborted by user anonymous"
    assert sorted(api.results(job)) == ["stderr", "stdout"]
    # a terminal job cannot be aborted again
    again = api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "ABORT"})
    assert again.status_code == 500
    assert "cannot be aborted while in phase ABORTED" in api.message(again)


def test_abort_a_pending_job(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(run=False)
    api.post(f"/rest/ExPRES/{job_id}/phase", data={"PHASE": "ABORT"})
    assert opus_server.job(job_id).phase == "ABORTED"
    assert opus_server.job(job_id).results == ()


def test_execution_duration_exceeded_aborts_the_job(api: Any) -> None:
    job_id = api.create_job(duration=30, data={"executionDuration": "1"})
    job = api.wait_for(job_id)
    assert api.text(job, "phase") == "ABORTED"
    assert "execution duration" in api.text(job, "errorSummary")


def test_deleting_a_running_job_stops_it(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(duration=0.3)
    assert api.delete(f"/rest/ExPRES/{job_id}").status_code == 303
    assert opus_server.wait_until_idle(5)
    assert job_id not in opus_server.jobs


def test_many_concurrent_jobs(api: Any, opus_server: Any) -> None:
    ids = [api.create_job(duration=0.2, cdf_size=10) for _ in range(40)]
    assert opus_server.wait_until_idle(20)
    assert {opus_server.job(job_id).phase for job_id in ids} == {"COMPLETED"}


def test_late_results_list_provenance_after_the_terminal_phase(api: Any, opus_server: Any) -> None:
    job_id = api.create_job(late_results=0.3)
    completed = api.wait_for(job_id)
    assert api.text(completed, "phase") == "COMPLETED"
    assert "provjson" not in api.results(completed)  # OPUS: listed ~0.1-0.2 s later
    deadline = time.monotonic() + 10
    while "provjson" not in api.results(api.job(job_id)):
        assert time.monotonic() < deadline, "provjson was never listed"
        time.sleep(0.05)
    assert sorted(api.results(api.job(job_id)))[-3:] == ["provjson", "stderr", "stdout"]
    history = [phase for phase, _ in opus_server.job(job_id).phase_history]
    assert history[-1] == "COMPLETED"  # the phase did not change again


def test_late_results_must_be_a_non_negative_number() -> None:
    assert read_overrides(b'{"_test": {"late_results": 0.2}}')[0] == {"late_results": 0.2}
    with pytest.raises(PlanError, match="late_results"):
        read_overrides(b'{"_test": {"late_results": -1}}')
    with pytest.raises(PlanError, match="late_results"):
        read_overrides(b'{"_test": {"late_results": "soon"}}')
