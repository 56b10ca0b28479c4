"""uws_lite.schema.validate: strict XSD validation against the bundled schemas, offline.

Every well-formed UWS fixture in tests/data/ is listed here, either as valid (against the
versions given) or as known-invalid because of the quirk it pins. The invalid ones prove
the validator really checks; a new fixture that is in neither list fails
test_every_fixture_is_classified.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict, Tuple

import pytest

from uws_lite.documents import parse_job, parse_job_list, parse_results
from uws_lite.errors import InvalidRequest, ParseError
from uws_lite.schema import validate

DATA = Path(__file__).resolve().parent.parent / "data"
SCHEMAS = Path(__file__).resolve().parent.parent.parent / "uws_lite" / "schemas"

VALID: Dict[str, Tuple[str, ...]] = {
    "spec-example-job.xml": ("1.1",),
    "pyvo-job-stylesheet-pi.xml": ("1.1",),
    "pyvo-job-error-fatal.xml": ("1.1",),
    "pyvo-job-implicit-v1.0.xml": ("1.0", "1.1"),
    "pyvo-job-namespace-jobinfo.xml": ("1.1",),
    "pyvo-job-nested-jobinfo.xml": ("1.1",),
    "uws-client-joblist.xml": ("1.0", "1.1"),
    "uws-client-u-prefix.xml": ("1.0", "1.1"),
    "uws-client-default-namespace-joblist.xml": ("1.0", "1.1"),
    "uws-client-default-namespace-job-error.xml": ("1.0", "1.1"),
    "uws-client-job-completed.xml": ("1.0", "1.1"),
    "opus-parameters.xml": ("1.0", "1.1"),  # 0/1 are valid xs:boolean
    "dachs-job-error.xml": ("1.1",),
    "dachs-joblist-completed.xml": ("1.1",),
    "uws11-joblist-jobref-children.xml": ("1.1",),
    "standard-parameters-true-false.xml": ("1.0", "1.1"),
    "rubin-duplicate-ids.xml": ("1.1",),  # result ids are xs:string, not xs:ID
    "eso-destruction-nil.xml": ("1.0", "1.1"),
}

# file -> a fragment of the first schema error, showing *which* quirk breaks it.
INVALID: Dict[str, str] = {
    "opus-job-completed.xml": "quote",  # out of order (and "120" is no dateTime)
    "opus-job-error.xml": "quote",
    "opus-job-pending.xml": "runId': The element is not 'nillable'",
    "opus-joblist.xml": "runId': The element is not 'nillable'",
    "opus-results.xml": "attribute 'name'",
    "esa-gaia-jobs-async.xml": "attribute 'total'",
    "esa-gaia-jobs-list.xml": "attribute 'total'",
    "safir-job-no-results.xml": "executionDuration",  # endTime and results are missing
    "safir-job-error.xml": "errorSummary': This element is not expected",  # no <results>
    "cefca-relative-href.xml": "'' is not a valid value",
    "pyvo-issue431-errorsummary-text.xml": "The attribute 'type' is required",
    "dachs-job-upload-byReference-True.xml": "'True' is not a valid value",
}

NOT_UWS = {
    "dachs-error-votable.xml",
    "safir-error.xml",
    "opus-error-404.html",
    "opus-error-500.html",
}


def test_every_fixture_is_classified() -> None:
    names = {p.name for p in DATA.iterdir() if p.name != "README.md"}
    assert names == set(VALID) | set(INVALID) | NOT_UWS
    assert not set(VALID) & set(INVALID)


@pytest.mark.parametrize(
    ("name", "version"), [(n, v) for n, versions in VALID.items() for v in versions]
)
def test_valid_fixtures(name: str, version: str) -> None:
    validate((DATA / name).read_bytes(), version=version)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_known_invalid_fixtures(name: str) -> None:
    with pytest.raises(ParseError, match=r"not valid against the UWS 1\.1 schema") as info:
        validate((DATA / name).read_bytes(), version="1.1")
    assert INVALID[name] in str(info.value)


@pytest.mark.parametrize("name", sorted(n for n, v in VALID.items() if "1.0" not in v))
def test_uws11_documents_fail_the_10_schema(name: str) -> None:
    # version="1.1", creationTime and ARCHIVED are not in the 1.0 schema.
    with pytest.raises(ParseError, match=r"UWS 1\.0 schema"):
        validate((DATA / name).read_bytes(), version="1.0")


def test_invalid_fixtures_still_parse_leniently() -> None:
    for name in INVALID:
        if name.startswith(("opus-job-", "safir-job-", "cefca-", "pyvo-issue", "dachs-job-")):
            assert parse_job((DATA / name).read_bytes()).job_id
        elif name.endswith(("joblist.xml", "jobs-async.xml", "jobs-list.xml")):
            assert len(parse_job_list((DATA / name).read_bytes())) >= 2
        else:
            assert parse_results((DATA / name).read_bytes())


def test_error_lists_several_errors() -> None:
    doc = (DATA / "opus-job-pending.xml").read_bytes()
    with pytest.raises(ParseError) as info:
        validate(doc)
    message = str(info.value)
    assert message.count("line 1:") >= 2
    assert "; " in message


def test_xlink_attributes_are_checked_by_the_local_xlink_schema() -> None:
    doc = (
        (DATA / "uws-client-u-prefix.xml")
        .read_bytes()
        .replace(b'xlink:type="simple"', b'xlink:type="bogus"')
    )
    with pytest.raises(ParseError, match="bogus"):
        validate(doc)


def test_a_wrong_phase_is_invalid() -> None:
    doc = (DATA / "pyvo-job-stylesheet-pi.xml").read_bytes().replace(b">COMPLETED<", b">DONE<")
    with pytest.raises(ParseError, match="DONE"):
        validate(doc)


def test_validate_applies_the_safety_rules() -> None:
    with pytest.raises(ParseError, match="DOCTYPE"):
        validate(b'<!DOCTYPE job [<!ENTITY x "y">]><job>&x;</job>')
    with pytest.raises(ParseError, match="not well-formed"):
        validate(b"<job")


def test_unknown_version() -> None:
    with pytest.raises(InvalidRequest, match=r"1\.2"):
        validate((DATA / "spec-example-job.xml").read_bytes(), version="1.2")


def test_bundled_schemas_are_the_official_files() -> None:
    # Byte-identical to shared/uws (ivoa-std/UWS); see uws_lite/schemas/README.md.
    digests = {
        "UWS-v1.0.xsd": "da0e122100970d5979a839591b1c0ef64befb0da",
        "UWS-v1.1.xsd": "feb3e098406e509a7bc1168e599373e1d88e508c",
    }
    for name, digest in digests.items():
        assert hashlib.sha1((SCHEMAS / name).read_bytes()).hexdigest() == digest  # noqa: S324
    # They still point at the network location; validate() maps it, never fetches it.
    assert b"http://www.ivoa.net/xml/Xlink/xlink.xsd" in (SCHEMAS / "UWS-v1.1.xsd").read_bytes()
    assert (SCHEMAS / "xlink.xsd").is_file()


def test_schema_errors_quote_the_document_safely() -> None:
    doc = (
        '<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" version="1.1">'
        "<uws:jobId>1</uws:jobId><uws:runId/><uws:ownerId/>"
        "<uws:phase>\u202eCOMPLETED\x85</uws:phase></uws:job>"
    ).encode()
    with pytest.raises(ParseError, match="not valid") as info:
        validate(doc)
    message = str(info.value)
    assert "\\u202eCOMPLETED\\x85" in message
    assert "\u202e" not in message
    assert "\x85" not in message
