"""uws_lite.models: phases, and the small helpers on Job, JobList and Result."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from uws_lite.models import ErrorSummary, Job, JobList, JobRef, Parameter, Phase, Result

# (phase, is_terminal, is_active): UWS 1.1 §2.1.3 and §2.2.1.2 (WAIT blocks only in
# PENDING, QUEUED, EXECUTING); ARCHIVED is after destruction, so terminal.
PHASES = [
    (Phase.PENDING, False, True),
    (Phase.QUEUED, False, True),
    (Phase.EXECUTING, False, True),
    (Phase.COMPLETED, True, False),
    (Phase.ERROR, True, False),
    (Phase.ABORTED, True, False),
    (Phase.UNKNOWN, False, False),
    (Phase.HELD, False, False),
    (Phase.SUSPENDED, False, False),
    (Phase.ARCHIVED, True, False),
]


def test_all_ten_phases_are_covered() -> None:
    assert {p for p, _, _ in PHASES} == set(Phase)
    assert len(Phase) == 10


@pytest.mark.parametrize(("phase", "terminal", "active"), PHASES)
def test_phase_properties(phase: Phase, terminal: bool, active: bool) -> None:
    assert phase.is_terminal is terminal
    assert phase.is_active is active
    assert phase.is_success is (phase is Phase.COMPLETED)
    assert str(phase) == phase.value == phase.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COMPLETED", Phase.COMPLETED),
        ("completed", Phase.COMPLETED),
        ("  Executing\n", Phase.EXECUTING),
        ("archived", Phase.ARCHIVED),
        ("HELD", Phase.HELD),
        ("RUN", Phase.UNKNOWN),  # an action, not a phase
        ("FINISHED", Phase.UNKNOWN),
        ("", Phase.UNKNOWN),
        (None, Phase.UNKNOWN),
    ],
)
def test_phase_parse(text: Optional[str], expected: Phase) -> None:
    assert Phase.parse(text) is expected


def test_phase_is_a_string() -> None:
    assert Phase.QUEUED == "QUEUED"
    assert f"{Phase.QUEUED}" == "QUEUED"


def _job(**kwargs: object) -> Job:
    return Job(job_id="j", phase=Phase.COMPLETED, **kwargs)  # type: ignore[arg-type]


def test_job_parameter_last_one_wins_and_missing_is_none() -> None:
    job = _job(
        parameters=(
            Parameter("a", "1"),
            Parameter("b", None),
            Parameter("a", "2"),
        )
    )
    assert job.parameter("a") == "2"
    assert job.parameter("b") is None
    assert job.parameter("c") is None
    assert job.parameter("A") is None  # ids are case-sensitive


def test_job_result_first_match() -> None:
    first = Result("diag", "uws:executing:10")
    second = Result("diag", "uws:executing:20")
    main = Result("result", "https://example.org/r")
    job = _job(results=(first, second, main))
    assert job.result("diag") is first
    assert job.result("result") is main
    assert job.result("missing") is None


def test_job_uws_version() -> None:
    assert _job().uws_version == "1.0"
    assert _job(version="1.1").uws_version == "1.1"


def test_job_is_frozen_and_job_info_not_compared() -> None:
    job = _job()
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.phase = Phase.ERROR  # type: ignore[misc]
    assert _job(error_summary=ErrorSummary("x")) != job
    assert dataclasses.replace(job, job_info=()) == job


def test_result_properties() -> None:
    opus = Result(
        "a.cdf",
        "https://example.org/store?ID=1",
        attributes={"name": "1_a.cdf", "hash": "  ABCDEF0123456789ABCDEF0123456789ABCDEF01  "},
    )
    assert opus.reference == "https://example.org/store?ID=1"
    assert opus.name == "1_a.cdf"
    assert opus.sha1 == "abcdef0123456789abcdef0123456789abcdef01"  # stripped and lower-cased
    log = Result("stdout", "https://example.org/stdout", attributes={"name": "", "hash": ""})
    assert log.name is None
    assert log.sha1 is None
    plain = Result("r", None)
    assert Result("x", None, attributes={"hash": "not-a-sha1"}).sha1 is None
    assert plain.reference is None
    assert plain.name is None
    assert plain.sha1 is None
    assert plain.size is None


UTC = timezone.utc


def test_newest_first_sorts_and_puts_undated_last() -> None:
    refs = (
        JobRef("old", Phase.COMPLETED, creation_time=datetime(2026, 1, 1, 9, 0)),
        JobRef("undated1", Phase.QUEUED),
        JobRef("new", Phase.EXECUTING, creation_time=datetime(2026, 1, 3, 9, 0)),
        JobRef("mid", Phase.ERROR, creation_time=datetime(2026, 1, 2, 9, 0, tzinfo=UTC)),
        JobRef("undated2", Phase.PENDING),
    )
    jobs = JobList(jobs=refs)
    assert [j.job_id for j in jobs.newest_first()] == ["new", "mid", "old", "undated1", "undated2"]
    # The list itself keeps document order.
    assert [j.job_id for j in jobs] == ["old", "undated1", "new", "mid", "undated2"]
    assert len(jobs) == 5


def test_newest_first_compares_offsets() -> None:
    plus2 = timezone(timedelta(hours=2))
    refs = (
        JobRef("a", Phase.COMPLETED, creation_time=datetime(2026, 1, 1, 11, 0, tzinfo=plus2)),
        JobRef("b", Phase.COMPLETED, creation_time=datetime(2026, 1, 1, 10, 0, tzinfo=UTC)),
    )
    # 11:00+02:00 is 09:00 UTC, older than 10:00 UTC.
    assert [j.job_id for j in JobList(jobs=refs).newest_first()] == ["b", "a"]


def test_empty_job_list() -> None:
    jobs = JobList()
    assert len(jobs) == 0
    assert jobs.newest_first() == ()
    assert jobs.version is None
