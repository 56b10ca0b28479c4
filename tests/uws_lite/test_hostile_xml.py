"""Hostile XML: every attack is refused with ParseError, reads no file and opens no socket.

A loopback HTTP server started here records any request, so "no network" is observed, not
assumed. No timing assertions: the attacks must simply end (each is bounded by the parser's
limits or refused before parsing) and leak nothing.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, ClassVar, Iterator, List

import pytest
from lxml import etree

from uws_lite.documents import parse_job, parse_job_list, parse_parameters, parse_results
from uws_lite.errorbodies import error_message, votable_error
from uws_lite.errors import ParseError
from uws_lite.schema import validate
from uws_lite.xmlsafe import MAX_DOCUMENT_BYTES, make_parser

SECRET = "TOP-SECRET-7f3a"
PARSERS: List[Callable[..., object]] = [parse_job, parse_job_list, parse_results, parse_parameters]


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[List[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = f'<!ENTITY leak "{SECRET}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[str]:
    """A loopback server serving a DTD with a secret; yields its base URL."""
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert _Recorder.requests == [], "the parser made a network request"


@pytest.fixture
def file_trap(tmp_path: Path) -> Iterator[Path]:
    """A FIFO that records whether anything opened it for reading; yields its path.

    Opening a FIFO for reading blocks until a writer appears, and a non-blocking open for
    writing succeeds only while a reader is waiting: the watcher thread notices any read
    attempt, writes a secret and closes, so a parser that opens it never hangs.
    """
    fifo = tmp_path / "trap.dtd"
    os.mkfifo(fifo)
    done = threading.Event()
    opened: List[bool] = []

    def watch() -> None:
        while not done.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody is reading
                done.wait(0.005)
                continue
            opened.append(True)
            with os.fdopen(fd, "wb") as pipe:
                pipe.write(f'<!ENTITY leak "{SECRET}">'.encode())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield fifo
    finally:
        done.set()
        watcher.join()
    assert opened == [], "the parser opened a local file"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def secret_dtd(tmp_path: Path) -> Path:
    path = tmp_path / "secret.dtd"
    path.write_text(f'<!ENTITY leak "{SECRET}">')
    return path


def assert_refused(doc: bytes) -> None:
    for parse in PARSERS:
        with pytest.raises(ParseError, match="DOCTYPE") as info:
            parse(doc, url="https://uws.example.org/jobs/1")
        text = f"{info.value} {info.value.excerpt}"
        assert SECRET not in text
        assert "root:x:0" not in text
    with pytest.raises(ParseError):
        validate(doc)
    # The error-body readers never raise and never leak either.
    for ctype in (None, "application/xml", "text/html", "text/plain"):
        assert SECRET not in (error_message(doc, ctype) or "")
    assert SECRET not in (votable_error(doc) or "")


def doctype_job(subset: str, job_id: str = "&leak;") -> bytes:
    """A job document whose DOCTYPE has ``subset`` (internal subset or external id)."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE job {subset}>'
        f'<job xmlns="http://www.ivoa.net/xml/UWS/v1.0"><jobId>{job_id}</jobId></job>'
    ).encode()


def test_external_entity_to_a_local_file(secret_file: Path) -> None:
    assert_refused(doctype_job(f'[<!ENTITY x SYSTEM "{secret_file.as_uri()}">]', "&x;"))


def test_external_entity_to_etc_passwd() -> None:
    assert_refused(doctype_job('[<!ENTITY x SYSTEM "file:///etc/passwd">]', "&x;"))


def test_external_entity_over_http(trap: str) -> None:
    assert_refused(doctype_job(f'[<!ENTITY x SYSTEM "{trap}/x.txt">]', "&x;"))


def test_external_dtd_over_http(trap: str) -> None:
    assert_refused(doctype_job(f'SYSTEM "{trap}/uws.dtd"'))


def test_parameter_entity_to_a_local_file(secret_dtd: Path) -> None:
    assert_refused(doctype_job(f'[<!ENTITY % p SYSTEM "{secret_dtd.as_uri()}"> %p;]'))


def test_parameter_entity_over_http(trap: str) -> None:
    assert_refused(doctype_job(f'[<!ENTITY % p SYSTEM "{trap}/evil.dtd"> %p;]'))


