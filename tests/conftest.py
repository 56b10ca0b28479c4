"""A real GAVO DaCHS server (``dachs serve debug``) for the test session, on loopback.

The server is installed and configured by ``setup-dachs.sh`` (root, apt). This fixture only
starts it, on a free loopback port of its own (``GAVOCUSTOM`` overrides ``/etc/gavo.rc``'s
``[web]`` port and URL, so a server somebody else runs on 8089 is never touched), waits
until the echo service answers, and stops it (with its whole process group) at the end,
also when the session fails or is interrupted. Each tox environment starts its own.

Without DaCHS the tests skip with the reason, except under ``CI=true``, where a missing or
unstartable server is a failure (with the tail of the server's log).

The server's Python processes load ``tests/dachs/pythonpath/sitecustomize.py`` (PYTHONPATH),
which raises DaCHS's hard-coded 0.1 s UWS job-lock timeout (``UWS_DACHS_LOCK_TIMEOUT``, s,
default 10): on a loaded machine a job update otherwise gives up and the job hangs.

When a test that used the server fails, its report gets two sections: the jobs created on
the server during the test (phase, errorSummary, ``<job>/error`` text) and the tail of the
server's log.

Every DaCHS server on the machine shares one database (and DaCHS's user-UWS job queue), so
test sessions take turns: the fixture holds a machine-wide file lock while its server runs
(see ``_one_session_at_a_time``).

Environment: ``UWS_DACHS_URL`` uses an already running server instead (nothing is started
or stopped); ``UWS_DACHS_PORT`` fixes the port; ``UWS_DACHS_START_TIMEOUT`` (s, default 60).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Generator, Iterator, NoReturn, Optional, Tuple

import pytest
import requests

from uws_lite import Client, Phase
from uws_lite.errorbodies import error_message

_LOG_TAIL_CHARS = 3000
_DIAGNOSIS_ALICE = ("alice", "s3cret")  # setup-dachs.sh's user of the protected echo service
_DIAGNOSIS_MAX_JOBS = 20
_SESSION_LOCK = Path(tempfile.gettempdir()) / "uws-lite-dachs-tests.lock"
_LOCK_HELD = "UWS_DACHS_SESSION_LOCK_HELD"
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

    def hook_log(self) -> str:
        """What tests/dachs/pythonpath/sitecustomize.py patched, one line per process."""
        if self.log_path is None:
            return "(external server)"
        path = self.log_path.with_name("dachs-hook.log")
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return text.strip() or "(the lock-timeout hook has not run: DaCHS's 0.1 s applies)"


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


def _check_installed() -> str:
    """The `dachs` command, once DaCHS and its database are there (else skip or fail)."""
    dachs = shutil.which("dachs")
    if dachs is None:
        _unavailable(f"the `dachs` command is not on PATH; {_SETUP_HINT}")
    pg_isready = shutil.which("pg_isready")
    if pg_isready is not None:
        # Without its database DaCHS still starts but answers 500 to everything.
        check = subprocess.run([pg_isready, "-q"], check=False, timeout=30)
        if check.returncode != 0:
            _unavailable(f"PostgreSQL is not accepting connections (pg_isready); {_SETUP_HINT}")
    return dachs


@contextlib.contextmanager
def _one_session_at_a_time() -> Iterator[None]:
    """Hold the machine's DaCHS test lock (a file lock in the temporary directory).

    Every DaCHS server on a machine shares one database, and DaCHS 2.7 keeps the jobs of all
    user-UWS services in one table with one queue: a server starting its echo jobs meets a
    QUEUED echoauth job of another test session, fails on it (WebRedirect, "Error during queue
    processing, the UWS UserUWS is probably botched now") and leaves its echo jobs QUEUED. So
    sessions (parallel tox environments, several checkouts) take turns. A pytest started by a
    test inherits the lock (``UWS_DACHS_SESSION_LOCK_HELD``). ``UWS_DACHS_SESSION_WAIT``:
    seconds to wait for it (default 900).
    """
    if os.environ.get(_LOCK_HELD) == "1":
        yield
        return
    import fcntl  # POSIX only, like DaCHS

    wait = float(os.environ.get("UWS_DACHS_SESSION_WAIT") or 900)
    descriptor = os.open(_SESSION_LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    _unavailable(
                        f"another DaCHS test session has held {_SESSION_LOCK} for over "
                        f"{wait:g} s (UWS_DACHS_SESSION_WAIT)"
                    )
                time.sleep(1)
        os.environ[_LOCK_HELD] = "1"
        try:
            yield
        finally:
            os.environ.pop(_LOCK_HELD, None)
    finally:
        os.close(descriptor)  # releases the lock


def _start(dachs: str, tmp: Path) -> Tuple[subprocess.Popen[bytes], DachsServer]:
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
    # The sitecustomize there raises DaCHS's UWS lock timeout (see its docstring); DaCHS's
    # job workers inherit this environment, so they load it too.
    hook = str(Path(__file__).parent / "dachs" / "pythonpath")
    pythonpath = os.pathsep.join(p for p in (hook, os.environ.get("PYTHONPATH")) if p)
    log_path = tmp / "dachs-serve.log"
    env = dict(
        os.environ,
        GAVOCUSTOM=str(rc),
        PYTHONPATH=pythonpath,
        UWS_DACHS_HOOK_LOG=str(log_path.with_name("dachs-hook.log")),
    )
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
    dachs = _check_installed()
    with _one_session_at_a_time():
        proc, server = _start(dachs, tmp_path_factory.mktemp("dachs"))
        # Fixture teardown does not run if pytest itself dies (e.g. a second Ctrl-C); the
        # interpreter's exit hook still stops the server then.
        atexit.register(_stop, proc)
        try:
            _wait_ready(proc, server)
            yield server
        finally:
            _stop(proc)
            atexit.unregister(_stop)


# -- what a failing DaCHS test reports ------------------------------------------------------

# Where the server log stood when the test's fixtures were ready: the job ids in the log
# after that point are the test's own (DaCHS's database, and so its job lists, are shared
# with every other DaCHS server on the machine).
_LOG_OFFSET = pytest.StashKey[int]()
_JOB_PATH = re.compile(r"Processing starts: (/\S*?/async)/([A-Za-z0-9_-]+)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    yield
    server = getattr(item, "funcargs", {}).get("dachs_server")
    if isinstance(server, DachsServer) and server.log_path is not None:
        exists = server.log_path.exists()
        item.stash[_LOG_OFFSET] = server.log_path.stat().st_size if exists else 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failed test that used the DaCHS server gets report sections with the jobs it used
    (phase, errorSummary, error document), what the lock-timeout hook did, and the tail of
    the server log. This runs before the test's teardown, so the jobs are still there."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed or report.when != "call":
        return
    server = getattr(item, "funcargs", {}).get("dachs_server")
    if not isinstance(server, DachsServer) or server.log_path is None:
        return
    offset = item.stash.get(_LOG_OFFSET, 0)
    report.sections.append(("DaCHS jobs used by the test", _jobs_report(server, offset)))
    report.sections.append(("DaCHS lock-timeout hook", server.hook_log()))
    report.sections.append((f"DaCHS server log tail ({server.log_path})", server.log_tail()))


def _jobs_report(server: DachsServer, offset: int) -> str:
    """The phase and error of every job the server log names after ``offset`` (best effort:
    a failure to ask is reported, never raised, so it cannot hide the test's own failure)."""
    try:
        with Path(str(server.log_path)).open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read the server log: {exc})"
    jobs: Dict[str, str] = {}  # job id -> the job list path it was reached under
    for match in _JOB_PATH.finditer(text):
        jobs.setdefault(match.group(2), match.group(1))
    lines = [_job_report(server, path, job_id) for job_id, path in jobs.items()]
    return "\n".join(lines[:_DIAGNOSIS_MAX_JOBS]) or "(no job named in the server log)"


def _job_report(server: DachsServer, path: str, job_id: str) -> str:
    auth = _DIAGNOSIS_ALICE if "echoauth" in path else None
    try:
        with Client(server.base_url + path, auth=auth, timeout=(5, 10), retries=0) as client:
            job = client.get_job(job_id)
            line = f"{client.job_url(job_id)}: {job.phase}"
            if job.error_summary is not None:
                line += f"\n    errorSummary: {job.error_summary.message}"
            if job.phase is not Phase.COMPLETED:
                line += f"\n    /error: {client.get_error(job_id) or '(empty)'}"
            return line
    except Exception as exc:  # diagnostics only
        return f"{server.base_url}{path}/{job_id}: cannot read it: {type(exc).__name__}: {exc}"
