"""A real GAVO DaCHS server (``dachs serve debug``) for the test session, on loopback.

The server is installed and configured by ``setup-dachs.sh`` (root, apt). This fixture only
starts it, on a free loopback port of its own (``GAVOCUSTOM`` overrides ``/etc/gavo.rc``'s
``[web]`` port and URL, so a server somebody else runs on 8089 is never touched), waits
until the echo service answers, and stops it (with its whole process group) at the end,
also when the session fails or is interrupted. Each tox environment starts its own.

Without DaCHS the tests skip with the reason, except under ``CI=true``, where a missing or
unstartable server is a failure (with the tail of the server's log).

Environment: ``UWS_DACHS_URL`` uses an already running server instead (nothing is started
or stopped); ``UWS_DACHS_PORT`` fixes the port; ``UWS_DACHS_START_TIMEOUT`` (s, default 60).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NoReturn, Optional, Tuple

import pytest
import requests

from uws_lite.parse import error_message

_LOG_TAIL_CHARS = 3000
_SETUP_HINT = "run `sudo bash tests/dachs/setup-dachs.sh` (see tests/dachs/README.md)"


@dataclass(frozen=True)
class DachsServer:
    """Where the session's DaCHS answers, and its log (None for an external server)."""

    base_url: str
    log_path: Optional[Path] = None

    @property
    def echo_url(self) -> str:
        """The open echo service's job list (q.rd)."""
        return f"{self.base_url}/uwstest/q/echo/async"

    @property
    def echoauth_url(self) -> str:
        """The echo service limited to group ``uwsusers`` (alice): 401 for everyone else."""
        return f"{self.base_url}/uwstest/q/echoauth/async"

    @property
    def tap_url(self) -> str:
        """Async TAP; its jobs live under ``/__system__/tap/run/async/<id>``."""
        return f"{self.base_url}/tap/async"

    def log_tail(self) -> str:
        return _tail(self.log_path)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> NoReturn:
    # Under CI a missing server must not hide behind a skip (issue 4 §3).
    if _in_ci():
        pytest.fail(f"DaCHS is required when CI=true: {reason}", pytrace=False)
    pytest.skip(f"DaCHS not available: {reason}")


def _tail(path: Optional[Path]) -> str:
    if path is None or not path.exists():
        return "(no server log)"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    # `serve debug` logs every request ("'GET' '/path' ..."): keep what explains a failure.
    text = "\n".join(line for line in lines if "] \"'" not in line)
    return text[-_LOG_TAIL_CHARS:] or "(server log empty)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    # SO_REUSEADDR: a socket in TIME_WAIT does not count, a listener does.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _probe(url: str) -> Optional[str]:
    """None when the echo job list answers as a UWS job list, else what answered instead."""
    try:
        response = requests.get(url, timeout=(2, 10))
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code == 200 and b"<uws:jobs" in response.content[:2000]:
        return None
    message = error_message(response.content, response.headers.get("Content-Type"))
    return f"HTTP {response.status_code}: {(message or '(empty body)')[:500]}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # The server runs in a session of its own (start_new_session), so its process group is
    # exactly the server and whatever it spawned (TAP workers): end all of it, politely first.
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group, if any
    if proc.poll() is None:
        proc.wait(timeout=10)


def _start(tmp: Path) -> Tuple[subprocess.Popen[bytes], DachsServer]:
    dachs = shutil.which("dachs")
    if dachs is None:
        _unavailable(f"the `dachs` command is not on PATH; {_SETUP_HINT}")
    pg_isready = shutil.which("pg_isready")
    if pg_isready is not None:
        # Without its database DaCHS still starts but answers 500 to everything.
        check = subprocess.run([pg_isready, "-q"], check=False, timeout=30)
        if check.returncode != 0:
            _unavailable(f"PostgreSQL is not accepting connections (pg_isready); {_SETUP_HINT}")
    port = int(os.environ.get("UWS_DACHS_PORT") or _free_port())
    if _port_taken(port):
        # Otherwise the readiness probe could be answered by whatever listens there.
        _unavailable(f"port {port} on 127.0.0.1 is already in use (UWS_DACHS_PORT?)")
    base_url = f"http://127.0.0.1:{port}"
    # GAVOCUSTOM is DaCHS's per-user settings file (normally ~/.gavorc), read after
    # /etc/gavo.rc: it moves this server to our port and makes its 303 Locations and result
    # hrefs (built from serverURL) point there too.
    rc = tmp / "gavorc"
    rc.write_text(
        f"[web]\nbindAddress: 127.0.0.1\nserverPort: {port}\nserverURL: {base_url}\n",
        encoding="utf-8",
    )
    env = dict(os.environ, GAVOCUSTOM=str(rc))
    log_path = tmp / "dachs-serve.log"
    # The log goes to a file, not a pipe: `serve debug` logs every request, and a pipe
    # nobody drains would block the server once full.
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [dachs, "serve", "debug"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
            start_new_session=True,
        )
    server = DachsServer(base_url, log_path)
    return proc, server


def _wait_ready(proc: subprocess.Popen[bytes], server: DachsServer) -> None:
    timeout = float(os.environ.get("UWS_DACHS_START_TIMEOUT") or 60)
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            _unavailable(
                f"`dachs serve debug` exited with status {code} before answering on "
                f"{server.base_url} ({_SETUP_HINT}). Server log tail:\n{server.log_tail()}"
            )
        problem = _probe(server.echo_url)
        if problem is None and proc.poll() is None:
            return
        last = problem or "the server process ended"
        time.sleep(0.2)
    _unavailable(
        f"`dachs serve debug` did not answer on {server.echo_url} within {timeout:g} s "
        f"(last: {last}); is PostgreSQL running? {_SETUP_HINT}. "
        f"Server log tail:\n{server.log_tail()}"
    )


@pytest.fixture(scope="session")
def dachs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DachsServer]:
    """The session's DaCHS server (started here, or ``UWS_DACHS_URL``)."""
    external = os.environ.get("UWS_DACHS_URL", "").rstrip("/")
    if external:
        server = DachsServer(external)
        problem = _probe(server.echo_url)
        if problem is not None:
            _unavailable(f"UWS_DACHS_URL={external} does not serve the echo service: {problem}")
        yield server
        return
    proc, server = _start(tmp_path_factory.mktemp("dachs"))
    # Fixture teardown does not run if pytest itself dies (e.g. a second Ctrl-C); the
    # interpreter's exit hook still stops the server then.
    atexit.register(_stop, proc)
    try:
        _wait_ready(proc, server)
        yield server
    finally:
        _stop(proc)
        atexit.unregister(_stop)
