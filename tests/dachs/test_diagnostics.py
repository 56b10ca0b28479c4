"""What a failing DaCHS test reports, and the lock-timeout hook (tests/conftest.py,
tests/dachs/pythonpath/sitecustomize.py), checked on an inner pytest session of its own.

The inner session runs a test that makes an echo job fail and then fails itself; its report
must name that job with its errorSummary and error document, say the DaCHS processes raised
their UWS lock timeout (to the value of UWS_DACHS_LOCK_TIMEOUT), and show the server log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # test modules cannot import each other (--import-mode=importlib)
    from conftest import DachsServer

pytestmark = pytest.mark.dachs

TESTS = Path(__file__).resolve().parent.parent

INNER_TEST = """
from uws_lite import Client, Phase


def test_inner(dachs_server):
    with Client(dachs_server.echo_url) as client:
        job = client.new_job({"message": "hello", "fail": "inner failure 42"}, run=True)
        assert client.wait(job.job_id, timeout=60).phase is Phase.ERROR
        print("JOB", job.job_id)
    assert False, "the inner test fails on purpose"
"""


def test_a_failing_dachs_test_reports_its_jobs_the_hook_and_the_log(
    tmp_path: Path, dachs_server: DachsServer
) -> None:
    # dachs_server: DaCHS must be installed (the outer session's server checks it); the inner
    # session starts a server of its own.
    inner = tmp_path / "inner"
    (inner / "dachs").mkdir(parents=True)
    shutil.copy(TESTS / "conftest.py", inner / "conftest.py")
    shutil.copytree(TESTS / "dachs" / "pythonpath", inner / "dachs" / "pythonpath")
    (inner / "test_inner.py").write_text(INNER_TEST, encoding="utf-8")
    # UWS_DACHS_SESSION_LOCK_HELD stays: the inner session shares this one's machine lock.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("UWS_DACHS_") or k == "UWS_DACHS_SESSION_LOCK_HELD"
    }
    env["UWS_DACHS_LOCK_TIMEOUT"] = "7"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", "-q", str(inner)],
        capture_output=True,
        text=True,
        cwd=inner,
        env=env,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr  # the inner test failed, nothing else
    job_id = next(line.split()[1] for line in out.splitlines() if line.startswith("JOB "))
    jobs = out.split("DaCHS jobs used by the test", 1)[1]
    assert f"/uwstest/q/echo/async/{job_id}: ERROR" in jobs
    assert "errorSummary: Field fail: inner failure 42" in jobs
    assert "/error: Field fail: inner failure 42" in jobs
    hook = out.split("DaCHS lock-timeout hook", 1)[1]
    assert "(debug): DaCHS UWS lock timeout raised from 0.1 s to 7 s" in hook
    # the job's worker too (started by the inner server, or by this session's: they share
    # DaCHS's job queue)
    worker = f"(-- {job_id}): DaCHS UWS lock timeout raised"
    assert worker in hook or worker in dachs_server.hook_log()
    assert "DaCHS server log tail" in out
    assert "Site starting on" in out.split("DaCHS server log tail", 1)[1]


def test_a_second_session_waits_for_the_machine_lock(
    tmp_path: Path, dachs_server: DachsServer
) -> None:
    # This session holds the lock while its server runs; a session that does not inherit it
    # waits (here at most 2 s), then skips with the reason (CI=true would make it fail).
    assert os.environ.get("UWS_DACHS_SESSION_LOCK_HELD") == "1"
    inner = tmp_path / "second"
    inner.mkdir()
    shutil.copy(TESTS / "conftest.py", inner / "conftest.py")
    (inner / "test_second.py").write_text(
        "def test_second(dachs_server):\n    raise AssertionError('must not run')\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWS_DACHS_", "CI"))}
    env["UWS_DACHS_SESSION_WAIT"] = "2"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", str(inner)],
        capture_output=True,
        text=True,
        cwd=inner,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "another DaCHS test session has held" in done.stdout
