"""``OpusServer``: a local, loopback-only UWS server that behaves like OPUS serving ExPRES.

    from uws_lite.testing import OpusServer, RunPlan

    with OpusServer(users={"alice": ("alice-token", {"ExPRES", "ExPRES-dev"})},
                    run_plan=RunPlan(duration=0.2)) as server:
        server.list_url("ExPRES")        # http://127.0.0.1:<port>/rest/ExPRES
        server.faults.status_503 = 1     # switch a fault on
        ...
        server.jobs[job_id].phase        # server-side state, for assertions
        server.requests                  # every request answered, headers included

What it serves, and how each OPUS quirk is reproduced, is described in the modules, in the
order a request meets them: handler.py (HTTP on the socket, transport faults), exchange.py and
forms.py (the request and response values, POSTed forms), identity.py (users and roles),
routes.py (one method per resource), posted.py (what a client POSTs, read as OPUS reads it),
store.py (job records, lookups, creation, the owner's actions), scheduler.py (the timer thread
moving jobs along), simulation.py (the simulated ExPRES run: phases, logs, results,
provenance), plan.py (a run's duration and outcome), state.py (the records and their frozen
snapshots), documents.py (XML and error pages), files.py (downloads), faults.py (fault
injection), requestlog.py (every request answered), payload.py (generated files) and
expres_cdf.py (the real small ExPRES-shaped CDF of a run without an explicit result size).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .faults import Faults
from .handler import HandlerContext, OpusHTTPServer
from .identity import GUEST, Identity, Users, identify
from .plan import RunPlan
from .requestlog import RecordedRequest, RequestLog
from .routes import OpusRoutes
from .state import JobSnapshot
from .store import JobStore

__all__ = ["DEFAULT_LISTS", "OpusServer"]

DEFAULT_LISTS = ("ExPRES", "ExPRES-dev")


def _loopback(host: str) -> Tuple[str, int]:
    """The IP literal to bind for ``host`` and its address family; refuses anything that is
    not loopback (this server has no authentication worth the name)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve host {host!r}: {exc}") from exc
    for _, _, _, _, address in infos:
        ip = str(address[0])
        if not ipaddress.ip_address(ip.split("%")[0]).is_loopback:
            raise ValueError(
                f"refusing to serve on {host!r} ({ip}): the test server binds loopback only"
            )
    family, _, _, _, address = infos[0]
    return str(address[0]), int(family)


