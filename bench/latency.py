"""Figures: completion detection latency and status requests per job.

Jobs of 1, 5, 30 and 60 s run on two servers at once — one honouring ``WAIT``, one
ignoring it (``faults.wait_ignored``) — each followed either by ``uws_lite.Client.wait`` or
by the documented recipe's loop (sleep 2 s, GET phase), re-implemented here as the
reference. To fit the 10-minute budget every series runs concurrently in its own thread
("lanes"); short jobs are repeated one after another within a lane, long ones run in
several lanes side by side. Lanes start staggered so jobs do not all end at one instant.

Each job waits a random 0.05–2.05 s in QUEUED first, so that its end falls at a random
point of the recipe's 2-s polling cycle (as a real job's would).

Latency = the moment the client knows the job ended (its call returns) minus the moment
the server put the job in COMPLETED (``JobSnapshot.entered``); both are ``time.time()``
in this process. Status requests are counted in the server's request log: GETs of the
job or its ``/phase`` from the start of the wait to the moment the end was known.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import requests

from uws_lite import Client
from uws_lite.testing import OpusServer

from . import server as srv
from .stats import Samples, count, ratio, seconds
from .table import Row

RECIPE_PERIOD = 2.0  # seconds: the documented loop's time.sleep(2)
# Each job is QUEUED for a random time in [0.05, 0.05 + RECIPE_PERIOD) s before it runs: the
# end then falls at a random point of the recipe's 2-s cycle, as a real job's would (with a
# fixed queue time, every 60 s job would end just before one of the recipe's polls).
QUEUED_MIN = 0.05
TERMINAL = ("COMPLETED", "ERROR", "ABORTED")

# duration -> (lanes, runs per lane): about 60 s of wall time for every series.
FULL_PLAN: Dict[int, Tuple[int, int]] = {1: (1, 7), 5: (1, 5), 30: (3, 1), 60: (3, 1)}
QUICK_PLAN: Dict[int, Tuple[int, int]] = {1: (1, 1), 3: (1, 1)}


@dataclass(frozen=True)
class Observation:
    latency: float
    requests: int
    with_wait: int


Key = Tuple[str, str, int]  # (server kind, method, duration)


def recipe_wait(session: requests.Session, job_url: str, deadline: float) -> str:
    """The documented loop (seed page, uws_call_expres with LOOP=True)::

    print(uws_client.get_phase(job.job_id))
    while True:
        time.sleep(2)
        phase = uws_client.get_phase(job.job_id)
        if phase == COMPLETED: break  (or ERROR / ABORTED)

    ``get_phase`` is uws-client's GET ``<job>/phase``. A deadline bounds it (the original
    has none).
    """
    session.get(job_url + "/phase", timeout=(10, 90)).raise_for_status()
    while time.monotonic() < deadline:
        time.sleep(RECIPE_PERIOD)
        reply = session.get(job_url + "/phase", timeout=(10, 90))
        reply.raise_for_status()
        phase = reply.text.strip()
        if phase in TERMINAL:
            return phase
    raise TimeoutError(f"{job_url} did not end before the bench's deadline")


class _Lane(threading.Thread):
    """Runs ``runs`` jobs of ``duration`` seconds one after another, each followed by
    ``method`` ("uws_lite" or "recipe"), and records an Observation per job."""

    def __init__(
        self, server: OpusServer, kind: str, method: str, duration: int, runs: int, delay: float
    ) -> None:
        super().__init__(name=f"lane-{kind}-{method}-{duration}", daemon=True)
        self.server = server
        self.key: Key = (kind, method, duration)
        self.runs = runs
        self.delay = delay
        self.observations: List[Observation] = []
        self.error: Optional[BaseException] = None
        self.rng = random.Random(f"{kind}-{method}-{duration}-{delay}")  # reproducible

    def run(self) -> None:
        time.sleep(self.delay)
        kind, method, duration = self.key
        try:
            with Client(self.server.list_url()) as client, requests.Session() as session:
                for _ in range(self.runs):
                    job = srv.submit(
                        client,
                        name=f"lat_{kind}_{method}_{duration}",
                        duration=duration,
                        queued=QUEUED_MIN + self.rng.uniform(0.0, RECIPE_PERIOD),
                        cdf_size=1024,
                        provenance=False,
                    )
                    since = time.time()
                    deadline = time.monotonic() + duration + 120
                    if method == "uws_lite":
                        client.wait(job.job_id, timeout=duration + 120)
                    else:
                        recipe_wait(session, client.job_url(job.job_id), deadline)
                    known = time.time()
                    ended = srv.end_time(self.server, job.job_id)
                    if ended is None:
                        raise RuntimeError(f"job {job.job_id} has no end on the server")
                    counts = srv.status_requests(self.server, job.job_id, since, known)
                    self.observations.append(
                        Observation(known - ended, counts["requests"], counts["with_wait"])
                    )
        except BaseException as exc:  # reported by the main thread
            self.error = exc


def measure(plan: Dict[int, Tuple[int, int]]) -> Dict[Key, List[Observation]]:
    servers = {"wait": srv.start(), "nowait": srv.start()}
    servers["nowait"].faults.wait_ignored = True
    lanes: List[_Lane] = []
    delay = 0.0
    try:
        for duration, (n_lanes, runs) in sorted(plan.items(), reverse=True):
            for kind, server in servers.items():
                for method in ("uws_lite", "recipe"):
                    for _ in range(n_lanes):
                        lanes.append(_Lane(server, kind, method, duration, runs, delay))
                        delay += 0.13  # staggered starts: no thundering herd of job ends
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
    finally:
        for server in servers.values():
            server.stop()
    errors = [lane.error for lane in lanes if lane.error is not None]
    if errors:
        raise RuntimeError(f"{len(errors)} lane(s) failed; first: {errors[0]!r}") from errors[0]
    out: Dict[Key, List[Observation]] = {}
    for lane in lanes:
        out.setdefault(lane.key, []).extend(lane.observations)
    return out


def _latency_row(kind: str, duration: int, mine: List[Observation], ref: List[Observation]) -> Row:
    m = Samples.of(o.latency for o in mine)
    r = Samples.of(o.latency for o in ref)
    if kind == "wait":
        limit = 0.05
        figure = f"completion latency, WAIT-honouring server, {duration} s job"
        goal = "≤ 0.05 s median"
    else:
        limit = max(0.5, 0.1 * duration)
        figure = f"completion latency, WAIT-ignoring server, {duration} s job"
        goal = f"≤ max(0.5 s, 10 % of {duration} s) = {limit:g} s"
    reqs = Samples.of(o.requests for o in mine)
    waits = Samples.of(o.with_wait for o in mine)
    facts = (
        f"uws_lite used {count(reqs.median)} status requests per job"
        f" ({count(waits.median)} with WAIT)"
    )
    met = m.median <= limit
    if not met:
        facts += f"; slowest {seconds(m.high)}"
    return Row(
        figure=figure,
        measured=m.fmt(seconds),
        reference=f"recipe (sleep 2 s + GET phase): {r.fmt(seconds)}",
        ratio=ratio(m.median / r.median) if r.median else "n/a",
        goal=goal,
        met=met,
        facts=facts,
    )


def _requests_row(kind: str, durations: List[int], data: Dict[Key, List[Observation]]) -> Row:
    def series(method: str) -> str:
        parts = []
        for d in durations:
            s = Samples.of(o.requests for o in data[(kind, method, d)])
            parts.append(f"{d} s: {s.fmt(count)}")
        return "; ".join(parts)

    longest = max(durations)
    mine = Samples.of(o.requests for o in data[(kind, "uws_lite", longest)])
    ref = Samples.of(o.requests for o in data[(kind, "recipe", longest)])
    value = ratio(mine.median / ref.median) + f" ({longest} s job)" if ref.median else "n/a"
    if kind == "wait":
        return Row(
            figure="status requests per job, WAIT-honouring server",
            measured=series("uws_lite"),
            reference="recipe: " + series("recipe"),
            ratio=value,
            goal=f"≤ 4 for a {longest} s job",
            met=mine.median <= 4,
            facts="GETs of the job or its /phase between the start of the wait and the"
            " detected end, counted in the server's request log",
        )
    return Row(
        figure="status requests per job, WAIT-ignoring server",
        measured=series("uws_lite"),
        reference="recipe: " + series("recipe"),
        ratio=value,
        goal="no goal (fallback polling with backoff, for the record)",
        met=None,
        info=True,
        facts="informative: polling delay ≤ 8 % of the time waited so far (uws_lite.wait)",
    )


def run(quick: bool) -> List[Row]:
    plan = QUICK_PLAN if quick else FULL_PLAN
    data = measure(plan)
    durations = sorted(plan)
    rows: List[Row] = []
    for kind in ("wait", "nowait"):
        for d in durations:
            rows.append(
                _latency_row(kind, d, data[(kind, "uws_lite", d)], data[(kind, "recipe", d)])
            )
    rows.append(_requests_row("wait", durations, data))
    rows.append(_requests_row("nowait", durations, data))
    return rows
