"""Ctrl-C (SIGINT to ``python -m uws_call_expres``): the job id and the exact re-attach command
are printed, the remote job is left alone, and no partial file is left behind."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest

from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

pytestmark = pytest.mark.e2e


def _executing(ws: Any) -> bool:
    return any(job.phase == "EXECUTING" for job in ws.server.jobs.values())


def test_ctrl_c_while_waiting_prints_how_to_reattach(ws: Any) -> None:
    ws.config(duration=3.0)
    process = ws.popen(
        "example.json", "--login", TEST_USER, "-o", str(ws.out), "--no-progress", token=TEST_TOKEN
    )
    done = ws.interrupt(process, lambda: _executing(ws))
    assert done.code == 130, done.err
    (job_id,) = ws.server.jobs
    assert job_id in done.text
    # the remote job is untouched: neither aborted nor deleted
    assert ws.server.job(job_id).phase in ("EXECUTING", "COMPLETED")
    assert all(r.method in ("GET", "HEAD") for r in _after_start(ws))
    # the printed command re-attaches and finishes the job's download
    command = next(line for line in done.text.splitlines() if "--attach" in line)
    args = shlex.split(command[command.index("--attach") :])
    assert args[:2] == ["--attach", job_id]
    assert TEST_TOKEN not in command
    assert "attach(" not in done.text  # the shell user is shown the shell command
    attached = ws.cli(*args[2:], "--attach", job_id, "--no-progress", token=TEST_TOKEN)
    assert attached.code == 0, attached.err
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_ctrl_c_during_a_download_leaves_no_partial_file(ws: Any) -> None:
    size = 1 << 30
    ws.config(cdf_size=size, duration=0.1)
    process = ws.popen("example.json", "-o", str(ws.out), "--no-progress")
    done = ws.interrupt(process, lambda: any(ws.out.glob(".*.part")), timeout=60)
    assert done.code == 130, done.err
    # Small results (logs) may be complete before Ctrl-C; the big one must not be there,
    # neither as a .part file nor truncated under its final name (check_clean: no .part).
    assert "expres_io2015-04-30.cdf" not in [p.name for p in ws.out.iterdir()]
    (job_id,) = ws.server.jobs
    assert ws.server.job(job_id).phase == "COMPLETED"
    assert job_id in done.text
    ws.check_clean(cdf_size=size)


def test_ctrl_c_with_no_wait_json_output_is_still_json(ws: Any) -> None:
    ws.config(duration=3.0)
    process = ws.popen("example.json", "--json", "-o", str(ws.out))
    done = ws.interrupt(process, lambda: _executing(ws))
    assert done.code == 130
    if done.out.strip():
        json.loads(done.out)  # standard output holds JSON or nothing
    (job_id,) = ws.server.jobs
    assert re.search(rf"\b{job_id}\b", done.err)
    ws.check_clean()


def _after_start(ws: Any) -> Any:
    """The requests after the job was started (the client's own PHASE=RUN excluded)."""
    requests = list(ws.server.requests)
    started = next(i for i, r in enumerate(requests) if r.path.endswith("/phase"))
    return requests[started + 1 :]


_PYTHON_RUN = """
import sys
from uws_call_expres import uws_call_expres
uws_call_expres("example.json", LOOP=True, server=sys.argv[1], output_dir=sys.argv[2],
                progress=False)
"""


def test_ctrl_c_in_python_prints_the_attach_call(ws: Any) -> None:
    ws.config(duration=3.0)
    process = subprocess.Popen(
        [sys.executable, "-c", _PYTHON_RUN, ws.server.rest_url, str(ws.out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ws.env(),
        cwd=ws.work,
    )
    done = ws.interrupt(process, lambda: _executing(ws))
    assert done.code != 0
    (job_id,) = ws.server.jobs
    assert "KeyboardInterrupt" in done.err
    assert "--attach" not in done.text  # the Python caller is shown Python
    (call,) = [line.strip() for line in done.err.splitlines() if "attach(" in line]
    assert call.startswith(f"from uws_call_expres import attach; attach({job_id!r}, ")
    # the printed call takes the job over and saves its results
    attached = subprocess.run(
        [sys.executable, "-c", call],
        capture_output=True,
        text=True,
        env=ws.env(),
        cwd=ws.work,
        timeout=120,
        check=False,
    )
    ws.captured += [attached.stdout, attached.stderr]
    assert attached.returncode == 0, attached.stderr
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()
