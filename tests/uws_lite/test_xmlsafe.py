"""uws_lite.xmlsafe: what the hardened reader refuses or accepts before any UWS reading.

The attacks (entities, external DTDs, huge and deep documents) are in test_hostile_xml.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from uws_lite.documents import parse_job
from uws_lite.errors import ParseError
from uws_lite.models import Phase
from uws_lite.xmlsafe import MAX_DOCUMENT_BYTES, make_parser

DATA = Path(__file__).resolve().parent.parent / "data"
NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def job_doc(body: str, root_attrs: str = "") -> bytes:
    return f"<uws:job {NS} {root_attrs}><uws:jobId>j1</uws:jobId>{body}</uws:job>".encode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<uws:job",
        b"not xml at all",
        b"<job><jobId>1</job>",
        "<job><jobId>é</jobId></job>".encode("latin-1"),
    ],
)
def test_not_well_formed(body: bytes) -> None:
    with pytest.raises(ParseError, match="not well-formed") as info:
        parse_job(body, url="https://example.org/jobs/1")
    assert info.value.url == "https://example.org/jobs/1"
    assert "https://example.org/jobs/1" in str(info.value)


def test_html_error_page_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError):
        parse_job(data("opus-error-500.html"))


def test_excerpt_is_short_and_clean() -> None:
    body = b"<html>\x1b[31m" + b"x" * 5000 + b"</html>"
    with pytest.raises(ParseError) as info:
        parse_job(body)
    assert len(info.value.excerpt) <= 200
    assert "\x1b" not in info.value.excerpt


def test_size_limit_is_checked_before_parsing() -> None:
    doc = data("spec-example-job.xml")
    with pytest.raises(ParseError, match="limit"):
        parse_job(doc, max_bytes=len(doc) - 1)
    assert parse_job(doc, max_bytes=len(doc)).job_id
    assert MAX_DOCUMENT_BYTES == 16 * 1024 * 1024


def test_encodings() -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><job><jobId>é</jobId></job>'.encode("utf-16")
    assert parse_job(doc).job_id == "é"
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><job><jobId>é</jobId></job>'
    assert parse_job(latin.encode("latin-1")).job_id == "é"
    bom = b"\xef\xbb\xbf" + data("spec-example-job.xml")
    assert parse_job(bom).phase is Phase.COMPLETED


def test_cdata_in_body_mentioning_doctype_is_fine() -> None:
    doc = job_doc(
        '<uws:parameters><uws:parameter id="q"><![CDATA[<!DOCTYPE x> & <]]>'
        "</uws:parameter></uws:parameters>"
    )
    assert parse_job(doc).parameter("q") == "<!DOCTYPE x> & <"


def test_make_parser_is_hardened() -> None:
    parser = make_parser()
    assert isinstance(parser, etree.XMLParser)
    root = etree.fromstring(b"<a><!-- c --><?pi x?><b/></a>", parser)
    assert [c.tag for c in root] == ["b"]  # comments and PIs removed


def test_excerpt_shows_control_and_bidi_characters_escaped() -> None:
    body = "<html>\x1b[31mred\u202etxt.exe</html>".encode()
    with pytest.raises(ParseError) as info:
        parse_job(body)
    assert info.value.excerpt.startswith("<html>\\x1b[31mred\\u202etxt.exe")


def test_parser_messages_quoting_the_document_are_shown_safely() -> None:
    # lxml's own error quotes the bad namespace: the message shows it escaped.
    doc = '<job xmlns="urn:x\u202egpj.exe"><jobId>1</jobId></job>'.encode()
    with pytest.raises(ParseError, match="not well-formed") as info:
        parse_job(doc)
    message = str(info.value)
    assert "urn:x\\u202egpj.exe" in message
    assert "\u202e" not in message
