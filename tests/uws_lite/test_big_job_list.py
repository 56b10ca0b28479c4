"""Job lists of any size (issue 12): the incremental parse, the documented size cap and
its error message, and the hardening of the incremental path."""

from __future__ import annotations

from typing import Callable

import pytest
import responses

from uws_lite import Client
from uws_lite.documents import parse_job_list
from uws_lite.errors import InvalidRequest, ParseError
from uws_lite.models import Phase
from uws_lite.xmlsafe import MAX_DOCUMENT_BYTES, MAX_JOB_LIST_BYTES

from .conftest import BASE

XML = "text/xml; charset=UTF-8"
NS = 'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink"'
PHASES = ("COMPLETED", "ERROR", "EXECUTING", "ABORTED", "PENDING")


def jobref(i: int) -> str:
    return (
        f'<uws:jobref id="j{i:07d}" xlink:href="{BASE}/j{i:07d}">'
        f"<uws:phase>{PHASES[i % 5]}</uws:phase><uws:runId>run_{i}</uws:runId>"
        f"<uws:ownerId>anonymous</uws:ownerId>"
        f"<uws:creationTime>2026-11-{1 + i % 28:02d}T22:{i % 60:02d}:01</uws:creationTime>"
        "</uws:jobref>\n"
    )


def job_list(n_jobs: int) -> bytes:
    refs = "".join(jobref(i) for i in range(n_jobs))
    return f'<uws:jobs {NS} version="1.1">{refs}</uws:jobs>'.encode()


def test_a_large_list_parses_whole_and_in_order() -> None:
    doc = job_list(30_000)
    assert len(doc) > 4 * 1024 * 1024  # several incremental feeds
    jobs = parse_job_list(doc).jobs
    assert len(jobs) == 30_000
    assert [j.job_id for j in jobs[:3]] == ["j0000000", "j0000001", "j0000002"]
    last = jobs[-1]
    assert last.job_id == "j0029999"
    assert last.phase.value == PHASES[29_999 % 5]
    assert last.run_id == "run_29999"
    assert last.owner_id == "anonymous"
    assert last.href == f"{BASE}/j0029999"
    assert last.creation_time is not None
    assert last.creation_time.minute == 29_999 % 60


def test_esa_job_elements_mixed_with_jobrefs_keep_document_order() -> None:
    esa = (
        "<uws:job><uws:jobId>esa1</uws:jobId><uws:phase>COMPLETED</uws:phase>"
        "<uws:jobInfo><jobref>not a list item</jobref></uws:jobInfo></uws:job>"
    )
    doc = f"<uws:jobs {NS}>{jobref(0)}{esa}{jobref(1)}</uws:jobs>".encode()
    jobs = parse_job_list(doc).jobs
    assert [j.job_id for j in jobs] == ["j0000000", "esa1", "j0000001"]
    assert jobs[1].phase is Phase.COMPLETED


def test_wrong_root_is_refused_by_the_incremental_parse() -> None:
    doc = f'<html xmlns="http://www.w3.org/1999/xhtml" {NS}>{jobref(0)}</html>'.encode()
    with pytest.raises(ParseError, match="root element is <html>"):
        parse_job_list(doc)
    with pytest.raises(ParseError, match="root element"):
        parse_job_list(b"<job><jobId>1</jobId></job>")


def test_broken_xml_deep_in_a_large_list_is_not_well_formed() -> None:
    doc = job_list(20_000).replace(b"run_19000<", b"run_&bad;<")
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job_list(doc)
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job_list(job_list(20_000)[:-100])  # truncated answer
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job_list(b"")


def test_doctype_hidden_behind_a_comment_is_refused_in_a_job_list() -> None:
    doc = (
        f'<!-- <x --><!DOCTYPE jobs [<!ENTITY e "leaked">]><uws:jobs {NS}>'
        f'<uws:jobref id="&e;"><uws:phase>COMPLETED</uws:phase></uws:jobref></uws:jobs>'
    ).encode()
    with pytest.raises(ParseError, match="DOCTYPE") as info:
        parse_job_list(doc)
    assert "leaked" not in str(info.value)


def test_utf16_doctype_is_refused_in_a_job_list() -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE jobs [<!ENTITY e "1">]>'
        f'<uws:jobs {NS}><uws:jobref id="&e;"/></uws:jobs>'
    )
    with pytest.raises(ParseError, match="DOCTYPE"):
        parse_job_list(doc.encode("utf-16"))


def test_deep_nesting_inside_a_jobref_is_refused() -> None:
    deep = "<a>" * 100_000 + "</a>" * 100_000
    doc = f'<uws:jobs {NS}><uws:jobref id="1">{deep}</uws:jobref></uws:jobs>'.encode()
    with pytest.raises(ParseError):
        parse_job_list(doc)


def test_job_list_cap_is_raised_and_other_documents_keep_theirs() -> None:
    assert MAX_JOB_LIST_BYTES == 256 * 1024 * 1024
    assert MAX_DOCUMENT_BYTES == 16 * 1024 * 1024
    doc = job_list(10)
    with pytest.raises(ParseError, match=f"the {len(doc) - 1}-byte limit"):
        parse_job_list(doc, max_bytes=len(doc) - 1)
    assert len(parse_job_list(doc, max_bytes=len(doc)).jobs) == 10


def test_client_reads_a_list_larger_than_the_document_cap(
    rsps: responses.RequestsMock, make_client: Callable[..., Client]
) -> None:
    doc = job_list(80_000)
    assert len(doc) > MAX_DOCUMENT_BYTES
    rsps.get(BASE, body=doc, content_type=XML)
    jobs = make_client().get_job_list().jobs
    assert len(jobs) == 80_000
    assert jobs[-1].job_id == "j0079999"


def test_client_cap_error_names_the_limit_and_the_settings(
    rsps: responses.RequestsMock, make_client: Callable[..., Client]
) -> None:
    doc = job_list(20)
    rsps.get(BASE, body=doc, content_type=XML)
    client = make_client(max_job_list_size=1000)
    with pytest.raises(ParseError) as info:
        client.get_job_list()
    text = str(info.value)
    assert "larger than 1000 bytes" in text
    assert "max_size=" in text
    assert "max_job_list_size=" in text
    assert "is the URL right" not in text  # the old, misleading advice
    # The per-call setting raises it (and lowers it).
    assert len(client.get_job_list(max_size=len(doc)).jobs) == 20
    with pytest.raises(ParseError, match="larger than 100 bytes"):
        make_client().get_job_list(max_size=100)


def test_other_documents_keep_the_old_advice(rsps: responses.RequestsMock, client: Client) -> None:
    rsps.get(BASE + "/2a3490", body=b"<x>" + b" " * MAX_DOCUMENT_BYTES + b"</x>", content_type=XML)
    with pytest.raises(ParseError, match=f"larger than {MAX_DOCUMENT_BYTES} bytes"):
        client.get_job("2a3490")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "100", True])
def test_bad_sizes_are_refused_before_sending(
    rsps: responses.RequestsMock, make_client: Callable[..., Client], bad: object
) -> None:
    with pytest.raises(InvalidRequest, match="max_job_list_size"):
        make_client(max_job_list_size=bad)
    with pytest.raises(InvalidRequest, match="max_size"):
        make_client().get_job_list(max_size=bad)  # type: ignore[arg-type]
    assert len(rsps.calls) == 0
