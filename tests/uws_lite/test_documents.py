"""uws_lite.documents: reading jobs, job lists, results and parameters into models.

Every quirk is pinned by a fixture in tests/data/ (see tests/data/README.md for sources).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from uws_lite import documents
from uws_lite.documents import (
    parse_job,
    parse_job_list,
    parse_parameters,
    parse_results,
)
from uws_lite.errors import ParseError
from uws_lite.models import JobRef, Phase, Result
from uws_lite.xmlsafe import make_parser

DATA = Path(__file__).resolve().parent.parent / "data"
UTC = timezone.utc
PLUS1 = timezone(timedelta(hours=1))
PLUS2 = timezone(timedelta(hours=2))
NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def job_doc(body: str, root_attrs: str = "") -> bytes:
    return f"<uws:job {NS} {root_attrs}><uws:jobId>j1</uws:jobId>{body}</uws:job>".encode()


# --- the spec example ----------------------------------------------------------------


def test_spec_example_every_field() -> None:
    job = parse_job(data("spec-example-job.xml"), url="http://myserver.org/uws/jobs/jobid123")
    assert job.job_id == "cea-agdevel.jb.man.ac.uk-130.88.24.18-1242749568029-508182314"
    assert job.run_id == "myjobref"
    assert job.owner_id is None  # xsi:nil
    assert job.phase is Phase.COMPLETED
    assert job.quote is None
    assert job.quote_text is None
    assert job.creation_time == datetime(2009, 5, 19, 17, 1, 44, 38000, tzinfo=UTC)
    assert job.start_time == datetime(2009, 5, 19, 17, 12, 48, 38000, tzinfo=UTC)
    assert job.end_time == datetime(2009, 5, 19, 17, 12, 49, 41000, tzinfo=UTC)
    assert job.execution_duration == 86400
    assert job.destruction == datetime(2009, 5, 29, 17, 12, 48, 35000, tzinfo=UTC)
    assert job.version == "1.1"
    assert job.uws_version == "1.1"
    assert job.url == "http://myserver.org/uws/jobs/jobid123"

    scale, image = job.parameters
    assert (scale.id, scale.value, scale.by_reference, scale.is_post) == (
        "scaleFactor",
        "1.8",
        False,
        False,
    )
    # byReference content is a URL: the line break and indentation around it are dropped.
    assert image.by_reference is True
    assert image.value == "http://myserver.org/uws/jobs/jobid123/param/image"

    (result,) = job.results
    assert result.id == "correctedImage"
    assert result.href == "http://myserver.org/uws/jobs/jobid123/result/image"
    assert result.size == 3000960
    assert result.mime_type == "image/fits"
    assert dict(result.attributes) == {"anyattribute": "a custom attribute"}  # urn:uwscustom

    assert job.error_summary is not None
    assert job.error_summary.message == "we have problem"
    assert job.error_summary.type == "transient"
    assert job.error_summary.has_detail is True

    (info,) = job.job_info
    assert info.tag == "{urn:mynamespace}any"
    assert etree.tostring(info) == b'<any xmlns="urn:mynamespace"><xml><thatyouwant/></xml></any>'


# --- OPUS ----------------------------------------------------------------------------


def test_opus_completed_job() -> None:
    url = "http://127.0.0.1:8082/rest/ExPRES/2a3490"
    job = parse_job(data("opus-job-completed.xml"), url=url)
    assert job.job_id == "2a3490"
    assert job.phase is Phase.COMPLETED
    assert job.version is None  # OPUS writes no version: a 1.0 server by §2.2.1.1
    assert job.uws_version == "1.0"
    # Naive local times stay naive (Paris time on the real server).
    assert job.creation_time == datetime(2026, 11, 24, 22, 39, 1)
    assert job.creation_time.tzinfo is None
    assert job.end_time == datetime(2026, 11, 24, 22, 39, 12)
    # Quote is seconds, not a time: no datetime, but the text is kept.
    assert job.quote is None
    assert job.quote_text == "120"
    assert job.execution_duration == 60
    assert job.error_summary is None  # xsi:nil


def test_opus_parameter_values_are_url_decoded() -> None:
    job = parse_job(data("opus-job-completed.xml"))
    assert job.parameter("branch") == "master"
    assert job.parameter("config") == "http://127.0.0.1:8082/store?ID=c241d7"
    assert job.parameter("comment") == "Io + Jupiter, 100%"
    config = next(p for p in job.parameters if p.id == "config")
    branch = next(p for p in job.parameters if p.id == "branch")
    assert config.by_reference is True  # byReference="1"
    assert branch.by_reference is False  # byReference="0"


def test_opus_results_name_hash_and_no_size() -> None:
    job = parse_job(data("opus-job-completed.xml"), url="http://127.0.0.1:8082/rest/ExPRES/2a3490")
    cdf, stdout, stderr = job.results
    assert cdf.id == "expres_test_run_a.cdf"
    assert cdf.href == "http://127.0.0.1:8082/store?ID=6b2aa7"
    assert cdf.size is None  # absent, never 0
    assert cdf.mime_type == "application/x-cdf"
    assert cdf.name == "6b2aa7_expres_test_run_a.cdf"
    assert cdf.sha1 == "dc1bd941226c351a86bd689530860b0167370331"
    assert dict(cdf.attributes) == {
        "name": "6b2aa7_expres_test_run_a.cdf",
        "hash": "dc1bd941226c351a86bd689530860b0167370331",
    }
    # Logs: empty name and hash mean "none".
    assert stdout.name is None
    assert stdout.sha1 is None
    assert stdout.href == "http://127.0.0.1:8082//rest/ExPRES/2a3490/stdout"
    assert stderr.id == "stderr"


def test_opus_job_info_unqualified_child() -> None:
    job = parse_job(data("opus-job-completed.xml"))
    (info,) = job.job_info
    assert info.tag == "process_id"
    assert info.text == "10536"


def test_opus_error_job_plain_text_error_summary() -> None:
    job = parse_job(data("opus-job-error.xml"))
    assert job.phase is Phase.ERROR
    assert job.error_summary is not None
    assert job.error_summary.message == "Error in job script (exit code 1): see stderr"
    assert job.error_summary.type is None
    assert job.error_summary.has_detail is False
    assert [r.id for r in job.results] == ["stdout", "stderr"]


def test_opus_pending_job_nil_everywhere() -> None:
    job = parse_job(data("opus-job-pending.xml"))
    assert job.phase is Phase.PENDING
    assert job.run_id is None
    assert job.start_time is None
    assert job.end_time is None
    assert job.quote is None
    assert job.quote_text is None
    assert job.execution_duration is None  # nil executionDuration
    assert job.results == ()
    assert job.error_summary is None
    assert job.job_info == ()  # nil jobInfo
    nothing = next(p for p in job.parameters if p.id == "nothing")
    assert nothing.value is None  # nil parameter


def test_opus_job_list_oldest_first_and_naive_times() -> None:
    jobs = parse_job_list(data("opus-joblist.xml"))
    assert jobs.version is None
    assert [j.job_id for j in jobs] == ["1b2c3d", "2a3490", "7c01fe", "5f1c0e"]
    assert [j.job_id for j in jobs.newest_first()] == ["7c01fe", "5f1c0e", "2a3490", "1b2c3d"]
    first = jobs.jobs[0]
    assert first.run_id == "oldest"
    assert first.owner_id == "anonymous"
    assert first.creation_time == datetime(2026, 11, 20, 9, 0)
    assert first.href == "http://127.0.0.1:8082/rest/ExPRES/1b2c3d"
    assert jobs.jobs[3].run_id is None  # nil runId in a jobref
    assert jobs.jobs[3].phase is Phase.PENDING


def test_opus_results_document() -> None:
    results = parse_results(data("opus-results.xml"))
    assert [r.id for r in results] == ["expres_test_run_a.cdf", "provjson", "stdout"]
    assert results[1].name == "0aa911_provenance.json"
    assert results[1].sha1 is not None
    assert all(r.size is None for r in results)


def test_opus_parameters_document() -> None:
    params = parse_parameters(data("opus-parameters.xml"))
    values = {p.id: p.value for p in params}
    assert values == {
        "branch": "master",
        "config": "http://127.0.0.1:8082/store?ID=c241d7",
        "comment": "Io + Jupiter, 100%",
        "runId": "myrun",
    }


# --- standard servers: values are never URL-decoded -----------------------------------


def test_true_false_by_reference_values_are_not_decoded() -> None:
    params = parse_parameters(data("standard-parameters-true-false.xml"))
    by_id = {p.id: p for p in params}
    assert by_id["message"].value == "1+1=2 %41 a&b"
    assert by_id["query"].value == "SELECT 1+1 AS two"
    assert by_id["query"].by_reference is False
    infile = by_id["infile"]
    assert infile.by_reference is True
    assert infile.value == "https://uws.example.org/jobs/Sz5kfh/parameters/infile"
    assert by_id["sleep"].is_post is True


@pytest.mark.parametrize(
    ("attr", "expected_ref", "expected_value"),
    [
        ('byReference="0"', False, "a b"),
        ('byReference="1"', True, "a b"),
        ('byReference="true"', True, "a+b"),
        ('byReference="false"', False, "a+b"),
        ('byReference=" TRUE "', True, "a+b"),
        ("", False, "a+b"),
    ],
)
def test_by_reference_forms(attr: str, expected_ref: bool, expected_value: str) -> None:
    doc = f'<uws:parameters {NS}><uws:parameter id="p" {attr}>a+b</uws:parameter></uws:parameters>'
    (param,) = parse_parameters(doc.encode())
    assert param.by_reference is expected_ref
    assert param.value == expected_value


def test_parameter_values_keep_white_space_and_cr() -> None:
    job = parse_job(data("uws-client-job-completed.xml"))
    query = job.parameter("query")
    assert query is not None
    assert query.startswith(
        "SELECT 0.25*(0.5+FLOOR(LOG10(Mvir)/0.25)) AS log_mass, COUNT(*) AS num\r\n"
    )
    assert query.endswith("-- CALL paquDropTmp('aggregation_tmp_75797262')\n")
    implicit = parse_job(data("pyvo-job-implicit-v1.0.xml"))
    assert implicit.parameter("query") == "\nSELECT ra, dec FROM table\n"


def test_empty_parameter_is_empty_string() -> None:
    job = parse_job(data("pyvo-job-stylesheet-pi.xml"))
    assert job.parameter("maxrec") == ""
    assert job.parameter("query") == "SELECT 'test'"
    assert job.parameter("nosuch") is None


def test_mixed_content_parameter() -> None:
    doc = f'<uws:parameters {NS}><uws:parameter id="p">a<b>b</b>c</uws:parameter></uws:parameters>'
    (param,) = parse_parameters(doc.encode())
    assert param.value == "abc"


def test_repeated_parameter_keeps_all_in_order() -> None:
    doc = (
        f"<uws:parameters {NS}>"
        '<uws:parameter id="PHASE">A</uws:parameter><uws:parameter id="PHASE">B</uws:parameter>'
        "</uws:parameters>"
    )
    params = parse_parameters(doc.encode())
    assert [p.value for p in params] == ["A", "B"]


# --- namespaces ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "uws-client-joblist.xml",
        "uws-client-u-prefix.xml",
        "uws-client-default-namespace-joblist.xml",
    ],
)
def test_job_list_any_prefix(name: str) -> None:
    jobs = parse_job_list(data(name))
    assert len(jobs) >= 1
    first = jobs.jobs[0]
    assert first.phase is Phase.COMPLETED
    assert first.href is not None
    assert first.href.startswith("https://www.cosmosim.org/uws/query/")
    assert jobs.version is None


def test_cosmosim_job_list_in_order() -> None:
    jobs = parse_job_list(data("uws-client-joblist.xml"))
    assert [(j.job_id, j.phase) for j in jobs] == [
        ("2014-06-03T15:33:29:4235", Phase.COMPLETED),
        ("2014-06-02T10:14:25:1677", Phase.ABORTED),
        ("2014-05-28T10:46:39:2755", Phase.COMPLETED),
        ("2014-05-09T15:13:50:6896", Phase.ERROR),
        ("rndSamp2", Phase.COMPLETED),
    ]
    # Jobs without creation times keep document order in newest_first.
    assert [j.job_id for j in jobs.newest_first()] == [j.job_id for j in jobs]


def test_default_namespace_job() -> None:
    job = parse_job(data("uws-client-default-namespace-job-error.xml"))
    assert job.job_id == "1177277256137938"
    assert job.owner_id == "adrian"
    assert job.phase is Phase.ERROR
    assert job.quote is None
    assert job.start_time == datetime(2014, 5, 9, 15, 13, 48, tzinfo=PLUS2)
    assert job.destruction == datetime(2999, 12, 31, tzinfo=PLUS1)
    assert job.results == ()
    assert job.error_summary is not None
    assert job.error_summary.message == "Remote MySQL server has gone away"
    assert job.error_summary.type == "transient"
    assert job.parameter("queue") == "short"


def test_pyvo_implicit_v10_job() -> None:
    job = parse_job(data("pyvo-job-implicit-v1.0.xml"))
    assert job.job_id == "1576511540079_32840"
    assert job.owner_id is None  # empty <ownerId/>
    assert job.version is None
    assert job.uws_version == "1.0"
    assert job.start_time == datetime(2019, 12, 16, 10, 52, 20)  # no zone: naive
    (result,) = job.results
    assert result.id == "resultsTable"


def test_elements_in_no_namespace_are_accepted() -> None:
    # Decision: a document whose elements are in no namespace is read like a UWS one
    # (the root's local name is still checked); validate() is the strict check.
    doc = b"<job><jobId>7</jobId><phase>QUEUED</phase><results/></job>"
    job = parse_job(doc)
    assert (job.job_id, job.phase) == ("7", Phase.QUEUED)
    jobs = parse_job_list(b'<jobs><jobref id="7"><phase>QUEUED</phase></jobref></jobs>')
    assert [j.job_id for j in jobs] == ["7"]


def test_foreign_namespace_root_is_refused() -> None:
    doc = b'<job xmlns="http://example.org/not-uws"><jobId>7</jobId></job>'
    with pytest.raises(ParseError, match=r"namespace http://example.org/not-uws"):
        parse_job(doc, url="https://example.org/jobs/7")


def test_foreign_namespace_children_are_ignored() -> None:
    doc = job_doc('<x:phase xmlns:x="urn:other">ERROR</x:phase><uws:phase>QUEUED</uws:phase>')
    assert parse_job(doc).phase is Phase.QUEUED


# --- other servers' quirks --------------------------------------------------------------


def test_dachs_style_pi_and_declaration_before_root() -> None:
    job = parse_job(data("pyvo-job-stylesheet-pi.xml"))
    assert job.job_id == "1337"
    assert job.version == "1.1"
    assert job.quote == datetime(2018, 1, 1, 2, 0, tzinfo=UTC)
    assert job.quote_text == "2018-01-01T02:00:00Z"
    assert job.owner_id is None


def test_dachs_error_job() -> None:
    job = parse_job(data("dachs-job-error.xml"))
    assert job.job_id == "v3v6b7xo"
    assert job.phase is Phase.ERROR
    assert job.version == "1.1"
    assert job.owner_id is None  # xsi:nil with an end tag
    assert job.end_time == datetime(2026, 11, 24, 23, 24, tzinfo=UTC)
    assert job.results == ()
    assert job.parameter("infile") == ""
    assert job.error_summary is not None
    assert job.error_summary.type == "fatal"
    assert job.error_summary.has_detail is False
    assert job.error_summary.message == "Field fail: this job fails on purpose"


def test_dachs_capitalised_by_reference() -> None:
    # DaCHS 2.7 writes byReference="True" for a DALI upload (schema-invalid, see test_schema).
    job = parse_job(data("dachs-job-upload-byReference-True.xml"))
    infile = next(p for p in job.parameters if p.id == "infile")
    assert infile.by_reference is True
    assert infile.value == "http://127.0.0.1:8123/uwstest/q/echo/async/rmef4clw/results/infile"
    assert job.end_time is None  # DaCHS 2.7 sets no endTime on generic jobs
    assert [r.id for r in job.results] == ["echo.txt", "meta.json", "copy"]


def test_dachs_job_list_phase_only() -> None:
    jobs = parse_job_list(data("dachs-joblist-completed.xml"))
    assert jobs.version == "1.1"
    assert len(jobs) >= 1
    assert all(j.phase is Phase.COMPLETED for j in jobs)
    assert all(j.creation_time is None and j.run_id is None for j in jobs)


def test_pyvo_error_job() -> None:
    job = parse_job(data("pyvo-job-error-fatal.xml"))
    assert job.error_summary is not None
    assert (job.error_summary.message, job.error_summary.type) == ("We have problem", "fatal")


def test_uws11_jobref_children() -> None:
    jobs = parse_job_list(data("uws11-joblist-jobref-children.xml"))
    assert jobs.version == "1.1"
    second, first_error, archived = jobs.jobs
    assert second.run_id == "second"
    assert second.owner_id == "alice"
    assert second.creation_time == datetime(2026, 11, 24, 21, 45, 30, tzinfo=UTC)
    assert first_error.run_id is None
    assert first_error.owner_id is None  # nil
    assert archived.phase is Phase.ARCHIVED
    assert [j.job_id for j in jobs.newest_first()] == ["Tq0wAb", "Sz5kfh", "Ra1c9X"]


def test_safir_job_without_results_element() -> None:
    job = parse_job(data("safir-job-no-results.xml"))
    assert job.phase is Phase.EXECUTING
    assert job.results == ()
    assert job.end_time is None


def test_safir_error_job() -> None:
    job = parse_job(data("safir-job-error.xml"))
    assert job.error_summary is not None
    assert job.error_summary.message.startswith("UsageError ")
    assert job.error_summary.has_detail is True


def test_cefca_relative_href_and_empty_elements() -> None:
    url = "https://archive.cefca.es/catalogues/vo/tap/minijpas-pdr201912/async/21529"
    job = parse_job(data("cefca-relative-href.xml"), url=url)
    (result,) = job.results
    assert result.href == url + "/results/result"
    assert job.start_time is None  # <startTime></startTime>
    assert job.end_time is None
    assert job.execution_duration is None  # <executionDuration></executionDuration>
    assert job.run_id is None
    assert job.owner_id is None
    assert job.quote_text is None
    assert job.destruction == datetime(2019, 11, 4, 18, 38, 31, 409070)


def test_relative_href_without_url_is_kept() -> None:
    job = parse_job(data("cefca-relative-href.xml"))
    assert job.results[0].href == "./21529/./results/result"
    assert job.url is None


def test_rubin_duplicate_ids_and_non_url_hrefs() -> None:
    job = parse_job(data("rubin-duplicate-ids.xml"), url="https://data.example.org/api/tap/async/x")
    assert [r.id for r in job.results] == ["diag", "diag", "diag", "result"]
    assert [r.href for r in job.results[:3]] == [
        "uws:executing:10",
        "uws:executing:10",
        "query:parsed:25",
    ]
    assert job.result("diag") is job.results[0]
    result = job.result("result")
    assert result is not None
    assert result.mime_type == "application/x-votable+xml"


def test_eso_nil_destruction() -> None:
    job = parse_job(data("eso-destruction-nil.xml"))
    assert job.destruction is None
    assert job.end_time is None
    assert job.phase is Phase.EXECUTING


def test_error_summary_bare_text() -> None:
    job = parse_job(data("pyvo-issue431-errorsummary-text.xml"))
    assert job.error_summary is not None
    assert job.error_summary.message == 'Query failed: column "raa" does not exist'
    assert job.error_summary.type is None


def test_esa_jobs_holding_full_jobs() -> None:
    jobs = parse_job_list(data("esa-gaia-jobs-async.xml"))
    assert [(j.job_id, j.phase) for j in jobs] == [
        ("1479386030738O", Phase.COMPLETED),
        ("1479386052934O", Phase.ERROR),
    ]
    first = jobs.jobs[0]
    assert first.run_id is None
    assert first.owner_id == "anonymous"  # CDATA
    assert first.creation_time == datetime(2016, 11, 17, 13, 33, 50, 738000, tzinfo=PLUS1)
    assert first.href is None


def test_esa_job_quirks_inside_the_list() -> None:
    # The same <uws:job> elements as whole documents: quote -1, +0100, CDATA, hasDetails.
    root = etree.fromstring(data("esa-gaia-jobs-async.xml"), make_parser())
    completed, failed = (etree.tostring(j) for j in root)
    job = parse_job(completed)
    assert job.quote is None
    assert job.quote_text == "-1"
    assert job.start_time == datetime(2016, 11, 17, 13, 33, 50, 755000, tzinfo=PLUS1)
    assert job.execution_duration == 0
    assert job.error_summary is None
    assert job.job_info == ()
    assert (
        job.parameter("QUERY")
        == "SELECT TOP 10 * FROM gaiadr1.gaia_source WHERE ra < 10 AND dec > -5"
    )
    error = parse_job(failed).error_summary
    assert error is not None
    assert error.message == 'Table "nosuchtable" not found'
    assert error.has_detail is True  # ESA spells it hasDetails


def test_esa_job_list_with_total() -> None:
    jobs = parse_job_list(data("esa-gaia-jobs-list.xml"))
    assert len(jobs) == 3
    assert jobs.jobs[2].phase is Phase.EXECUTING


def test_jobinfo_elements_keep_namespaces_and_are_detached() -> None:
    job = parse_job(data("pyvo-job-namespace-jobinfo.xml"))
    tags = [e.tag for e in job.job_info]
    assert tags == [
        "{http://example-tap.org}progress",
        "{http://example-custom.org}progress",
        "uniqueElement",
    ]
    assert [e.text for e in job.job_info] == ["50", "75", "no collision"]
    for element in job.job_info:
        assert element.getparent() is None
        assert element.tail is None
    # Each copy is its own small tree, not a view into the parsed document.
    assert job.job_info[0].getroottree().getroot() is job.job_info[0]


def test_jobinfo_copies_do_not_hold_the_document() -> None:
    doc = job_doc("<uws:results/><uws:jobInfo><a>1</a>tail</uws:jobInfo>")
    (element,) = parse_job(doc).job_info
    # The copy's document is just the copy: the job tree is not reachable from it.
    assert etree.tostring(element.getroottree()) == b"<a>1</a>"


def test_nested_jobinfo() -> None:
    job = parse_job(data("pyvo-job-nested-jobinfo.xml"))
    (info,) = job.job_info
    assert info.findtext("metrics/rows_returned") == "100"


def test_jobinfo_text_only_and_comments_give_no_elements() -> None:
    job = parse_job(job_doc("<uws:jobInfo>just text<!-- c --></uws:jobInfo>"))
    assert job.job_info == ()


def test_unknown_phase_and_lenient_phase_text() -> None:
    assert parse_job(job_doc("<uws:phase> executing\n</uws:phase>")).phase is Phase.EXECUTING
    assert parse_job(job_doc("<uws:phase>RUNNING</uws:phase>")).phase is Phase.UNKNOWN
    assert parse_job(job_doc("<uws:phase/>")).phase is Phase.UNKNOWN
    assert parse_job(job_doc("")).phase is Phase.UNKNOWN  # no phase at all


def test_version_attribute() -> None:
    assert parse_job(job_doc("", 'version="1.1"')).version == "1.1"
    assert parse_job(job_doc("")).version is None


def test_results_edge_cases() -> None:
    doc = (
        f"<uws:results {NS}>"
        '<uws:result id="a" xlink:href="r/a" size="12"/>'
        '<uws:result id="b" xlink:href="" size="-1"/>'
        '<uws:result id="c" href="plain-href" size="x"/>'
        '<uws:result id="d" xlink:href="http://other.example.org/d" xmlns:c="urn:uwscustom" '
        'c:checksum="abc" mime-type=""/>'
        "</uws:results>"
    )
    a, b, c, d = parse_results(doc.encode(), url="https://example.org/jobs/1/results")
    assert a.href == "https://example.org/jobs/1/r/a"
    assert a.size == 12
    assert b.href is None
    assert b.size is None  # negative size means nothing
    assert c.href == "https://example.org/jobs/1/plain-href"  # unqualified href fallback
    assert c.size is None
    assert d.href == "http://other.example.org/d"  # results may live on another host
    assert dict(d.attributes) == {"checksum": "abc"}
    assert d.mime_type is None


# Results are read by column when they all have the same attributes in the same order (the
# usual case) and one at a time otherwise: both ways must give the same results.
_SAME_LAYOUT = [
    ("a", "r/a", "12", "text/plain", "x", "abc"),
    ("b", " ", "-1", "", "y", ""),
    ("c", "http://other.example.org/c", "big", "", "z", "def"),
    ("d", "uws:executing:10", "3.0", "image/png", "w", "ghi"),
    ("e", "//[x", "", "a/b", "v", "jkl"),
]


def _result_element(values: tuple[str, ...]) -> str:
    rid, href, size, mime, name, checksum = values
    return (
        f'<uws:result id="{rid}" xlink:type="simple" xlink:href="{href}" size="{size}" '
        f'mime-type="{mime}" name="{name}" c:checksum="{checksum}"/>'
    )


def _results_doc(elements: str) -> bytes:
    return f'<uws:results {NS} xmlns:c="urn:uwscustom">{elements}</uws:results>'.encode()


@pytest.mark.parametrize("url", [None, "https://example.org/jobs/1/results"])
def test_results_read_by_column_equal_results_read_one_at_a_time(url: str | None) -> None:
    together = parse_results(_results_doc("".join(map(_result_element, _SAME_LAYOUT))), url=url)
    alone = [parse_results(_results_doc(_result_element(v)), url=url)[0] for v in _SAME_LAYOUT]
    assert list(together) == alone
    # A different attribute order in one result: every result read one at a time.
    swapped = _result_element(_SAME_LAYOUT[0]).replace(' id="a" xlink:type="simple"', "")
    swapped = swapped.replace("<uws:result ", '<uws:result xlink:type="simple" id="a" ')
    mixed = parse_results(
        _results_doc(swapped + "".join(map(_result_element, _SAME_LAYOUT[1:]))), url=url
    )
    assert list(mixed) == alone
    if url:
        assert together[0].href == "https://example.org/jobs/1/r/a"
    assert [r.size for r in together] == [12, None, None, 3, None]
    assert [r.mime_type for r in together] == ["text/plain", None, None, "image/png", "a/b"]
    assert together[1].href is None  # blank
    assert together[3].href == "uws:executing:10"
    assert together[4].href == "//[x"  # not resolvable: kept (downloads refuse it)
    assert dict(together[0].attributes) == {"name": "x", "checksum": "abc"}


def test_results_without_attributes_and_duplicate_local_names() -> None:
    bare = parse_results(_results_doc("<uws:result/><uws:result/>"))
    assert bare == (Result(id="", href=None), Result(id="", href=None))
    # Two attributes with one local name (name and c:name): the later one wins, by column
    # as one at a time.
    doc = _results_doc(
        '<uws:result id="a" name="1" c:name="2"/><uws:result id="b" name="3" c:name="4"/>'
    )
    assert [dict(r.attributes) for r in parse_results(doc)] == [{"name": "2"}, {"name": "4"}]
    three = _results_doc('<uws:result id="a" c:x="1" c:y="2" c:z="3"/>')
    assert dict(parse_results(three)[0].attributes) == {"x": "1", "y": "2", "z": "3"}
    one = _results_doc('<uws:result id="a" hash="h"/><uws:result id="b" hash="i"/>')
    assert [r.sha1 for r in parse_results(one)] == [None, None]
    assert [dict(r.attributes) for r in parse_results(one)] == [{"hash": "h"}, {"hash": "i"}]


def test_error_summary_variants() -> None:
    empty = parse_job(job_doc("<uws:errorSummary/>"))
    assert empty.error_summary is None
    detail_only = parse_job(job_doc('<uws:errorSummary type="FATAL" hasDetail="1"/>'))
    assert detail_only.error_summary is not None
    assert detail_only.error_summary.type == "fatal"
    assert detail_only.error_summary.has_detail is True
    assert detail_only.error_summary.message == ""
    two = parse_job(
        job_doc(
            '<uws:errorSummary type="transient" hasDetail="false">'
            "<uws:message>one</uws:message><uws:message> two </uws:message></uws:errorSummary>"
        )
    )
    assert two.error_summary is not None
    assert two.error_summary.message == "one\ntwo"


def test_execution_duration_forms() -> None:
    assert (
        parse_job(job_doc("<uws:executionDuration> 30 </uws:executionDuration>")).execution_duration
        == 30
    )
    assert (
        parse_job(job_doc("<uws:executionDuration>60.0</uws:executionDuration>")).execution_duration
        == 60
    )
    assert (
        parse_job(job_doc("<uws:executionDuration>soon</uws:executionDuration>")).execution_duration
        is None
    )
    assert parse_job(job_doc("<uws:executionDuration/>")).execution_duration is None


def test_job_without_job_id_is_a_parse_error() -> None:
    doc = f"<uws:job {NS}><uws:phase>QUEUED</uws:phase></uws:job>".encode()
    with pytest.raises(ParseError, match="no <jobId>"):
        parse_job(doc, url="https://example.org/jobs/1")


# --- wrong documents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "name"),
    [
        (parse_job, "opus-joblist.xml"),
        (parse_job_list, "spec-example-job.xml"),
        (parse_results, "opus-parameters.xml"),
        (parse_parameters, "opus-results.xml"),
        (parse_job, "dachs-error-votable.xml"),
    ],
)
def test_wrong_root_element(func: object, name: str) -> None:
    with pytest.raises(ParseError, match="root element") as info:
        func(data(name), url="https://user:secret@example.org/jobs")  # type: ignore[operator]
    assert info.value.url == "https://example.org/jobs"
    assert "secret" not in str(info.value)
    assert info.value.excerpt


def test_wrong_root_name_is_shown_safely() -> None:
    # A zero-width joiner is a legal name character in XML: escaped in the message.
    doc = "<jo\u200db><jobId>1</jobId></jo\u200db>".encode()
    with pytest.raises(ParseError, match="root element") as info:
        parse_job(doc)
    message = str(info.value)
    assert "<jo\\u200db> in no namespace" in message
    assert "\u200d" not in message


def test_credentials_in_url_do_not_reach_the_job() -> None:
    job = parse_job(
        data("cefca-relative-href.xml"), url="https://alice:s3cret@example.org/async/21529"
    )
    assert job.url == "https://example.org/async/21529"
    assert job.results[0].href == "https://example.org/async/21529/results/result"
    results = parse_results(
        data("opus-results.xml"), url="https://alice:s3cret@example.org/async/1/results"
    )
    assert all("s3cret" not in (r.href or "") for r in results)
    assert "s3cret" not in repr(job)


def test_parsed_results_and_jobrefs_are_ordinary_frozen_models() -> None:
    # parse.py builds Result/JobRef without their dataclass __init__ (speed); they must
    # still equal, hash and refuse assignment exactly like normally built ones.
    (result,) = parse_results(data("opus-results.xml"))[:1]
    built = Result(
        id="expres_test_run_a.cdf",
        href="http://127.0.0.1:8082/store?ID=6b2aa7",
        size=None,
        mime_type="application/x-cdf",
        attributes={
            "name": "6b2aa7_expres_test_run_a.cdf",
            "hash": "dc1bd941226c351a86bd689530860b0167370331",
        },
    )
    assert result == built
    assert repr(result) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.href = "x"  # type: ignore[misc]
    ref = parse_job_list(data("opus-joblist.xml")).jobs[0]
    assert ref == JobRef(
        job_id="1b2c3d",
        phase=Phase.COMPLETED,
        run_id="oldest",
        owner_id="anonymous",
        creation_time=datetime(2026, 11, 20, 9, 0),
        href="http://127.0.0.1:8082/rest/ExPRES/1b2c3d",
    )
    assert hash(ref) == hash(dataclasses.replace(ref))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.phase = Phase.ERROR  # type: ignore[misc]


def test_fast_constructors_are_in_use_for_results_and_jobrefs() -> None:
    # Reading a 1000-result job or a 10 000-job list is a benchmark figure: the shortcut
    # must not silently fall back to the dataclass __init__.
    assert documents._new_results.__name__ == "make_all"
    assert documents._new_jobref is not JobRef
