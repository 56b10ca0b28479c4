"""The package's OPUS-compatible server as the bench uses it: jobs with a chosen run plan,
and a count of the TCP connections it accepts (to tell whether clients reuse connections)."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, Optional, Set, Tuple

from uws_lite import Client, Job, Phase
from uws_lite.testing import OpusServer, RunPlan


def config(name: str = "bench", **plan: Any) -> bytes:
    """An ExPRES-like config whose ``_test`` object sets the simulated run (see
    uws_lite/testing/plan.py: duration, queued, cdf_size, cdf_count, provenance ...)."""
    return json.dumps({"SIMU": {"NAME": name}, "_test": plan}).encode()


class ConnectionCounter:
    """Counts the connections the server accepts, by client (host, port).

    The server's request log does not record the peer address, so the accepting method
    of the running ``http.server`` instance is wrapped (bench only; the package is not
    changed). Every accepted TCP connection passes through ``get_request``.
    """

    def __init__(self, server: OpusServer) -> None:
        httpd = getattr(server, "_httpd", None)
        if httpd is None:
            raise RuntimeError("start the OpusServer before counting its connections")
        self._lock = threading.Lock()
        self._peers: Set[Tuple[str, int]] = set()
        original = httpd.get_request

        def get_request() -> Tuple[Any, Any]:
            sock, address = original()
            with self._lock:
                self._peers.add((str(address[0]), int(address[1])))
            return sock, address

        httpd.get_request = get_request

    def reset(self) -> None:
        with self._lock:
            self._peers.clear()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._peers)


def start(**options: Any) -> OpusServer:
    """A started server; runs get a short default plan unless ``run_plan`` is given."""
    options.setdefault("run_plan", RunPlan(duration=0.1, queued=0.0, cdf_size=1024))
    return OpusServer(**options).start()


def submit(client: Client, *, name: str = "bench", **plan: Any) -> Job:
    """Create and start a job whose simulated run follows ``plan``."""
    return client.new_job(
        {"runId": name},
        files={"config": (f"{name}.json", config(name, **plan))},
        run=True,
    )


class GeneratedResults:
    """A COMPLETED job on ``server`` with ``count`` generated results of ``size`` bytes each
    (``uws_lite/testing/payload.py``: made on the fly, with the SHA-1 ``hash`` OPUS gives)."""

    def __init__(self, server: OpusServer, size: int, count: int = 1) -> None:
        with Client(server.list_url()) as client:
            job = submit(
                client,
                name=f"dl_{size}_{count}",
                duration=0,
                queued=0,
                cdf_size=size,
                cdf_count=count,
                provenance=False,
            )
            job = client.wait(job.job_id, timeout=300)
            if job.phase is not Phase.COMPLETED:
                raise RuntimeError(f"download job {job.job_id} ended {job.phase.value}")
            cdfs = [r for r in job.results if r.id.endswith(".cdf")]
        self.list_url = server.list_url()
        self.job_id = job.job_id
        self.ids = [r.id for r in cdfs]
        self.hrefs = [str(r.href) for r in cdfs]
        self.sha1s = [r.sha1 for r in cdfs]
        self.size = size


def end_time(server: OpusServer, job_id: str) -> Optional[float]:
    """``time.time()`` at which the server put the job in its terminal phase, or None."""
    snapshot = server.job(job_id)
    for phase in ("COMPLETED", "ERROR", "ABORTED"):
        when = snapshot.entered(phase)
        if when is not None:
            return when
    return None


def status_requests(server: OpusServer, job_id: str, since: float, until: float) -> Dict[str, int]:
    """GETs of the job document or its phase made in [since, until] (time.time())."""
    wanted = {f"/rest/ExPRES/{job_id}", f"/rest/ExPRES/{job_id}/phase"}
    counts = {"requests": 0, "with_wait": 0}
    for rec in server.requests:
        if rec.method != "GET" or rec.path.rstrip("/") not in wanted:
            continue
        if rec.started < since or rec.started > until:
            continue
        counts["requests"] += 1
        if "WAIT=" in rec.query:
            counts["with_wait"] += 1
    return counts
