"""End-to-end fixtures: ``uws_call_expres`` (the function, and ``python -m uws_call_expres``
in a subprocess) against the package's local OPUS-compatible server, over real HTTP.

Every test runs in its own directory tree (``ws.root``): the configs in ``ws.work`` (also the
current directory), results in ``ws.out``, and a private ``HOME`` (no ``~/.netrc`` of the
machine, no ``EXPRES_TOKEN`` of the environment). ``ws.check_clean(...)`` asserts the three
promises every test checks: no partial file under a final name (nor a leftover ``.part``), no
file written outside the output directory, and the token in no captured output or log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set

import pytest

from uws_lite.testing import OpusServer, RunPlan, generated_sha1
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

DATA = Path(__file__).parent / "data"
CONFIG = DATA / "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json"
EPHEMERIS = DATA / "wgc_StateVectorResults_juice.txt"
# Short simulated runs: queued 0.05 s, executing 0.3 s, a 256 KiB CDF.
E2E_PLAN = RunPlan(duration=0.3, queued=0.05, cdf_size=256 << 10)


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Workspace:
    def __init__(self, root: Path, server: OpusServer, read_console: Callable[[], Any]) -> None:
        self.root = root
        self.server = server
        self._read_console = read_console
        self.work = root / "work"
        self.out = root / "out"
        self.home = root / "home"
        for directory in (self.work, self.out, self.home):
            directory.mkdir()
        self.captured: List[str] = []  # every output and log text to scan for the token
        self._inputs: Set[Path] = set()

    # -- inputs ------------------------------------------------------------------------------

    def config(self, name: str = "example.json", *, ephem: str = "", **test: Any) -> Path:
        """The real ExPRES config with ``OBSERVER.EPHEM`` and a ``_test`` run plan."""
        document = json.loads(CONFIG.read_text())
        document["OBSERVER"]["EPHEM"] = ephem
        if test:
            document["_test"] = test
        path = self.work / name
        path.write_text(json.dumps(document, indent=1))
        self._inputs.add(path)
        return path

    def ephemeris(self, name: str = "juice_ephem.txt") -> Path:
        path = self.work / name
        path.write_bytes(EPHEMERIS.read_bytes())
        self._inputs.add(path)
        return path

    # -- runs ----------------------------------------------------------------------------------

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """``uws_call_expres(*args, ...)`` against the test server, results in ``out``."""
        from uws_call_expres import uws_call_expres

        kwargs.setdefault("server", self.server.rest_url)
        kwargs.setdefault("output_dir", self.out)
        kwargs.setdefault("progress", False)
        return uws_call_expres(*args, **kwargs)

    def console(self) -> str:
        """What the in-process calls printed since the last look (stdout + stderr)."""
        captured = self._read_console()
        self.captured += [captured.out, captured.err]
        return str(captured.out + captured.err)

    def env(self, token: Optional[str] = None) -> Dict[str, str]:
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("EXPRES_", "UWS_", "NETRC")) and "proxy" not in k.lower()
        }
        environ.update(HOME=str(self.home), NO_PROXY="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
        if token is not None:
            environ["EXPRES_TOKEN"] = token
        return environ

    def cli_args(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "uws_call_expres", "--server", self.server.rest_url, *args]

    def cli(self, *args: str, token: Optional[str] = None, timeout: float = 120) -> Done:
        """``python -m uws_call_expres --server <test server> ARGS`` in ``work``."""
        done = subprocess.run(
            self.cli_args(*args),
            capture_output=True,
            text=True,
            env=self.env(token),
            cwd=self.work,
            timeout=timeout,
            check=False,
        )
        self.captured += [done.stdout, done.stderr]
        return Done(done.returncode, done.stdout, done.stderr)

    def popen(self, *args: str, token: Optional[str] = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.cli_args(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(token),
            cwd=self.work,
        )

    def interrupt(self, process: subprocess.Popen[str], when: Any, timeout: float = 30) -> Done:
        """Send SIGINT once ``when()`` is true, then collect the output."""
        deadline = time.monotonic() + timeout
        while not when():
            assert process.poll() is None, "the command ended before it could be interrupted"
            assert time.monotonic() < deadline, "the condition for Ctrl-C never came"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=timeout)
        self.captured += [out, err]
        return Done(process.returncode, out, err)

    # -- checks --------------------------------------------------------------------------------

    def files(self) -> Set[Path]:
        return {path for path in self.root.rglob("*") if path.is_file()}

    def saved(self) -> Dict[str, Path]:
        """Files in the output directory (recursively), by path relative to it."""
        return {
            str(path.relative_to(self.out)): path for path in self.out.rglob("*") if path.is_file()
        }

    def check_clean(
        self, *extra_outputs: str, cdf_size: Optional[int] = None, verify: bool = True
    ) -> None:
        """No .part file, nothing outside ``out`` but the inputs, no token in any output;
        with ``verify``, every saved ``*.cdf`` is the complete generated file."""
        for path in self.files():
            assert not path.name.endswith(".part"), f"partial file left: {path}"
        outside = {
            path
            for path in self.files()
            if self.out not in path.parents and path not in self._inputs
        }
        assert outside == set(), f"files written outside the output directory: {outside}"
        size = cdf_size if cdf_size is not None else self.server.run_plan.cdf_size
        for name, path in self.saved().items():
            if verify and name.endswith(".cdf"):
                # a file under a final name is complete and verified
                assert path.stat().st_size == size, name
                assert _sha1(path) == generated_sha1(size), name
        for text in [*self.captured, *extra_outputs]:
            assert TEST_TOKEN not in text, "the token leaked into an output"


def _sha1(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def e2e_server(opus_server_factory: Any) -> OpusServer:
    server: OpusServer = opus_server_factory(run_plan=E2E_PLAN)
    return server


@pytest.fixture
def ws(
    tmp_path: Path,
    e2e_server: OpusServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path, e2e_server, capsys.readouterr)
    for name in list(os.environ):
        if name.startswith(("EXPRES_", "UWS_", "NETRC")) or "proxy" in name.lower():
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(workspace.home))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(workspace.work)
    caplog.set_level(logging.DEBUG)  # debug logs must not leak the token either
    yield workspace
    workspace.console()
    workspace.captured.append(caplog.text)
    for text in workspace.captured:
        assert TEST_TOKEN not in text, "the token leaked into an output or log"


@pytest.fixture
def alice() -> Dict[str, str]:
    """The authenticated user of the plugin's servers, as uws_call_expres keywords."""
    return {"LOGIN": TEST_USER, "TOKEN": TEST_TOKEN}
