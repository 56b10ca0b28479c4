"""End to end, over real HTTP: ``python -m uws_lite`` in a subprocess against the package's
local OPUS-compatible server (the ``opus_server`` fixture of uws_lite.testing).

The session a newcomer would have: list, create with a file upload and start, watch it
end, look at the results, download them (twice: the second run has nothing to fetch),
then delete the job.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest

from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

pytestmark = pytest.mark.e2e


@dataclass
class Done:
    code: int
    out: str
    err: str


@pytest.fixture
def uws_lite_cmd(tmp_path: Path, opus_server: Any) -> Callable[..., Done]:
    """Run ``python -m uws_lite ARGS`` with UWS_URL set to the server's ExPRES list."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str, env: Optional[Dict[str, str]] = None, cwd: Path = tmp_path) -> Done:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("UWS_", "NETRC"))}
        environ.update(HOME=str(home), UWS_URL=opus_server.list_url("ExPRES"))
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "uws_lite", *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=cwd,
            timeout=120,
            check=False,
        )
        return Done(done.returncode, done.stdout, done.stderr)

    return run


def _config(tmp_path: Path, **test: Any) -> Path:
    path = tmp_path / "example.json"
    path.write_text(json.dumps({"SIMU": {"NAME": "e2e_run"}, "_test": test}))
    return path


def test_guest_session(uws_lite_cmd: Callable[..., Done], opus_server: Any, tmp_path: Path) -> None:
    assert uws_lite_cmd("list").code == 0
    config = _config(tmp_path, duration=3.0)  # long enough to see it run

    new = uws_lite_cmd("new", "--run", f"config=@{config}", "runId=e2e", "branch=master")
    assert new.code == 0, new.err
    job_id = new.out.strip()
    assert opus_server.job(job_id).uploads["config"].filename == "example.json"
    assert opus_server.job(job_id).uploads["config"].content == config.read_bytes()

    shown = uws_lite_cmd("show", job_id, "--wait", "60")
    assert shown.code == 0, shown.err
    assert "Phase         COMPLETED" in shown.out
    assert f"job {job_id}: " in shown.err
    assert "-> COMPLETED" in shown.err
    assert any("WAIT=" in r.query for r in opus_server.requests)

    listed = uws_lite_cmd("list", "--json")
    assert job_id in [j["job_id"] for j in json.loads(listed.out)["jobs"]]

    results = uws_lite_cmd("results", job_id, "--json")
    assert results.code == 0, results.err
    ids = [r["id"] for r in json.loads(results.out)["results"]]
    assert "expres_e2e_run.cdf" in ids
    assert "stdout" in ids

    out = tmp_path / "results"
    got = uws_lite_cmd("download", job_id, "-o", str(out), "--json")
    assert got.code == 0, got.err
    files = {f["id"]: Path(f["path"]) for f in json.loads(got.out)["files"]}
    cdf = files["expres_e2e_run.cdf"]
    entry = next(r for r in opus_server.job(job_id).results if r.id == "expres_e2e_run.cdf")
    assert hashlib.sha1(cdf.read_bytes()).hexdigest() == entry.hash  # noqa: S324
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no .part left

    again = uws_lite_cmd("download", job_id, "expres_e2e_run.cdf", "-o", str(out), "--json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["files"][0]["status"] == "present"

    assert uws_lite_cmd("delete", job_id).code == 0
    gone = uws_lite_cmd("show", job_id)
    assert gone.code == 4
    assert len(gone.err.strip().splitlines()) == 1


def test_failed_run(uws_lite_cmd: Callable[..., Done], tmp_path: Path) -> None:
    config = _config(tmp_path, duration=0.1, outcome="ERROR", error="boom: no such planet")
    job_id = uws_lite_cmd("new", "--run", f"config=@{config}", "-q").out.strip()
    shown = uws_lite_cmd("show", job_id, "--wait", "60")
    assert shown.code == 1
    assert "ended in ERROR: boom: no such planet" in shown.err
    error = uws_lite_cmd("error", job_id)
    assert error.code == 0, error.err
    assert "Summary: boom: no such planet" in error.out


def test_pending_job_parameters_and_abort(
    uws_lite_cmd: Callable[..., Done], tmp_path: Path
) -> None:
    config = _config(tmp_path)
    job_id = uws_lite_cmd("new", f"config=@{config}", "branch=master", "-q").out.strip()
    # OPUS has no POST <job>/parameters (405): the CLI falls back to <job>/parameters/<name>
    changed = uws_lite_cmd("set", job_id, "branch=develop")
    assert changed.code == 0, changed.err
    assert changed.out.strip() == "branch = develop"
    assert uws_lite_cmd("duration", job_id, "300").code == 0
    assert uws_lite_cmd("destruction", job_id, "2099-01-01T00:00:00").code == 0
    doc = json.loads(uws_lite_cmd("show", job_id, "--json").out)
    assert doc["phase"] == "PENDING"
    assert {p["id"]: p["value"] for p in doc["parameters"]}["branch"] == "develop"
    assert doc["execution_duration"] == 300
    assert doc["destruction"].startswith("2099-01-01T00:00:00")
    aborted = uws_lite_cmd("abort", job_id, "--json")
    assert aborted.code == 0, aborted.err
    assert json.loads(aborted.out)["phase"] == "ABORTED"


def test_authenticated_session_never_shows_the_token(
    uws_lite_cmd: Callable[..., Done], opus_server: Any, tmp_path: Path
) -> None:
    env = {"UWS_TOKEN": TEST_TOKEN, "UWS_LOGIN": TEST_USER}
    config = _config(tmp_path, duration=0.1)
    runs = [
        uws_lite_cmd("--debug", "new", "--run", f"config=@{config}", env=env),
    ]
    job_id = runs[0].out.strip().splitlines()[-1]
    runs.append(uws_lite_cmd("--debug", "show", job_id, "--wait", "60", env=env))
    runs.append(uws_lite_cmd("download", job_id, "-o", str(tmp_path / "r"), env=env))
    runs.append(uws_lite_cmd("--debug", "show", "000000", env=env))  # an error, with --debug
    assert [r.code for r in runs] == [0, 0, 0, 4]
    assert opus_server.job(job_id).owner == TEST_USER
    for run in runs:
        assert TEST_TOKEN not in run.out + run.err
    # a guest cannot see the authenticated user's job
    assert uws_lite_cmd("show", job_id).code == 4
