"""The shared conventions of the two CLIs, end to end: both programs in subprocesses against
the local OPUS-compatible server, with the new spellings (a job list URL as --server, --url,
--output, --wait-timeout, --request-timeout, a bare --overwrite, the other tool's token
variable)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict, List, Optional

import pytest

from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

pytestmark = pytest.mark.e2e


def _run(ws: Any, module: str, *args: str, env: Optional[Dict[str, str]] = None) -> Any:
    """``python -m MODULE ARGS`` in ``ws.work``, with no token but those in ``env``."""
    environ = {k: v for k, v in ws.env().items() if not k.startswith("UWS_")}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ws.work,
        timeout=120,
        check=False,
    )
    ws.captured += [done.stdout, done.stderr]
    return done


def _posted(ws: Any) -> List[str]:
    return [r.path for r in ws.server.requests if r.method == "POST"]


def test_job_list_url_as_server_with_uws_token(ws: Any) -> None:
    ws.config()
    dev = ws.server.list_url("ExPRES-dev")
    done = _run(
        ws,
        "uws_call_expres",
        "example.json",
        "--server",
        dev,
        "--login",
        TEST_USER,
        "--branch",
        "develop",
        "--output",
        str(ws.out),
        "--no-progress",
        env={"UWS_TOKEN": TEST_TOKEN},
    )
    assert done.returncode == 0, done.stderr
    assert _posted(ws)[0] == "/rest/ExPRES-dev"
    assert not any("/ExPRES-dev/ExPRES-dev" in r.path for r in ws.server.requests)
    (job,) = ws.server.jobs.values()
    assert (job.list_name, job.owner) == ("ExPRES-dev", TEST_USER)
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_url_and_the_other_aliases(ws: Any) -> None:
    ws.config()
    args = [
        "example.json",
        "--url",
        ws.server.list_url("ExPRES"),
        "--wait-timeout",
        "60",
        "--request-timeout",
        "30",
        "-o",
        str(ws.out),
        "--no-progress",
    ]
    first = _run(ws, "uws_call_expres", *args)
    assert first.returncode == 0, first.stderr
    again = _run(ws, "uws_call_expres", "--overwrite", *args)  # bare: replace, not rename
    assert again.returncode == 0, again.stderr
    assert sorted(ws.saved()) == ["expres_io2015-04-30.cdf", "provjson", "stderr", "stdout"]
    ws.check_clean()


def test_contradiction_exits_2_before_any_request(ws: Any) -> None:
    ws.config()
    dev = ws.server.list_url("ExPRES-dev")
    done = _run(
        ws,
        "uws_call_expres",
        "example.json",
        "--server",
        dev,
        "--job-list",
        "ExPRES",
        "--login",
        TEST_USER,
        env={"EXPRES_TOKEN": TEST_TOKEN},
    )
    assert done.returncode == 2
    assert "--job-list" in done.stderr  # the CLI names its own option
    assert ws.server.requests == ()


def test_uws_lite_with_expres_token_and_the_aliases(ws: Any) -> None:
    ws.config()
    env = {"EXPRES_TOKEN": TEST_TOKEN, "UWS_URL": ws.server.list_url("ExPRES")}
    login = ["--login", TEST_USER, "--request-timeout", "30"]
    created = _run(ws, "uws_lite", *login, "new", "--run", "config=@example.json", env=env)
    assert created.returncode == 0, created.stderr
    job_id = created.stdout.strip()
    assert ws.server.job(job_id).owner == TEST_USER
    shown = _run(ws, "uws_lite", *login, "show", job_id, "--wait-timeout", "60", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "COMPLETED" in shown.stdout
    out = str(ws.out)
    for extra in ([], ["--overwrite", "rename"]):
        got = _run(ws, "uws_lite", *login, "download", job_id, "--output-dir", out, *extra, env=env)
        assert got.returncode == 0, got.stderr
    # The second run: the CDF (verified by its SHA-1) is not fetched again; the logs, which
    # OPUS gives no size or hash for, cannot be recognised, so rename keeps both copies.
    assert sorted(ws.saved()) == [
        "expres_io2015-04-30.cdf",
        "provjson",
        "provjson-1",
        "stderr",
        "stderr-1",
        "stdout",
        "stdout-1",
    ]
    listed = _run(ws, "uws_lite", *login, "list", "--json", env=env)
    assert [j["job_id"] for j in json.loads(listed.stdout)["jobs"]] == [job_id]
    ws.check_clean()
