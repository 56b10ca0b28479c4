"""The command line's --check (a linter for configs, nothing sent) and --strict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import responses

from uws_call_expres.cli import main


def _write(workdir: Path, name: str, change: Any) -> str:
    document = json.loads((workdir / "example.json").read_text())
    change(document)
    (workdir / name).write_text(json.dumps(document))
    return name


def _typo(d: Any) -> None:
    d["OBSERVER"]["TYPE"] = "Pre-defined"
    d["SPDYN"]["CDF"]["THETTA"] = True


def test_check_clean_config_exit_0_and_nothing_sent(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--check", "example.json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "1 config(s) checked: 0 error(s), 0 warning(s)\n"
    assert len(rsps.calls) == 0


def test_check_lines_and_exit_1(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(workdir, "bad.json", _typo)
    assert main(["--check", "example.json", bad]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "bad.json: OBSERVER.TYPE: error: 'Pre-defined' is not one of 'Pre-Defined', "
        "'Orbiter', 'Fixed' (did you mean 'Pre-Defined'?)",
        "bad.json: SPDYN.CDF.THETTA: warning: unknown key: ExPRES does not read it "
        "(did you mean 'THETA'?)",
    ]
    assert len(rsps.calls) == 0


def test_check_warnings_only_exit_0(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _write(workdir, "w.json", lambda d: d["SPDYN"]["CDF"].update(THETAA=True))
    assert main(["--check", name, "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("w.json: SPDYN.CDF.THETAA: warning: ")
    assert captured.err == ""


def test_check_bad_files_are_problems_not_crashes(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "broken.json").write_text("{")
    (workdir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["--check", "broken.json", "deep.json", "missing.json"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert out[0].startswith("broken.json: (root): error: broken.json is not valid JSON")
    assert out[1].startswith("deep.json: (root): error: ")
    assert out[2].startswith("missing.json: (root): error: cannot be read")


def test_check_needs_no_token_and_uses_the_ephemeris(
    workdir: Path,
    rsps: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EXPRES_TOKEN", raising=False)
    named = _write(workdir, "e.json", lambda d: d["OBSERVER"].update(EPHEM="juice.txt"))
    argv = ["--check", named, "--ephem", "wgc_StateVectorResults_juice.txt", "--login", "jdoe"]
    assert main(argv) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("e.json: OBSERVER.EPHEM: warning: names the ephemeris 'juice.txt'")
    assert len(rsps.calls) == 0


def test_check_json(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(workdir, "bad.json", _typo)
    assert main(["--check", bad, "--json"]) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["ok"] is False
    assert document["exit_code"] == 1
    (report,) = document["checks"]
    assert report["config"] == "bad.json"
    assert report["problems"][0] == {
        "path": "OBSERVER.TYPE",
        "severity": "error",
        "message": "'Pre-defined' is not one of 'Pre-Defined', 'Orbiter', 'Fixed'",
        "hint": "did you mean 'Pre-Defined'?",
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--check"],
        ["--check", "--list"],
        ["--check", "--attach", "abc", "x.json"],
        ["--check", "x.json", "--no-wait"],
        ["--list", "--strict"],
    ],
)
def test_check_usage_errors(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str], argv: Any
) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err
    assert len(rsps.calls) == 0


def test_strict_refuses_before_any_request(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(workdir, "bad.json", _typo)
    assert main([bad, "--strict"]) == 2
    err = capsys.readouterr().err
    assert "uws-call-expres: error: bad.json has 1 error(s) (strict: nothing was sent)" in err
    assert "OBSERVER.TYPE" in err
    assert len(rsps.calls) == 0


def test_strict_sweep_refuses_before_any_request(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(workdir, "bad.json", _typo)
    assert main(["example.json", bad, "--strict"]) == 2
    assert len(rsps.calls) == 0


def test_without_strict_the_config_is_sent_with_warnings(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(workdir, "bad.json", _typo)
    assert main([bad, "--no-wait"]) == 0
    assert len(opus.jobs) == 1
    err = capsys.readouterr().err
    assert "Warning: bad.json: OBSERVER.TYPE: error: 'Pre-defined'" in err
    assert "Warning: bad.json: SPDYN.CDF.THETTA: unknown key" in err


def test_help_lists_check_and_strict_and_stays_light() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['uws-call-expres', '--help']\n"
        "try:\n"
        "    runpy.run_module('uws_call_expres', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('HEAVY', [m for m in ('jsonschema', 'requests') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert "--check" in result.stdout
    assert "--strict" in result.stdout
    assert "HEAVY []" in result.stdout


def test_checking_a_config_loads_no_jsonschema(kit: SimpleNamespace) -> None:
    # Every run checks its config: the built-in validator keeps jsonschema (~40 ms) out.
    code = (
        "import sys\n"
        "from uws_call_expres import check_config\n"
        f"assert check_config({str(kit.DATA / kit.CONFIG)!r}) == []\n"
        "print('LOADED', [m for m in sys.modules if m.split('.')[0] in "
        "('jsonschema', 'referencing', 'attrs', 'attr', 'rpds')])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout
