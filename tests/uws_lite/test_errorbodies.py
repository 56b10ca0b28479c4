"""uws_lite.errorbodies: readable, bounded, safe messages from servers' error bodies."""

from __future__ import annotations

from pathlib import Path

import pytest

from uws_lite.errorbodies import error_message, votable_error

DATA = Path(__file__).resolve().parent.parent / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_error_message_opus_bottle_page() -> None:
    assert (
        error_message(data("opus-error-500.html"), "text/html; charset=UTF-8")
        == "Job 2a3490 cannot be started: phase is COMPLETED (PENDING expected)"
    )
    # Debug form: the first <pre> is the message, the exception repr is not.
    assert error_message(data("opus-error-404.html"), "text/html") == "Job ffffff not found"
    # Recognised without a content type too.
    assert error_message(data("opus-error-404.html")) == "Job ffffff not found"


def test_error_message_other_html() -> None:
    body = (
        b"<html><head><title>502 Bad Gateway</title><style>p {color: red}</style></head>"
        b"<body><h1>Bad   Gateway</h1>\n<p>The proxy\n  got no answer.</p>"
        b"<script>var x = 1;</script></body></html>"
    )
    assert error_message(body, "text/html") == "Bad Gateway The proxy got no answer."
    title_only = b"<html><head><title>Service   Unavailable</title></head><body></body></html>"
    assert error_message(title_only, "text/html") == "Service Unavailable"


def test_error_message_votable() -> None:
    assert (
        error_message(data("dachs-error-votable.xml"), "text/xml")
        == "Field fail: this job fails on purpose"
    )
    message = error_message(data("safir-error.xml"), "application/xml")
    assert message is not None
    assert message.startswith("UsageError Invalid dataset ID")
    assert message.endswith("(detail)")


def test_error_message_plain_text() -> None:
    assert error_message(b"  Internal Server Error\n", "text/plain") == "Internal Server Error"
    assert error_message(b"line one\nline two", None) == "line one\nline two"
    assert error_message("caf\xe9".encode("latin-1"), "text/plain; charset=ISO-8859-1") == "café"
    assert error_message("café".encode(), "text/plain; charset=nonsense") == "café"


def test_error_message_empty_is_none() -> None:
    assert error_message(b"") is None
    assert error_message(b" \n\t", "text/plain") is None
    assert error_message(b"<html><body>  </body></html>", "text/html") is None


def test_error_message_is_bounded_and_clean() -> None:
    message = error_message(b"\x1b[2J" + b"word " * 10000, "text/plain")
    assert message is not None
    assert len(message) <= 2000
    assert "\x1b" not in message
    huge_pre = b"<html><body><pre>" + b"a" * 3_000_000 + b"</pre></body></html>"
    message = error_message(huge_pre, "text/html")
    assert message is not None
    assert len(message) <= 2000


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00garbage",
        b"<VOTABLE QUERY_STATUS",
        b"<<<>>>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    ],
)
def test_error_message_never_raises(body: bytes) -> None:
    message = error_message(body, "text/html")
    assert message is None or isinstance(message, str)
    assert "root:" not in (message or "")
    assert isinstance(error_message(body, "application/xml") or "", str)
    assert isinstance(error_message(body, None) or "", str)


def test_votable_error() -> None:
    assert votable_error(data("dachs-error-votable.xml")) == "Field fail: this job fails on purpose"
    assert votable_error(data("safir-error.xml")) is not None
    # Not error documents.
    assert votable_error(data("spec-example-job.xml")) is None
    assert votable_error(b"") is None
    assert votable_error(b"QUERY_STATUS VOTABLE but not xml <") is None
    ok = (
        b'<VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE>'
        b'<INFO name="QUERY_STATUS" value="OK"/></RESOURCE></VOTABLE>'
    )
    assert votable_error(ok) is None
    no_text = b'<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="error"/></RESOURCE></VOTABLE>'
    message = votable_error(no_text)
    assert message is not None
    assert "without a message" in message
    other_root = b'<x><INFO name="QUERY_STATUS" value="ERROR">VOTABLE</INFO></x>'
    assert votable_error(other_root) is None
    with_dtd = (
        b'<!DOCTYPE VOTABLE><VOTABLE><INFO name="QUERY_STATUS" value="ERROR">x</INFO></VOTABLE>'
    )
    assert votable_error(with_dtd) is None


def test_error_message_escapes_what_a_terminal_would_act_on() -> None:
    # The one sanitiser (uws_lite.text.for_terminal): escaped, never dropped, so a person
    # sees that something was there; bidi overrides cannot reorder what is read.
    body = "Failed \x1b[31mhere\u202etxt.exe\x9b\tend\r\nline two".encode()
    assert (
        error_message(body, "text/plain") == "Failed \\x1b[31mhere\\u202etxt.exe\\x9b end\nline two"
    )
    page = b"<html><body><pre>Out of memory\x1b[2J&#x2066;</pre></body></html>"
    assert error_message(page, "text/html") == "Out of memory\\x1b[2J\\u2066"


def test_votable_error_message_is_escaped() -> None:
    doc = (
        '<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="ERROR">bad \u202eid\x85</INFO>'
        "</RESOURCE></VOTABLE>"
    ).encode()
    assert votable_error(doc) == "bad \\u202eid\\x85"