class OpusServer:
    """A threaded OPUS look-alike on loopback. Start it with :meth:`start` or ``with``.

    ``users``: name -> (token, job lists the user may use). Guests (no credentials) may use
    ``guest_lists``; any other credentials (unknown user, wrong token) get ``new_user_roles``
    (none by default: 403 on job lists and jobs, 500 on creation, as on OPUS).
    ``base_url``: the server's public URL used in ``Location`` headers and result links
    (default ``http://<host>:<port>``; ``{port}`` in it is replaced by the bound port).
    ``max_wait``: the longest a ``WAIT`` blocks (``WAIT=-1`` means this).
    ``debug``: False makes unexpected 500s say only "Internal Server Error" (production OPUS).
    ``log``: called with one line per request (no headers), e.g. ``print``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        base_url: Optional[str] = None,
        users: Optional[Users] = None,
        run_plan: Optional[RunPlan] = None,
        list_names: Sequence[str] = DEFAULT_LISTS,
        guest_lists: Iterable[str] = ("ExPRES",),
        new_user_roles: Iterable[str] = (),
        max_wait: float = 600.0,
        default_execution_duration: int = 60,
        max_active_jobs: Optional[int] = None,
        debug: bool = True,
        faults: Optional[Faults] = None,
        log: Optional[Callable[[str], None]] = None,
    ) -> None:
        self._bind_host, self._family = _loopback(host)
        self.host = host
        self._port = port
        self._base_url_template = base_url
        self._base_url: Optional[str] = None
        self.list_names: Tuple[str, ...] = tuple(list_names)
        known = frozenset(self.list_names)
        self._users: Dict[str, Tuple[str, FrozenSet[str]]] = {
            name: (token, frozenset(roles) & known)
            for name, (token, roles) in (users or {}).items()
        }
        self._guest_lists = frozenset(guest_lists) & known
        self._new_user_roles = frozenset(new_user_roles) & known
        self.faults = faults if faults is not None else Faults()
        self._log = RequestLog()
        self._store = JobStore(
            run_plan=run_plan if run_plan is not None else RunPlan(),
            default_execution_duration=default_execution_duration,
            max_active_jobs=max_active_jobs,
        )
        self._stopping = threading.Event()
        self._context = HandlerContext(
            routes=OpusRoutes(
                self._store,
                lambda: self.faults,
                base_url=lambda: self.base_url,
                list_names=self.list_names,
                max_wait=max_wait,
            ),
            requests=self._log,
            faults=lambda: self.faults,
            identify=self.identify,
            stopping=self._stopping,
            debug=debug,
            log=log,
        )
        self._httpd: Optional[OpusHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> OpusServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = OpusHTTPServer((self._bind_host, self._port), self._family, self._context)
        port = int(httpd.server_address[1])
        if self._base_url_template is not None:
            base = self._base_url_template.replace("{port}", str(port))
        else:
            shown = f"[{self.host}]" if ":" in self.host else self.host
            base = f"http://{shown}:{port}"
        self._base_url = base.rstrip("/")
        self._port = port
        self._store.base_url = self._base_url
        self._store.start()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="opus-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: blocked WAITs return, open connections are closed."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        self._store.stop()
        # shutdown() waits for the accept loop's next poll; a connection wakes it at once.
        stopper = threading.Thread(target=httpd.shutdown, name="opus-stop")
        stopper.start()
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((self._bind_host, self._port), timeout=1).close()
            stopper.join(0.05)
        with self._context.connections_lock:
            connections = list(self._context.connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OpusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- URLs -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (or the configured ``base_url``); needs a started server."""
        if self._base_url is None:
            raise RuntimeError("the OpusServer is not started: call start() or use `with`")
        return self._base_url

    @property
    def rest_url(self) -> str:
        """``<base>/rest/``: what ``uws_call_expres`` takes as its server URL."""
        return f"{self.base_url}/rest/"

    def list_url(self, name: str = "ExPRES") -> str:
        return f"{self.base_url}/rest/{name}"

    def job_url(self, job_id: str, name: Optional[str] = None) -> str:
        if name is None:
            found = self._store.snapshot(job_id)
            name = found.list_name if found is not None else "ExPRES"
        return f"{self.base_url}/rest/{name}/{job_id}"

    # -- configuration at run time ----------------------------------------------------------

    @property
    def run_plan(self) -> RunPlan:
        """The default run plan, read when a job starts (a config's ``_test`` overrides it)."""
        return self._store.run_plan

    @run_plan.setter
    def run_plan(self, plan: RunPlan) -> None:
        self._store.run_plan = plan

    def identify(self, authorization: Optional[str]) -> Identity:
        """The OPUS identity an ``Authorization`` header value stands for."""
        return identify(authorization, self._users, self._guest_lists, self._new_user_roles)

    # -- what tests look at -----------------------------------------------------------------

    @property
    def requests(self) -> Tuple[RecordedRequest, ...]:
        """Every request answered so far, oldest first (a snapshot)."""
        return self._log.snapshot()

    def clear_requests(self) -> None:
        self._log.clear()

    @property
    def jobs(self) -> Mapping[str, JobSnapshot]:
        """Every job on the server by id, as frozen snapshots (taken now)."""
        return self._store.snapshots()

    def job(self, job_id: str) -> JobSnapshot:
        found = self._store.snapshot(job_id)
        if found is None:
            raise KeyError(f"no job {job_id!r} on the test server")
        return found

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is QUEUED or EXECUTING; False if ``timeout`` passed first."""
        return self._store.wait_until_idle(timeout)

    def seed_jobs(
        self,
        count: int,
        list_name: str = "ExPRES",
        *,
        user: Optional[str] = None,
        phase: str = "COMPLETED",
    ) -> List[str]:
        """Add ``count`` jobs directly (no run, no results), owned by ``user`` (a configured
        user name; None: the guest). Returns their ids."""
        owner = GUEST
        if user is not None:
            token, roles = self._users[user]
            owner = Identity(user, token, roles)
        return self._store.seed(owner, list_name, count, phase)

    def __repr__(self) -> str:
        where = self._base_url or f"{self.host} (not started)"
        return f"<OpusServer {where}>"
