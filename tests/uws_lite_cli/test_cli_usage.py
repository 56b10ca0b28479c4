"""The command line's own checks: help, usage errors, argument values (no server needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from uws_lite.cli.parser import build_parser

COMMANDS = [
    "list",
    "show",
    "new",
    "set",
    "duration",
    "destruction",
    "run",
    "abort",
    "delete",
    "results",
    "download",
    "error",
]


def test_module_help_in_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "uws_lite", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: python -m uws_lite" in done.stdout
    for command in COMMANDS:
        assert command in done.stdout
    assert "UWS_TOKEN" in done.stdout
    assert "https://voparis-uws-maser.obspm.fr/rest/ExPRES" in done.stdout
    assert done.stderr == ""


def test_help_loads_neither_the_client_nor_its_libraries() -> None:
    # The parser imports only the standard library: --help starts fast.
    code = (
        "import sys\n"
        "from uws_lite.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "finally:\n"
        "    heavy = ('requests', 'lxml', 'tqdm', 'uws_lite.client', 'uws_lite.cli.commands')\n"
        "    print('HEAVY', [m for m in heavy if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert "HEAVY []" in done.stderr, done.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert "--json" in text
    assert "--quiet" in text
    assert "voparis-uws-maser.obspm.fr/rest/ExPRES" in text or "127.0.0.1:8089" in text


def test_main_help_returns_zero(cli: Callable[..., Any]) -> None:
    run = cli("--help")
    assert run.code == 0
    assert "examples:" in run.out


def test_no_command_prints_help_and_exits_2(cli: Callable[..., Any]) -> None:
    run = cli()
    assert run.code == 2
    assert "COMMAND" in run.err


def test_version(cli: Callable[..., Any]) -> None:
    run = cli("--version")
    assert run.code == 0
    assert run.out.startswith("uws-lite ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["list", "--phase", "RUNNING"], "is not a UWS phase"),
        (["list", "--last", "0"], "--last"),
        (["list", "--last", "many"], "--last"),
        (["list", "--after", "yesterday"], "is not an ISO 8601 time"),
        (["show", "2a3490", "--wait", "-5"], "is not a number of seconds"),
        (["duration", "2a3490", "ten"], "is not a whole number"),
        (["destruction", "2a3490", "next week"], "is not an ISO 8601 time"),
        (["frobnicate"], "invalid choice"),
        (["show"], "required"),
        (["download"], "required: JOB. See"),  # RESULT is optional: not listed
    ],
)
def test_usage_errors_exit_2_with_one_line(
    cli: Callable[..., Any], argv: list[str], expected: str
) -> None:
    run = cli(*argv)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
    assert "--help" in lines[0]
    assert "Traceback" not in run.err


def test_usage_error_with_json_is_a_json_document(cli: Callable[..., Any]) -> None:
    run = cli("list", "--phase", "nope", "--json")
    assert run.code == 2
    doc = json.loads(run.out)
    assert doc["error"]["exit_code"] == 2
    assert "not a UWS phase" in doc["error"]["message"]


def test_phase_is_case_insensitive() -> None:
    args = build_parser().parse_args(["list", "--phase", "executing", "--phase", "Queued"])
    assert args.phase == ["EXECUTING", "QUEUED"]


def test_common_options_work_before_and_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--json", "--url", "http://h/a", "list"])
    after = parser.parse_args(["list", "--json", "--url", "http://h/a"])
    for args in (before, after):
        assert args.json is True
        assert args.url == "http://h/a"
    # a value given before the command is not reset by the sub-command's default
    assert parser.parse_args(["--quiet", "list"]).quiet is True


def test_show_wait_without_seconds_means_no_limit() -> None:
    parser = build_parser()
    assert parser.parse_args(["show", "j1"]).wait is None
    assert parser.parse_args(["show", "j1", "--wait"]).wait == float("inf")
    assert parser.parse_args(["show", "j1", "--wait", "30"]).wait == 30.0


@pytest.mark.parametrize(
    "argv",
    [
        ["--token", "s3cr3t-t0ken", "list"],
        ["list", "--token=s3cr3t-t0ken"],
        ["--password", "s3cr3t-t0ken", "list", "--json"],
    ],
)
def test_a_token_option_is_refused_without_echoing_it(
    cli: Callable[..., Any], argv: list[str]
) -> None:
    run = cli(*argv)
    assert run.code == 2
    assert "s3cr3t-t0ken" not in run.out + run.err
    assert "UWS_TOKEN" in run.err
    assert "--token" in run.err or "--password" in run.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["new", "novalue"], "is not NAME=VALUE"),
        (["new", "=x"], "is not NAME=VALUE"),
        (["new", "a=1", "a=2"], "given twice"),
        (["new", "config=@/no/such/file.json"], "no such file"),
        (["set", "j1", "config=@/no/such/file.json"], "no such file"),
    ],
)
def test_bad_parameters_are_refused_before_any_request(
    cli: Callable[..., Any], argv: list[str], expected: str
) -> None:
    # No `uws` fixture: any HTTP request would fail with a connection error (exit 4).
    run = cli(*argv)
    assert run.code == 2
    assert expected in run.err
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.org/jobs", "is not an http(s) URL"),
        ("example.org/jobs", "is not an http(s) URL"),
    ],
)
def test_bad_urls(cli: Callable[..., Any], url: str, expected: str) -> None:
    run = cli("--url", url, "list")
    assert run.code == 2
    assert expected in run.err


def test_missing_url_says_how_to_give_one(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UWS_URL")
    run = cli("list")
    assert run.code == 2
    assert "no job list URL" in run.err
    assert "UWS_URL" in run.err


def test_credentials_in_the_url_are_refused_and_not_echoed(cli: Callable[..., Any]) -> None:
    run = cli("--url", "https://alice:hunter2@example.org/rest/ExPRES", "list")
    assert run.code == 2
    assert "hunter2" not in run.err + run.out
    assert "UWS_TOKEN" in run.err


def test_upload_of_a_directory_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    run = cli("new", f"config=@{tmp_path}")
    assert run.code == 2
    assert "no such file" in run.err
