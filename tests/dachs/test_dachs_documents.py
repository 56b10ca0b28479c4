"""uws_lite.documents, errorbodies, schema on documents from a real GAVO DaCHS 2.7 server.

These need no server: they pin what DaCHS really sends (and its quirks) as parser fixtures.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from uws_lite import ParseError, Phase
from uws_lite.documents import parse_job, parse_job_list, parse_parameters, parse_results
from uws_lite.errorbodies import error_message, votable_error
from uws_lite.schema import validate

DATA = Path(__file__).resolve().parent / "data"
BASE = "http://127.0.0.1:8123"  # the server the documents were captured from
ECHO = f"{BASE}/uwstest/q/echo/async"


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


VALID_UWS = [
    "dachs-job-pending.xml",
    "dachs-job-completed.xml",
    "dachs-job-error.xml",
    "dachs-job-aborted.xml",
    "dachs-job-owner-alice.xml",
    "dachs-joblist-completed.xml",
    "dachs-results.xml",
    "dachs-parameters.xml",
    "dachs-tap-job-completed.xml",
]


@pytest.mark.parametrize("name", VALID_UWS)
def test_dachs_documents_validate_against_the_uws_1_1_schema(name: str) -> None:
    validate(_read(name), version="1.1")


def test_byreference_true_is_invalid_but_read_as_true() -> None:
    # DaCHS writes byReference="True" (Python's str(True)): not an xs:boolean.
    data = _read("dachs-job-upload-byReference-True.xml")
    with pytest.raises(ParseError, match="byReference"):
        validate(data)
    job = parse_job(data)
    infile = [p for p in job.parameters if p.id == "infile"]
    assert len(infile) == 1
    assert infile[0].by_reference
    assert infile[0].value is not None
    assert infile[0].value.endswith(f"/{job.job_id}/results/infile")
    assert [r.id for r in job.results] == ["echo.txt", "meta.json", "copy"]


def test_inlined_control_characters_make_the_job_document_not_well_formed() -> None:
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job(_read("dachs-job-inline-control-chars-not-wellformed.xml"))


def test_pending_job() -> None:
    job = parse_job(_read("dachs-job-pending.xml"), url=f"{ECHO}/x")
    assert job.phase is Phase.PENDING
    assert job.version == "1.1"
    assert job.uws_version == "1.1"
    assert job.owner_id is None
    assert job.quote is None
    assert job.start_time is None
    assert job.end_time is None
    assert job.creation_time is not None
    assert job.creation_time.tzinfo is timezone.utc
    assert job.execution_duration == 3600
    assert job.destruction is not None
    assert job.destruction > job.creation_time
    assert job.parameter("message") == "pending job"
    assert job.parameter("sleep") == "0.5"  # DaCHS writes the parsed value back
    assert job.parameter("fail") == ""  # empty element, not nil
    assert job.results == ()
    assert job.error_summary is None


def test_completed_job_has_absolute_result_hrefs_but_no_end_time() -> None:
    job = parse_job(_read("dachs-job-completed.xml"))
    assert job.phase is Phase.COMPLETED
    assert job.start_time is not None
    assert job.end_time is None  # DaCHS 2.7 never sets endTime of a COMPLETED user job
    hrefs = {r.id: r.href for r in job.results}
    assert hrefs == {
        "echo.txt": f"{ECHO}/{job.job_id}/results/echo.txt",
        "meta.json": f"{ECHO}/{job.job_id}/results/meta.json",
    }
    assert all(r.size is None and r.mime_type is None for r in job.results)


def test_error_job_summary_and_its_votable_error_document() -> None:
    job = parse_job(_read("dachs-job-error.xml"))
    assert job.phase is Phase.ERROR
    assert job.end_time is not None
    assert job.error_summary is not None
    assert job.error_summary.type == "fatal"
    assert not job.error_summary.has_detail
    assert job.error_summary.message == "Field fail: this job fails on purpose"
    body = _read("dachs-error-votable.xml")  # <job>/error, served with HTTP 200
    assert votable_error(body) == "Field fail: this job fails on purpose"
    assert error_message(body, "text/xml") == "Field fail: this job fails on purpose"
    with pytest.raises(ParseError):
        parse_job(body)


def test_aborted_job_and_owner() -> None:
    aborted = parse_job(_read("dachs-job-aborted.xml"))
    assert aborted.phase is Phase.ABORTED
    assert aborted.end_time is not None
    assert parse_job(_read("dachs-job-owner-alice.xml")).owner_id == "alice"


def test_job_list_jobrefs_carry_only_the_phase() -> None:
    jobs = parse_job_list(_read("dachs-joblist-completed.xml"))
    assert jobs.version == "1.1"
    assert len(jobs) == 2
    for ref in jobs:
        assert ref.phase is Phase.COMPLETED
        assert ref.href == f"{ECHO}/{ref.job_id}"
        assert ref.creation_time is None
        assert ref.owner_id is None
        assert ref.run_id is None


def test_results_and_parameters_documents() -> None:
    results = parse_results(_read("dachs-results.xml"), url=f"{ECHO}/j/results")
    assert [r.id for r in results] == ["echo.txt", "meta.json"]
    params = {p.id: p.value for p in parse_parameters(_read("dachs-parameters.xml"))}
    assert params == {"message": "pending job", "sleep": "0.5", "fail": "", "infile": ""}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("dachs-phase-bogus-200-votable.xml", "Field phase: Bad phase: BOGUS"),
        ("dachs-parameter-name-200-votable.xml", "Too many segments"),
        ("dachs-joblist-bad-phase-400-votable.xml", "Field PHASE: 'X' is not a valid value"),
        ("dachs-job-not-found-404-votable.xml", "could not be located in jobs table"),
    ],
)
def test_votable_error_documents(name: str, message: str) -> None:
    body = _read(name)
    found = votable_error(body)
    assert found is not None
    assert message in found
    with pytest.raises(ParseError):
        validate(body)


def test_401_page_message() -> None:
    message = error_message(_read("dachs-401.html"), "text/html")
    assert message is not None
    assert "protected" in message


def test_tap_job_has_a_quote_and_lower_case_parameter_ids() -> None:
    job = parse_job(_read("dachs-tap-job-completed.xml"))
    assert job.phase is Phase.COMPLETED
    assert isinstance(job.quote, datetime)
    assert job.quote_text is not None
    assert job.parameter("query") == "SELECT TOP 1 table_name FROM tap_schema.tables"
    assert job.parameter("QUERY") is None  # DaCHS lower-cases TAP parameter names
    assert [r.id for r in job.results] == ["result"]
    assert votable_error(_read("dachs-tap-result.vot")) is None  # QUERY_STATUS is OK
