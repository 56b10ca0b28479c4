"""The shared primitives every module uses: one sanitiser, one URL check, one exit-code table."""

from __future__ import annotations

import pytest

from uws_lite.errors import InvalidRequest, JobFailed, ServerError, WaitTimeout
from uws_lite.exitcodes import CommandLineError, ExitCode, exit_code_for, most_serious
from uws_lite.models import Job, Phase
from uws_lite.text import for_terminal, has_control
from uws_lite.urls import check_service_url, is_http_url, origin_of


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain é text", "plain é text"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("right-to-left \u202eevil", "right-to-left \\u202eevil"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("tab\there", "tab here"),
        ("two\r\n   lines\nthree", "two lines three"),
        (None, ""),
    ],
)
def test_for_terminal_escapes_what_could_fool_a_reader(text: str, shown: str) -> None:
    assert for_terminal(text) == shown


def test_for_terminal_keeps_lines_when_asked() -> None:
    assert for_terminal("one\r\ntwo\rthree\x07", one_line=False) == "one\ntwo\nthree\\x07"


@pytest.mark.parametrize("value", ["a\x00b", "tok\nen", "x\x7f", "\x85next-line", "tab\t"])
def test_has_control_finds_control_characters(value: str) -> None:
    assert has_control(value)


def test_has_control_accepts_ordinary_text() -> None:
    assert not has_control("0b7e1c4a-5d2f é ü")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host/x", True),
        ("HTTP://host:8080/x", True),
        ("http://[::1", False),
        ("http://host:port/", False),
        ("file:///etc/passwd", False),
        ("uws:executing:10", False),
        ("/relative/path", False),
        ("", False),
        (None, False),
        (12, False),
    ],
)
def test_is_http_url_never_raises(url: object, expected: bool) -> None:
    assert is_http_url(url) is expected


def test_origin_makes_the_default_port_explicit() -> None:
    assert origin_of("HTTPS://Example.ORG/a") == origin_of("https://example.org:443/b")
    assert origin_of("http://example.org/") != origin_of("https://example.org/")
    assert origin_of("http://[::1") == ""


@pytest.mark.parametrize(
    "url",
    ["", "   ", "ftp://host/x", "http:///nohost", "https://u:p@host/x", "https://h/x?a=1", 3],
)
def test_check_service_url_refuses(url: object) -> None:
    with pytest.raises(InvalidRequest):
        check_service_url(url)


def test_check_service_url_strips() -> None:
    assert check_service_url(" https://h/rest/ExPRES/ ") == "https://h/rest/ExPRES"


def test_exit_codes_by_error_type() -> None:
    job = Job(job_id="1", phase=Phase.ERROR)
    assert exit_code_for(KeyboardInterrupt()) is ExitCode.INTERRUPTED
    assert exit_code_for(InvalidRequest("x")) is ExitCode.USAGE
    assert exit_code_for(WaitTimeout("x", job, 1.0)) is ExitCode.TIMEOUT
    assert exit_code_for(JobFailed("x", job)) is ExitCode.JOB_FAILED
    assert exit_code_for(ServerError("x", url="u", status=500)) is ExitCode.SERVER
    assert exit_code_for(PermissionError("x")) is ExitCode.USAGE
    assert exit_code_for(RuntimeError("x")) is ExitCode.SERVER


def test_a_command_line_error_declares_its_exit_code() -> None:
    assert exit_code_for(CommandLineError("bad option")) is ExitCode.USAGE
    error = CommandLineError("gone", hint="run it again", exit_code=ExitCode.JOB_FAILED)
    assert exit_code_for(error) is ExitCode.JOB_FAILED
    assert error.hint == "run it again"


def test_most_serious() -> None:
    assert most_serious([]) is ExitCode.OK
    assert most_serious([0, 1, 3]) is ExitCode.TIMEOUT
    assert most_serious([1, 4, 2]) is ExitCode.USAGE
