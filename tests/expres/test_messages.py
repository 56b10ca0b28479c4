"""Messages in the user's own words (CLI options vs Python parameters), the hints built in one
place, and the notebook views of outcomes (server text escaped)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from uws_call_expres import ExpresRun, SweepItem, SweepResults, uws_call_expres
from uws_call_expres.access import Access
from uws_call_expres.cli import main
from uws_call_expres.errors import AccessError, ConfigError, OutputError
from uws_call_expres.words import CLI, FIELDS, PYTHON
from uws_lite.models import ErrorSummary, Phase, Result

PYTHON_ONLY = ("FILE", "FILE_EPHEM", "executionDuration", "output_dir", "TOKEN=", "Job_List")


def _cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("uws-call-expres: error:")]
    for word in PYTHON_ONLY:
        assert not re.search(rf"\b{re.escape(word)}", line), f"{word!r} in {line!r}"
    return line


# --- one table, two vocabularies ---------------------------------------------------------


def test_every_field_has_both_spellings() -> None:
    for key, (python, cli) in FIELDS.items():
        assert python != cli
        assert PYTHON.name(key) == python
        assert CLI.name(key) == cli
    assert PYTHON.setting("job_list", "ExPRES-dev") == "Job_List='ExPRES-dev'"
    assert CLI.setting("job_list", "my list") == "--job-list 'my list'"
    assert CLI.setting("output_dir", "out") == "--output-dir out"


def test_reattach_hint_speaks_the_callers_language(tmp_path: Path) -> None:
    access = Access(
        "http://127.0.0.1:1/rest/", "ExPRES-dev", "develop", "jdoe", "s3cr3t", "TOKEN argument"
    )
    python = PYTHON.reattach("2a3490", access, tmp_path)
    assert python == (
        "from uws_call_expres import attach; attach('2a3490', "
        f"output_dir={str(tmp_path)!r}, LOGIN='jdoe', Job_List='ExPRES-dev', "
        "server='http://127.0.0.1:1/rest/')"
    )
    shell = CLI.reattach("2a3490", access, tmp_path)
    assert shell.startswith("python -m uws_call_expres --attach 2a3490 --job-list ExPRES-dev")
    assert f"--output-dir {tmp_path}" in shell
    for text in (python, shell, PYTHON.reattach_hint("2a3490", access, tmp_path)):
        assert "s3cr3t" not in text
    assert "TOKEN=" in PYTHON.reattach_hint("2a3490", access)
    assert "TOKEN" not in CLI.reattach_hint("2a3490", access)


# --- local errors --------------------------------------------------------------------------


def test_missing_config_cli_says_config_and_the_path(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _cli_error(capsys, "nope.json")
    assert "CONFIG 'nope.json' does not exist" in line


def test_missing_config_python_says_file(workdir: Path) -> None:
    with pytest.raises(ConfigError, match=r"^FILE \(the ExPRES config\) 'nope.json' does not"):
        uws_call_expres("nope.json")


def test_missing_ephemeris(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--ephem file 'no.txt' does not exist" in _cli_error(
        capsys, "example.json", "--ephem", "no.txt"
    )
    with pytest.raises(ConfigError, match="FILE_EPHEM"):
        uws_call_expres("example.json", "no.txt")


def test_execution_duration(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _cli_error(capsys, "example.json", "--execution-duration", "ten")
    assert "--execution-duration 'ten' is not a whole number" in line
    line = _cli_error(capsys, "example.json", "--execution-duration", "900")
    assert "--execution-duration 900 s is over the 600 s limit" in line
    assert "--login gives authenticated access" in line
    with pytest.raises(ConfigError, match=r"^executionDuration 'ten'"):
        uws_call_expres("example.json", executionDuration="ten")


def test_no_token_cli_names_the_environment_not_token_argument(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXPRES_TOKEN", raising=False)
    monkeypatch.setenv("NETRC", str(workdir / "no-netrc"))
    line = _cli_error(capsys, "example.json", "--login", "jdoe")
    assert "--login 'jdoe' was given but no token was found" in line
    assert "EXPRES_TOKEN" in line
    assert "~/.netrc" in line
    assert "TOKEN=" not in line
    assert "pass TOKEN" not in line
    with pytest.raises(AccessError, match=r"pass TOKEN=\.\.\."):
        uws_call_expres("example.json", LOGIN="jdoe")


def test_output_dir(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "afile").write_text("x")
    line = _cli_error(capsys, "example.json", "-o", "afile/sub")
    assert "-o/--output-dir 'afile/sub'" in line
    with pytest.raises(OutputError, match=r"^output_dir 'afile/sub'"):
        uws_call_expres("example.json", output_dir="afile/sub")


def test_guest_warnings_name_the_options(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", "--no-wait", "--branch", "develop"]) == 0
    err = capsys.readouterr().err
    assert "ignoring --branch develop (give --login for authenticated access)" in err
    uws_call_expres("example.json", branch="develop")
    err = capsys.readouterr().err
    assert "ignoring branch='develop' (give LOGIN for authenticated access)" in err


def test_cli_timeout_hint_is_the_shell_command(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["EXECUTING"] * 50
    assert main(["example.json", "--timeout", "0.01"]) == 3
    err = capsys.readouterr().err
    assert "To re-attach later, run:\n  python -m uws_call_expres --attach a00001" in err
    assert "attach(" not in err


# --- notebook views ----------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>"


def _run(**fields: Any) -> ExpresRun:
    values: dict[str, Any] = {
        "job_id": "2a3490",
        "job_url": "https://jdoe:s3cr3t@example.org/rest/ExPRES/2a3490",
        "job_list": "ExPRES",
        "branch": "master",
        "run_id": "io",
        "phase": Phase.ERROR,
        "ok": False,
    }
    values.update(fields)
    return ExpresRun(**values)


def test_run_html_escapes_server_text_and_links_the_job() -> None:
    run = _run(
        error_summary=ErrorSummary(HOSTILE, "fatal"),
        results=(Result(f"{HOSTILE}.cdf", "https://example.org/x"),),
    )
    html = run._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://example.org/rest/ExPRES/2a3490"' in html  # redacted
    assert "s3cr3t" not in html
    assert "jdoe" not in html
    assert re.search(r'<b style="color:#[0-9a-f]{6}">ERROR</b>', html)


def test_run_html_never_links_a_non_http_url() -> None:
    html = _run(job_url='javascript:alert("x")', phase=Phase.COMPLETED, ok=True)._repr_html_()
    assert "<a " not in html
    assert "javascript:alert(&quot;x&quot;)" not in html
    assert "COMPLETED" in html


def test_run_html_escapes_an_id_and_quotes_in_the_link() -> None:
    html = _run(job_id=HOSTILE, job_url='https://example.org/a"onclick="x')._repr_html_()
    assert "<script>" not in html
    assert 'href="https://example.org/a&quot;onclick=&quot;x"' in html


def test_sweep_html(tmp_path: Path) -> None:
    done = SweepItem(tmp_path / "a.json", _run(phase=Phase.COMPLETED, ok=True), None, "2a3490")
    failed = SweepItem(tmp_path / f"{HOSTILE}.json", None, ConfigError(HOSTILE), None)
    results = SweepResults((done, failed))
    assert results == (done, failed)
    assert not results.ok
    html = results._repr_html_()
    assert "<script>" not in html
    assert html.count("<tr>") == 3  # header + 2 items
    assert "ConfigError: &lt;script&gt;" in html
    assert "<a href=" in failed._repr_html_() or "<a href=" in done._repr_html_()
