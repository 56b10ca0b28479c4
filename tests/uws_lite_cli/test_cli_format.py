"""uws_lite.cli.format: tables, times, sizes, summaries and JSON for the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from uws_lite.cli.format import (
    fmt_size,
    fmt_time,
    job_doc,
    job_summary,
    table,
    to_json,
)
from uws_lite.models import ErrorSummary, Job, Parameter, Phase, Result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),  # ESC: a terminal escape sequence, shown escaped
        ("a\x9bb", "a\\x9bb"),  # CSI as one C1 character
        ("two\nlines\r\n", "two lines"),  # (the last cell of a row is not padded)
        ("tab\there", "tab here"),
        ("txt\u202eexe", "txt\\u202eexe"),  # right-to-left override
        ("été", "été"),
    ],
)
def test_table_cells_are_safe_for_a_terminal(text: str, expected: str) -> None:
    # uws_lite.text.for_terminal, the one sanitiser: escapes rather than the old "?"
    assert table(["ID", "VALUE"], [["x", text]]).splitlines()[1] == f"x   {expected}"


def test_fmt_time() -> None:
    assert fmt_time(None) == ""
    assert fmt_time(datetime(2026, 11, 24, 22, 39, 1, 500)) == "2026-11-24 22:39:01"
    assert (
        fmt_time(datetime(2026, 11, 24, 22, 39, 1, tzinfo=timezone.utc)) == "2026-11-24 22:39:01Z"
    )
    plus2 = timezone(timedelta(hours=2))
    assert fmt_time(datetime(2026, 11, 24, 22, 39, 1, tzinfo=plus2)) == "2026-11-24 22:39:01+02:00"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, ""),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 2**20, "5.0 MiB"),
        (3 * 2**40, "3.0 TiB"),
    ],
)
def test_fmt_size(size: int, expected: str) -> None:
    assert fmt_size(size) == expected


def test_table_aligns_columns_and_does_not_pad_the_last() -> None:
    text = table(["ID", "PHASE", "RUN"], [["a", "COMPLETED", "x"], ["long-id", "ERROR", ""]])
    assert text.splitlines() == [
        "ID       PHASE      RUN",
        "a        COMPLETED  x",
        "long-id  ERROR",
    ]


def test_table_cells_stay_on_one_line() -> None:
    assert table(["A", "B"], [["x\ny", "z"]]).splitlines()[1] == "x y  z"


def _job(**changes: object) -> Job:
    base = Job(
        job_id="j1",
        phase=Phase.EXECUTING,
        run_id="run\x1b",
        creation_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        execution_duration=0,
        quote_text="soon",
        parameters=(Parameter("config", "http://h/store?ID=1", by_reference=True),),
        results=(Result("r.txt", "http://h/r.txt", size=2048, mime_type="text/plain"),),
        error_summary=ErrorSummary("it broke", type="fatal", has_detail=True),
        version="1.1",
        url="http://h/jobs/j1",
    )
    return Job(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_job_summary() -> None:
    lines = job_summary(_job()).splitlines()
    assert lines[:3] == ["Job           j1", "Phase         EXECUTING", "Run ID        run\\x1b"]
    assert "Created       2026-01-02 03:04:05Z" in lines
    assert "Max duration  0 (no limit)" in lines
    assert "Quote         soon" in lines
    assert "Error         it broke" in lines
    assert "  config = http://h/store?ID=1  (by reference)" in lines
    assert lines[-2].split() == ["RESULT", "ID", "MIME", "TYPE", "SIZE", "HREF"]
    assert lines[-1].split() == ["r.txt", "text/plain", "2.0", "KiB", "http://h/r.txt"]
    assert "Started" not in job_summary(_job())  # absent values are left out


def test_job_url_drops_the_wait_query() -> None:
    job = _job(url="http://h/jobs/j1?WAIT=59&PHASE=EXECUTING")
    assert "URL           http://h/jobs/j1" in job_summary(job).splitlines()
    assert job_doc(job)["url"] == "http://h/jobs/j1"
    assert job_doc(_job(url=None))["url"] is None


def test_job_doc_is_plain_json() -> None:
    doc = json.loads(to_json(job_doc(_job())))
    assert doc["creation_time"] == "2026-01-02T03:04:05+00:00"
    assert doc["quote"] == "soon"
    assert doc["version"] == "1.1"
    assert doc["error_summary"] == {"message": "it broke", "type": "fatal", "has_detail": True}
    assert doc["results"][0] == {
        "id": "r.txt",
        "href": "http://h/r.txt",
        "size": 2048,
        "mime_type": "text/plain",
        "attributes": {},
    }


def test_json_output_has_no_raw_control_characters() -> None:
    text = to_json({"v": "a\x1bb\x9b\u202e"})
    assert all(ord(c) < 128 for c in text)
    assert json.loads(text) == {"v": "a\x1bb\x9b\u202e"}
