"""One convention across the two CLIs (issue 14, point 7), uws-lite's side.

The aliases shared with uws-call-expres (--request-timeout, show --wait-timeout, download
--output-dir and --overwrite POLICY), EXPRES_TOKEN, and an OPUS base URL or job URL given
as --url; the old spellings keep working.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any, Callable, List

import pytest

from uws_lite.cli.parser import bare_overwrite, build_parser

TOKEN = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
OTHER = "9f8e7d6c-5b4a-4321-8765-0fedcba98765"
REST = "https://uws.example.org/rest"


def _parse(*argv: str) -> Any:
    return build_parser().parse_args(bare_overwrite(list(argv)))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- parse level ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "name", "value"),
    [
        (["--request-timeout", "7", "list"], "timeout", 7.0),
        (["list", "--request-timeout", "7"], "timeout", 7.0),
        (["--timeout", "7", "list"], "timeout", 7.0),
        (["show", "J", "--wait-timeout", "60"], "wait_timeout", 60.0),
        (["show", "J", "--wait", "60"], "wait", 60.0),
        (["download", "J", "--output-dir", "d"], "output", "d"),
        (["download", "J", "--output", "d"], "output", "d"),
        (["download", "J", "-o", "d"], "output", "d"),
        (["download", "J"], "overwrite", "never"),
        (["download", "J", "--overwrite"], "overwrite", "always"),
        (["download", "--overwrite", "J", "r1"], "overwrite", "always"),
        (["download", "J", "--overwrite", "rename"], "overwrite", "rename"),
        (["download", "J", "--overwrite=never"], "overwrite", "never"),
    ],
)
def test_aliases_parse(argv: List[str], name: str, value: Any) -> None:
    assert getattr(_parse(*argv), name) == value


def test_bare_overwrite_before_the_job_keeps_the_job_and_results() -> None:
    args = _parse("download", "--overwrite", "J", "r1")
    assert (args.job, args.results) == ("J", ["r1"])


def test_help_names_the_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no line breaks inside option names
    parser = build_parser()
    text = " ".join(parser.format_help().split())
    # Python 3.13's argparse writes "--request-timeout, --timeout SECONDS", older ones repeat
    # the metavar: accept both spellings of the same option line.
    assert re.search(r"--request-timeout( SECONDS)?, --timeout SECONDS", text), text
    assert "--timeout is the old name of --request-timeout" in text
    assert "EXPRES_TOKEN" in text
    download = parser._subparsers._group_actions[0].choices["download"]  # type: ignore[union-attr]
    sub = " ".join(download.format_help().split())
    assert re.search(r"--output( DIR)?, --output-dir DIR", sub), sub
    assert "{rename,always,never}" in sub


# -- end to end (the fake OPUS on responses) ---------------------------------------------------


def test_request_timeout_is_the_read_timeout(
    cli: Callable[..., Any], job_done: Any, uws: Any
) -> None:
    for option in ("--request-timeout", "--timeout"):
        uws.rsps.calls.reset()
        assert cli(option, "7", "show", "2a3490").code == 0
        (call,) = uws.rsps.calls
        assert call.request.req_kwargs["timeout"] == (10.0, 7.0)


def test_show_wait_timeout_waits_like_wait(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w1", phase="QUEUED", script=["EXECUTING", "COMPLETED"]))
    run = cli("show", "w1", "--wait-timeout", "60")
    assert run.code == 0, run.err
    assert "EXECUTING -> COMPLETED" in run.err
    assert "Phase         COMPLETED" in run.out


def test_show_wait_timeout_deadline_exits_3(cli: Callable[..., Any], uws: Any) -> None:
    uws.add(uws.job_class("w6", phase="EXECUTING", script=["EXECUTING"] * 1000))
    run = cli("show", "w6", "--wait-timeout", "0.5", "--json")
    assert run.code == 3
    assert json.loads(run.out)["error"]["type"] == "WaitTimeout"


def test_show_wait_and_wait_timeout_disagreeing_is_refused(
    cli: Callable[..., Any], uws: Any
) -> None:
    uws.add(uws.job_class("w2", phase="EXECUTING"))
    run = cli("show", "w2", "--wait", "5", "--wait-timeout", "6")
    assert run.code == 2
    assert "disagree" in run.err
    assert uws.requests == []
    # bare --wait (no limit) with --wait-timeout: the limit
    assert _parse("show", "w2", "--wait", "--wait-timeout", "6").wait_timeout == 6.0


def test_download_output_dir_alias(cli: Callable[..., Any], job_done: Any, tmp_path: Path) -> None:
    out = tmp_path / "there"
    run = cli("download", "2a3490", "--output-dir", str(out))
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["expres_test_run_a.cdf", "stdout"]


def _taken(tmp_path: Path) -> Path:
    (tmp_path / "expres_test_run_a.cdf").write_bytes(b"someone else's file")
    return tmp_path


def test_overwrite_never_is_the_default_and_refuses(
    cli: Callable[..., Any], job_done: Any, tmp_path: Path
) -> None:
    out = _taken(tmp_path)
    for extra in ([], ["--overwrite", "never"]):
        run = cli("download", "2a3490", "-o", str(out), *extra)
        assert run.code == 2
        assert "--overwrite rename" in run.err
    assert (out / "expres_test_run_a.cdf").read_bytes() == b"someone else's file"


@pytest.mark.parametrize("policy", [["--overwrite"], ["--overwrite", "always"]])
def test_overwrite_always_replaces(
    cli: Callable[..., Any], job_done: Any, tmp_path: Path, policy: List[str]
) -> None:
    out = _taken(tmp_path)
    run = cli("download", *policy, "2a3490", "-o", str(out))
    assert run.code == 0, run.err
    assert (out / "expres_test_run_a.cdf").read_bytes() == job_done.results[0].content
    assert not (out / "expres_test_run_a-1.cdf").exists()


def test_overwrite_rename_keeps_both(
    cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path
) -> None:
    out = _taken(tmp_path)
    run = cli("download", "2a3490", "-o", str(out), "--overwrite", "rename", "--json")
    assert run.code == 0, run.err
    assert (out / "expres_test_run_a.cdf").read_bytes() == b"someone else's file"
    assert (out / "expres_test_run_a-1.cdf").read_bytes() == job_done.results[0].content
    statuses = {f["id"]: (Path(f["path"]).name, f["status"]) for f in json.loads(run.out)["files"]}
    assert statuses["expres_test_run_a.cdf"] == ("expres_test_run_a-1.cdf", "renamed")
    # Run again: the verified copies are there, nothing is fetched or renamed again.
    uws.requests.clear()
    again = cli("download", "2a3490", "-o", str(out), "--overwrite", "rename", "--json")
    assert again.code == 0, again.err
    assert not any("/store" in r.url for r in uws.requests)
    assert [f["status"] for f in json.loads(again.out)["files"]] == ["present", "present"]
    assert not (out / "expres_test_run_a-2.cdf").exists()


# -- EXPRES_TOKEN ----------------------------------------------------------------------------


def test_expres_token_is_used_for_an_expres_job_list(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", TOKEN)
    run = cli("--login", "alice", "show", "2a3490")
    assert run.code == 0, run.err
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)
    assert TOKEN not in run.out + run.err


def test_expres_token_without_login_stays_a_guest(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", TOKEN)
    assert cli("show", "2a3490").code == 0
    assert all("Authorization" not in r.headers for r in uws.requests)


def test_expres_token_is_never_sent_to_another_service(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", TOKEN)
    run = cli("--url", "https://uws.example.org/tap/async", "--login", "alice", "list")
    assert run.code == 2
    assert "no token for login 'alice'" in run.err
    assert uws.requests == []


def test_uws_token_wins_over_a_different_expres_token_with_a_warning(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    monkeypatch.setenv("EXPRES_TOKEN", OTHER)
    run = cli("--login", "alice", "show", "2a3490")
    assert run.code == 0, run.err
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)
    assert "both set" in run.err
    assert TOKEN not in run.err
    assert OTHER not in run.err
    monkeypatch.setenv("EXPRES_TOKEN", TOKEN)
    assert "both set" not in cli("--login", "alice", "show", "2a3490").err


def test_netrc_still_wins_over_expres_token(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    netrc = Path(os.environ["HOME"]) / ".netrc"
    netrc.write_text(f"machine uws.example.org login alice password {TOKEN}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("EXPRES_TOKEN", OTHER)
    assert cli("--login", "alice", "show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)
    # ... unless the entry is another login's: then EXPRES_TOKEN is alice's token.
    assert cli("--login", "bob", "show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("bob", OTHER)


# -- a base URL or a job URL where the job list URL is expected -------------------------------


@pytest.mark.parametrize(
    ("url", "says", "hint"),
    [
        (f"{REST}/", "base URL", f"--url {REST}/ExPRES"),
        (REST, "base URL", f"--url {REST}/ExPRES"),
        (f"{REST}/ExPRES/2a3490", "URL of job '2a3490'", f"--url {REST}/ExPRES "),
    ],
)
def test_base_or_job_url_as_url_is_refused_before_sending(
    cli: Callable[..., Any], uws: Any, url: str, says: str, hint: str
) -> None:
    run = cli("--url", url, "list")
    assert run.code == 2
    assert says in run.err
    assert hint in run.err
    assert uws.requests == []
