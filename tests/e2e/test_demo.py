"""``python -m uws_call_expres --demo``: the bundled example, start to finish, on a local server
started for the purpose, as a newcomer on a fresh machine would run it (empty HOME, no proxy,
no network, no test extras importable)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlsplit

import pytest

from uws_call_expres.cli import main

pytestmark = pytest.mark.e2e

CDF = "expres_io2015-04-30.cdf"  # named after the example's SIMU.NAME
SERVER_LINE = re.compile(r"server on http://127\.0\.0\.1:(\d+)/rest/")

# `python -m uws_call_expres` in a process where the test extras cannot be imported: the
# demo must work with the core install only.
CORE_ONLY = """
import runpy, sys

class NoTestExtras:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pytest", "_pytest", "responses"):
            raise ImportError(name + " is a test extra, absent from a core install")
        return None

sys.meta_path.insert(0, NoTestExtras())
runpy.run_module("uws_call_expres", run_name="__main__", alter_sys=True)
"""


def _fresh_env(home: Path) -> Dict[str, str]:
    """A newcomer's environment: an empty HOME, no proxy, no token, no netrc."""
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CORE_ONLY, "--demo", *args],
        cwd=tmp_path,
        env=_fresh_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _refused(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_demo_runs_the_example_start_to_finish_with_the_core_install_only(
    tmp_path: Path,
) -> None:
    done = _demo(tmp_path, "-o", "out", "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [CDF, "provjson", "stderr", "stdout"]
    assert (out / CDF).stat().st_size > 0
    text = done.stdout
    # the normal progress output: the phases, the downloads, where the files are
    for phase in ("QUEUED", "EXECUTING", "COMPLETED"):
        assert phase in text
    assert f"Downloading {CDF}" in text
    assert f"its files are in {out}" in text
    assert "--example-config example.json" in text  # the next step: a real run
    match = SERVER_LINE.search(text)
    assert match is not None, text
    assert _refused(int(match.group(1)))  # the demo's server is gone with the command
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out"]  # nothing else
    assert not any((tmp_path / "home").iterdir())


def test_demo_without_o_makes_a_new_folder_and_never_clobbers(tmp_path: Path) -> None:
    first = _demo(tmp_path, "-q")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # -q: nothing but errors
    assert (tmp_path / "expres-demo" / CDF).is_file()
    (tmp_path / "expres-demo" / "notes.txt").write_text("mine", encoding="utf-8")
    second = _demo(tmp_path, "-q")
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "expres-demo-2" / CDF).is_file()
    assert sorted(p.name for p in (tmp_path / "expres-demo").iterdir()) == [
        CDF,
        "notes.txt",
        "provjson",
        "stderr",
        "stdout",
    ]


def test_demo_in_process_with_json_stops_its_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = set(threading.enumerate())
    code = main(["--demo", "-o", str(tmp_path / "out"), "--json", "-q", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)  # standard output is the JSON document only
    assert document["ok"] is True
    assert document["exit_code"] == 0
    (run,) = document["runs"]
    assert run["phase"] == "COMPLETED"
    assert run["run_id"] == "expres-demo"
    assert run["login"] is None  # a guest run
    assert run["job_list"] == "ExPRES"
    assert sorted(Path(f).name for f in run["files"]) == [CDF, "provjson", "stderr", "stdout"]
    assert all(Path(f).parent == tmp_path / "out" for f in run["files"])
    port = urlsplit(run["job_url"]).port
    assert port is not None
    assert _refused(port)
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not [t.name for t in left if t.name.startswith("opus")]


def test_demo_options_that_make_no_sense_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ["--demo", "--login", "jdoe"],
        ["--demo", "--server", "https://example.org/rest/"],
        ["--demo", "--branch", "develop"],
        ["--demo", "--ephem", "juice.csv"],
        ["--demo", "--no-wait"],
        ["--demo", "example.json"],
        ["--demo", "--list"],
    ):
        assert main([*args, "-o", str(tmp_path / "never")]) == 2, args
    err = capsys.readouterr().err
    assert "--demo runs as a guest on its own local server: drop --login" in err
    assert not (tmp_path / "never").exists()


def test_ctrl_c_during_the_demo_stops_the_server_and_says_so(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CORE_ONLY, "--demo", "-o", "out", "--no-progress"],
        cwd=tmp_path,
        env=_fresh_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: List[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the run lasts DEMO_DURATION (3 s) once EXECUTING
            lines.append(line)
            if " EXECUTING (elapsed " in line:  # the timestamped phase line
                break
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = "".join(lines) + rest
    assert process.returncode == 130, text + err
    assert "Demo interrupted: the local server is stopped" in err
    match = SERVER_LINE.search(text)
    assert match is not None, text
    assert _refused(int(match.group(1)))
    assert not list((tmp_path / "out").glob(f"*{CDF}*"))