def test_parameter_entity_to_a_local_file_is_never_opened(file_trap: Path) -> None:
    assert_refused(doctype_job(f'[<!ENTITY % p SYSTEM "{file_trap.as_uri()}"> %p;]'))


def test_make_parser_alone_neither_reads_nor_fetches(file_trap: Path, trap: str) -> None:
    # Even a caller that uses make_parser() directly (no DOCTYPE pre-check) is safe: the
    # external parameter entities are refused by the resolver, never opened or fetched.
    for system in (file_trap.as_uri(), f"{trap}/evil.dtd"):
        doc = f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{system}"> %p;]><r>&leak;</r>'.encode()
        assert SECRET not in _parse_with_make_parser(doc)


def _parse_with_make_parser(doc: bytes) -> str:
    """The parsed document, or the error when it was refused: all that could leak."""
    try:
        return etree.tostring(etree.fromstring(doc, make_parser()), encoding="unicode")
    except Exception as exc:
        return str(exc)


def test_billion_laughs() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    assert_refused(doctype_job(f"[{entities}]", "&lol9;"))


def test_quadratic_blowup() -> None:
    assert_refused(doctype_job(f'[<!ENTITY a "{"x" * 100_000}">]', "&a;" * 10_000))


def test_internal_subset_without_entities_is_refused_too() -> None:
    assert_refused(b"<!DOCTYPE job><job><jobId>1</jobId></job>")


def test_doctype_hidden_behind_a_prolog_comment_is_refused() -> None:
    # The byte scan stops at the "<x" inside the comment; the post-parse check catches it.
    doc = b'<!-- <x --><!DOCTYPE job [<!ENTITY e "1">]><job><jobId>&e;</jobId></job>'
    assert_refused(doc)


def test_utf16_doctype_is_refused() -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE job [<!ENTITY e "1">]>'
    doc += "<job><jobId>&e;</jobId></job>"
    assert_refused(doc.encode("utf-16"))


def test_undeclared_entity_is_not_well_formed() -> None:
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job(b"<job><jobId>&x;</jobId></job>")


def test_hundred_megabytes_rejected_by_size_before_parsing() -> None:
    # Well-formed: it would parse if the size were not checked first.
    doc = b"<job><jobId>1</jobId>" + b" " * (100 * 1024 * 1024) + b"</job>"
    for parse in PARSERS:
        with pytest.raises(ParseError, match="limit"):
            parse(doc, url="https://uws.example.org/jobs/1", max_bytes=MAX_DOCUMENT_BYTES)
    with pytest.raises(ParseError, match="limit"):
        validate(doc)
    # Job lists have a larger default cap (256 MiB); under it, the incremental parse still
    # refuses the document (libxml2's text-node limit, no huge_tree), without a tree.
    with pytest.raises(ParseError, match="not well-formed"):
        parse_job_list(doc)
    # Error-body readers only look at the start of a huge body.
    assert error_message(doc, "text/plain") is not None
    assert votable_error(doc) is None


def test_deeply_nested_document() -> None:
    deep = "<a>" * 100_000 + "</a>" * 100_000
    for doc in (
        f"<job><jobId>1</jobId><jobInfo>{deep}</jobInfo></job>",
        f"<jobs>{deep}</jobs>",
        deep,
    ):
        for parse in PARSERS:
            with pytest.raises(ParseError):
                parse(doc.encode())


def test_huge_text_node_is_refused() -> None:
    # libxml2's default (no huge_tree) text node limit is 10 MB.
    doc = b"<job><jobId>" + b"x" * (11 * 1024 * 1024) + b"</jobId></job>"
    with pytest.raises(ParseError):
        parse_job(doc)


def test_xinclude_is_not_processed() -> None:
    doc = (
        b'<job xmlns="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<jobId>1</jobId><jobInfo><xi:include href="file:///etc/passwd" parse="text"/></jobInfo>'
        b"</job>"
    )
    job = parse_job(doc)
    (info,) = job.job_info
    assert info.tag == "{http://www.w3.org/2001/XInclude}include"
    assert "root:" not in etree.tostring(info, encoding="unicode")
