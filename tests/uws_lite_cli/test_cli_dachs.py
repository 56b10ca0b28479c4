"""``python -m uws_lite`` (the uws-lite command line) against a real GAVO DaCHS 2.7 server.

A newcomer's session on the echo service and on async TAP: list, create (with a DALI file
upload), watch, results, download, error, delete; and the login/token path on the
protected service. Subprocesses, as a user would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Optional

import pytest

if TYPE_CHECKING:  # test modules cannot import each other (--import-mode=importlib)
    from conftest import DachsServer  # tests/dachs/conftest.py, re-exported by ours

pytestmark = pytest.mark.dachs

ALICE = ("alice", "s3cret")  # created by setup-dachs.sh, group uwsusers


@dataclass
class Done:
    code: int
    out: str
    err: str


@pytest.fixture
def uws_lite_cmd(tmp_path: Path) -> Callable[..., Done]:
    home = tmp_path / "home"
    home.mkdir()

    def run(url: str, *args: str, env: Optional[Dict[str, str]] = None) -> Done:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("UWS_", "NETRC"))}
        environ.update(HOME=str(home), UWS_URL=url, **(env or {}))
        done = subprocess.run(
            [sys.executable, "-m", "uws_lite", *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        return Done(done.returncode, done.stdout, done.stderr)

    return run


def test_echo_session_with_a_dali_upload(
    uws_lite_cmd: Callable[..., Done], dachs_server: DachsServer, tmp_path: Path
) -> None:
    url = dachs_server.echo_url
    source = tmp_path / "input.bin"
    source.write_bytes(b"line 1\n\x00\xff binary\r\n" * 50)
    new = uws_lite_cmd(
        url, "new", "--run", "message=hello", "UPLOAD=infile,param:upl", f"upl=@{source}"
    )
    assert new.code == 0, new.err
    job_id = new.out.strip()
    shown = uws_lite_cmd(url, "show", job_id, "--wait", "60")
    assert shown.code == 0, shown.err
    assert "-> COMPLETED" in shown.err
    assert "?WAIT" not in shown.out  # the summary shows the job's URL, not the poll's
    listed = json.loads(uws_lite_cmd(url, "list", "--last", "5", "--json").out)
    assert job_id in [j["job_id"] for j in listed["jobs"]]
    ids = uws_lite_cmd(url, "results", job_id, "-q").out.split()
    assert {"echo.txt", "copy"} <= set(ids)
    got = uws_lite_cmd(url, "download", job_id, "-o", "out", "--json")
    assert got.code == 0, got.err
    files = {f["id"]: Path(f["path"]) for f in json.loads(got.out)["files"]}
    assert (tmp_path / files["copy"]).read_bytes() == source.read_bytes()
    assert (tmp_path / files["echo.txt"]).read_bytes() == b"echo: hello\n"
    assert uws_lite_cmd(url, "delete", job_id).code == 0
    assert uws_lite_cmd(url, "show", job_id).code == 4


def test_echo_failure_set_and_abort(
    uws_lite_cmd: Callable[..., Done], dachs_server: DachsServer
) -> None:
    url = dachs_server.echo_url
    job_id = uws_lite_cmd(url, "new", "message=x", "fail=it broke", "-q").out.strip()
    changed = uws_lite_cmd(url, "set", job_id, "message=changed")  # POST <job>/parameters
    assert (changed.code, changed.out.strip()) == (0, "message = changed")
    assert uws_lite_cmd(url, "run", job_id).code == 0
    shown = uws_lite_cmd(url, "show", job_id, "--wait", "60")
    assert shown.code == 1
    assert "it broke" in shown.err
    late = uws_lite_cmd(url, "set", job_id, "message=too late")  # HTTP 200 + VOTable error
    assert late.code == 4
    assert "cannot be changed" in late.err
    assert len(late.err.strip().splitlines()) == 1
    error = uws_lite_cmd(url, "error", job_id)
    assert error.code == 0
    assert "it broke" in error.out
    pending = uws_lite_cmd(url, "new", "message=y", "-q").out.strip()
    aborted = uws_lite_cmd(url, "abort", pending, "--json")
    assert json.loads(aborted.out)["phase"] == "ABORTED"


def test_tap_session(
    uws_lite_cmd: Callable[..., Done], dachs_server: DachsServer, tmp_path: Path
) -> None:
    url = dachs_server.tap_url
    query = "QUERY=SELECT TOP 2 table_name FROM tap_schema.tables"
    new = uws_lite_cmd(url, "new", "--run", "REQUEST=doQuery", "LANG=ADQL", query, "-q")
    assert new.code == 0, new.err
    job_id = new.out.strip()
    shown = uws_lite_cmd(url, "show", job_id, "--wait", "60", "-q")
    assert (shown.code, shown.out.strip()) == (0, "COMPLETED")
    got = uws_lite_cmd(url, "download", job_id, "result", "-o", "tap")
    assert got.code == 0, got.err
    assert b"QUERY_STATUS" in (tmp_path / "tap" / "result").read_bytes()
    # DaCHS accepts any query text at creation: the job itself ends in ERROR
    bad = uws_lite_cmd(url, "new", "--run", "REQUEST=doQuery", "LANG=ADQL", "QUERY=SELEC x", "-q")
    assert bad.code == 0, bad.err
    failed = uws_lite_cmd(url, "show", bad.out.strip(), "--wait", "60")
    assert failed.code == 1
    assert "ended in ERROR" in failed.err


def test_protected_service_login_and_token(
    uws_lite_cmd: Callable[..., Done], dachs_server: DachsServer
) -> None:
    url = dachs_server.echoauth_url
    guest = uws_lite_cmd(url, "list")
    assert guest.code == 4
    assert "UWS_TOKEN" in guest.err
    env = {"UWS_TOKEN": ALICE[1]}
    new = uws_lite_cmd(url, "--login", "alice", "new", "--run", "message=secret", env=env)
    assert new.code == 0, new.err
    shown = uws_lite_cmd(url, "--login", "alice", "show", new.out.strip(), "--wait", "60", env=env)
    assert shown.code == 0, shown.err
    for run in (new, shown, guest):
        assert ALICE[1] not in run.out + run.err
