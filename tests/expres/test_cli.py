"""The command line: exit statuses, --json, sweeps, job management, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import pytest
import responses

from uws_call_expres.cli import main
from uws_call_expres.cli.parser import build_parser


def _json(capsys: pytest.CaptureFixture[str]) -> Dict[str, Any]:
    out = capsys.readouterr().out
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def test_help_subprocess_is_complete() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uws_call_expres", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert result.returncode == 0
    text = result.stdout
    for option in (
        "--ephem",
        "--branch",
        "--job-list",
        "--run-id",
        "--login",
        "--execution-duration",
        "--output-dir",
        "--server",
        "--timeout",
        "--no-wait",
        "--quiet",
        "--json",
        "--attach",
        "--list",
        "--abort",
        "--delete",
        "--max-parallel",
        "--grid",
        "--set",
        "--retry-failed",
        "EXPRES_TOKEN",
        "examples:",
        "exit status:",
        "130",
    ):
        assert option in text
    assert "--token" not in text  # a token is never taken on the command line


def test_help_does_not_import_the_client() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['uws-call-expres', '--help']\n"
        "try:\n"
        "    runpy.run_module('uws_call_expres', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('requests', 'lxml', 'tqdm', 'uws_lite') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout


def test_server_default_matches_the_library() -> None:
    from uws_call_expres.access import DEFAULT_SERVER

    assert build_parser().get_default("server") == DEFAULT_SERVER


def test_run_exit_0_and_json(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example.json", "--json", "-o", "out"]) == 0
    document = _json(capsys)
    assert document["ok"] is True
    assert document["exit_code"] == 0
    (run,) = document["runs"]
    assert run["config"] == "example.json"
    assert run["phase"] == "COMPLETED"
    assert run["run_id"] == "example"  # the CLI's default run id: the config's stem
    assert run["error"] is None
    assert [Path(f).name for f in run["files"]] == ["expres_run.cdf", "stdout"]
    assert all(Path(f).parent == workdir / "out" for f in run["files"])


def test_json_keeps_stdout_clean_and_messages_on_stderr(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert "Job completed" in captured.err


def test_quiet_prints_nothing(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example.json", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_failed_job_exit_1(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    opus.script = ["QUEUED", "ERROR"]
    opus.error_summary = "boom"
    assert main(["example.json", "--json", "-q"]) == 1
    (run,) = _json(capsys)["runs"]
    assert run["ok"] is False
    assert run["error_summary"] == "boom"
    assert run["exit_code"] == 1


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["missing.json"],
        ["example.json", "--attach", "abc"],
        ["example.json", "--execution-duration", "601"],
        ["example.json", "--execution-duration", "ten"],
        ["example.json", "--login", "jdoe"],
        ["example.json", "--max-parallel", "0"],
        ["example.json", "--overwrite", "maybe"],
        ["--no-such-option"],
        ["--list", "--ephem", "x.txt"],
    ],
)
def test_usage_and_local_errors_exit_2_without_request(
    workdir: Path,
    rsps: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    assert main(argv) == 2
    assert len(rsps.calls) == 0
    err = capsys.readouterr().err
    assert "error" in err
    assert "Traceback" not in err


def test_local_error_json(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["missing.json", "--json"]) == 2
    document = _json(capsys)
    assert document == {
        "ok": False,
        "exit_code": 2,
        "error": {"type": "ConfigError", "message": document["error"]["message"]},
    }
    assert "missing.json" in document["error"]["message"]


def test_timeout_exit_3(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    opus.script = ["QUEUED"] + ["EXECUTING"] * 10_000
    assert main(["example.json", "--timeout", "0.3"]) == 3
    err = capsys.readouterr().err
    assert "--attach" in err
    assert "Traceback" not in err


def test_server_error_exit_4(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    opus.create_status = 500
    assert main(["example.json"]) == 4
    err = capsys.readouterr().err
    assert err.count("uws-call-expres: error:") == 1
    assert "Traceback" not in err


def test_network_error_exit_4(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", "--server", "https://nowhere.example/rest/"]) == 4
    assert "Traceback" not in capsys.readouterr().err


def test_debug_shows_the_traceback(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.create_status = 500
    assert main(["example.json", "--debug"]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_exit_130(
    workdir: Path,
    opus: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from uws_lite import Client

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(Client, "wait", interrupted)
    assert (
        main(
            ["example.json", "--login", "jdoe", "-q"],
        )
        == 2
    )  # no token: refused first
    monkeypatch.setenv("EXPRES_TOKEN", "sekrit")
    assert main(["example.json", "--login", "jdoe", "-q"]) == 130
    (job,) = opus.jobs.values()
    assert job.phase != "ABORTED"
    err = capsys.readouterr().err
    assert f"python -m uws_call_expres --attach {job.job_id} --login jdoe" in err
    assert "sekrit" not in err


def test_no_wait_prints_job_id(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", "--no-wait"]) == 0
    (job_id,) = opus.jobs
    captured = capsys.readouterr()
    assert captured.out == f"{job_id}\n"  # scriptable: JOB=$(... --no-wait)
    assert f"Job : {job_id}" in captured.err
    assert not (workdir / "stdout").exists()


def test_sweep_two_configs_one_directory_per_job(
    workdir: Path, opus: Any, kit: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([kit.CONFIG, "example.json", "-o", "sweep", "--json", "--max-parallel", "2"])
    assert code == 0
    runs = _json(capsys)["runs"]
    assert [r["config"] for r in runs] == [kit.CONFIG, "example.json"]
    assert len({r["job_id"] for r in runs}) == 2
    for run in runs:
        folder = workdir / "sweep" / run["job_id"]
        assert sorted(p.name for p in folder.iterdir()) == ["expres_run.cdf", "stdout"]
        assert [Path(f).parent for f in run["files"]] == [folder, folder]
    assert {r["run_id"] for r in runs} == {Path(kit.CONFIG).stem, "example"}


def test_sweep_exit_code_is_the_most_serious(
    workdir: Path, opus: Any, kit: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED", "ERROR"]
    code = main([kit.CONFIG, "example.json", "-q", "--json"])
    assert code == 1
    document = _json(capsys)
    assert document["ok"] is False
    assert [r["exit_code"] for r in document["runs"]] == [1, 1]


def test_sweep_checks_every_config_before_submitting(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.json").write_text("[]")
    assert main(["example.json", "bad.json"]) == 2
    assert len(rsps.calls) == 0
    assert "bad.json" in capsys.readouterr().err


def test_attach_cli(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example.json", "--no-wait", "-q"]) == 0
    (job_id,) = opus.jobs
    assert capsys.readouterr().out == f"{job_id}\n"  # -q: the job id alone
    assert main(["--attach", job_id, "-o", "later", "--json"]) == 0
    (run,) = _json(capsys)["runs"]
    assert run["job_id"] == job_id
    assert run["config"] is None
    assert sorted(p.name for p in (workdir / "later").iterdir()) == ["expres_run.cdf", "stdout"]


def test_list_abort_delete(workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example.json", "--no-wait", "-q"]) == 0
    (job_id,) = opus.jobs
    assert capsys.readouterr().out == f"{job_id}\n"  # -q: the job id alone
    assert main(["--list", "--json"]) == 0
    (row,) = _json(capsys)["jobs"]
    assert row["job_id"] == job_id
    assert row["run_id"] == "example"
    assert main(["--list"]) == 0
    assert job_id in capsys.readouterr().out
    assert main(["--abort", job_id, "--json"]) == 0
    assert _json(capsys) == {"ok": True, "exit_code": 0, "job_id": job_id, "phase": "ABORTED"}
    assert main(["--delete", job_id]) == 0
    assert f"Job {job_id} deleted" in capsys.readouterr().out
    assert opus.jobs == {}
    assert main(["--delete", job_id]) == 4


def test_token_never_printed_in_any_path(
    workdir: Path,
    opus: Any,
    kit: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setenv("EXPRES_TOKEN", kit.TOKEN)
    login = ["--login", "jdoe"]
    main(["example.json", *login, "--debug"])
    opus.script = ["QUEUED", "ERROR"]
    main(["example.json", *login, "--json"])
    main(["example.json", *login, "--execution-duration", "99999"])
    opus.create_status = 500
    main(["example.json", *login, "--debug", "--json"])
    main(["--list", *login, "--server", "https://nowhere.example/rest/"])
    main(["--attach", "ffffff", *login])
    captured = capsys.readouterr()
    encoded = __import__("base64").b64encode(f"jdoe:{kit.TOKEN}".encode()).decode()
    for text in (captured.out, captured.err, caplog.text):
        assert kit.TOKEN not in text
        assert encoded not in text
