"""The simulated ExPRES run of a job: QUEUED, EXECUTING, then COMPLETED, ERROR or ABORTED,
with its log lines, its CDF results and its provenance.

How long a run takes and how it ends is its :class:`~uws_lite.testing.plan.RunPlan` (the
server's default, overridden by the config's ``_test`` object), read at each step. Result
files are real small ExPRES-shaped CDFs (:mod:`uws_lite.testing.expres_cdf`) or, for an
explicit ``cdf_size``, the generated stream of :mod:`uws_lite.testing.payload`.

Everything here runs with the store's lock held. The run reaches the store only through
:class:`RunHost` (schedule the next step, store a result file, signal a phase change), so this
module does not import the store.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import List, Optional, Protocol, Sequence

from . import expres_cdf, payload
from .plan import DEFAULT_CDF_SIZE, RunPlan, cdf_names, ephemeris_problem, resolve
from .state import DT_FMT, Entity, JobRecord, ResultEntry, local_now

__all__ = [
    "EXECUTE",
    "FINISH",
    "LATE",
    "TIMEOUT",
    "RunHost",
    "Simulation",
    "log_text",
    "provenance",
]

# The steps a run's events ask for (scheduler actions).
EXECUTE, FINISH, TIMEOUT, LATE = "execute", "finish", "timeout", "late results"
HASH_POLL = 0.02  # seconds between checks while a large result's SHA-1 is being computed
FIRST_PROCESS_ID = 10536  # OPUS's jobInfo/process_id, one per run


class RunHost(Protocol):
    """What a run needs from the store that holds its job."""

    @property
    def base_url(self) -> str:
        """The server's public URL, for result links."""

    def schedule(self, job: JobRecord, delay: float, action: str) -> None:
        """Call :meth:`Simulation.step` with ``action`` in ``delay`` seconds."""

    def add_entity(
        self,
        job: JobRecord,
        file_name: str,
        content_type: str,
        size: int,
        *,
        sha1: str = "",
        data: Optional[bytes] = None,
    ) -> Entity:
        """Store a file of the job, to be served at ``/store?ID=<entity_id>``."""

    def phase_changed(self, job: JobRecord) -> None:
        """Wake whoever waits for a change of any job."""


class Simulation:
    """The simulated runs of one server (``run_plan`` may change at any time)."""

    def __init__(self, host: RunHost, run_plan: RunPlan) -> None:
        self.run_plan = run_plan
        self._host = host
        self._pids = itertools.count(FIRST_PROCESS_ID)

    def plan(self, job: JobRecord) -> RunPlan:
        return resolve(self.run_plan, job.overrides)

    def start(self, job: JobRecord) -> None:
        """PENDING -> QUEUED: the run begins its log and schedules its execution."""
        plan = self.plan(job)
        job.process_id = next(self._pids)
        job.start_time = local_now()  # OPUS sets startTime when the job is queued
        job.log_lines = [
            "ExPRES run (simulated by uws_lite.testing)",
            f"job {job.job_id} on {job.list_name}, runId={job.run_id or ''}",
            f"config: {job.uploads['config'].filename}",
        ]
        if "ephemeride" in job.uploads:
            job.log_lines.append(f"ephemeris: {job.uploads['ephemeride'].filename}")
        size = plan.generated_size()
        if plan.outcome == "COMPLETED" and job.config_failure is None and size is not None:
            payload.start_hashing(size)  # a large result's SHA-1 takes a while: start now
        self._set_phase(job, "QUEUED")
        self._host.schedule(job, plan.queued, EXECUTE)

    def step(self, job: JobRecord, action: str) -> None:
        """One scheduled event; an event that no longer fits the job's phase does nothing."""
        plan = self.plan(job)
        if action == EXECUTE and job.phase == "QUEUED":
            self._execute(job, plan)
        elif action == TIMEOUT and job.phase == "EXECUTING":
            job.error = f"Job exceeded its execution duration ({job.execution_duration} s)"
            job.log_lines.append("killed: execution duration exceeded")
            self._finish(job, "ABORTED")
        elif action == FINISH and job.phase == "EXECUTING":
            self._end(job, plan)
        elif action == LATE and job.phase == "COMPLETED":
            self._add_links(job, ["provjson"])

    def abort(self, job: JobRecord, by: str) -> None:
        """The owner aborted the job: its scheduled events are void."""
        job.generation += 1
        job.error = f"Job aborted by user {by}"
        self._finish(job, "ABORTED")

    # -- the steps ------------------------------------------------------------------------

    def _execute(self, job: JobRecord, plan: RunPlan) -> None:
        job.executed = True
        job.log_lines.append(f"started at {local_now().strftime(DT_FMT)}")
        self._set_phase(job, "EXECUTING")
        limit = int(job.execution_duration or 0)
        if 0 < limit < plan.duration:
            self._host.schedule(job, limit, TIMEOUT)
        else:
            self._host.schedule(job, plan.duration, FINISH)

    def _end(self, job: JobRecord, plan: RunPlan) -> None:
        failure = job.config_failure or ephemeris_problem(
            job.uploads["config"].content,
            job.uploads["ephemeride"].filename if "ephemeride" in job.uploads else None,
        )
        if failure is None and plan.outcome == "ERROR":
            failure = plan.error
        if failure is not None:
            job.error = failure
            job.log_lines.append("ExPRES stopped with an error")
            self._finish(job, "ERROR")
        elif not payload.is_hashed(plan.generated_size() or 0):
            self._host.schedule(job, HASH_POLL, FINISH)  # a large result is still being hashed
        else:
            self._add_files(job, plan)
            job.log_lines.append("ExPRES finished")
            late = plan.provenance and plan.late_results > 0
            self._finish(job, "COMPLETED", provenance=plan.provenance and not late)
            if late:  # RunPlan.late_results: listed after the phase, as on OPUS
                self._host.schedule(job, plan.late_results, LATE)

    def _add_files(self, job: JobRecord, plan: RunPlan) -> None:
        config = job.uploads["config"].content
        size = plan.generated_size()
        data = expres_cdf.result_bytes(config) if size is None else None
        if data is None:
            size = DEFAULT_CDF_SIZE if size is None else size
            digest = payload.sha1_hex(size)
        else:
            size, digest = len(data), expres_cdf.sha1_hex(data)
        for file_name in cdf_names(plan, config, job.run_id):
            entity = self._host.add_entity(
                job, file_name, "application/x-cdf", size, sha1=digest, data=data
            )
            # A wildcard result (*.cdf in the job definition): its id is the file name.
            job.results[file_name] = ResultEntry(
                id=file_name,
                url=f"{self._host.base_url}/store?ID={entity.entity_id}",
                mime_type=entity.content_type,
                name=f"{entity.entity_id}_{file_name}",
                hash=digest,
                entity_id=entity.entity_id,
            )

    def _finish(self, job: JobRecord, phase: str, *, provenance: bool = False) -> None:
        job.end_time = local_now()
        if job.executed:
            self._add_links(job, ["stdout", "stderr"] + (["provjson"] if provenance else []))
        self._set_phase(job, phase)

    def _add_links(self, job: JobRecord, ids: Sequence[str]) -> None:
        # OPUS links the logs (and provenance) under the job URL; note its double slash.
        for rid in ids:
            mime = "application/json" if rid == "provjson" else "text/plain"
            url = f"{self._host.base_url}//rest/{job.list_name}/{job.job_id}/{rid}"
            job.results[rid] = ResultEntry(id=rid, url=url, mime_type=mime)

    def _set_phase(self, job: JobRecord, phase: str) -> None:
        job.phase = phase
        job.phase_history.append((phase, time.time()))
        job.cond.notify_all()
        self._host.phase_changed(job)


def log_text(job: JobRecord, which: str) -> str:
    """The ``stdout`` or ``stderr`` of a job that has run."""
    if which == "stdout":
        return "".join(line + "\n" for line in job.log_lines)
    if job.phase == "ERROR" and job.error:
        return f"ERROR: {job.error}\n"
    return ""


def provenance(job: JobRecord) -> str:
    """The ``provjson`` document: the run, the files it used and those it generated."""
    used = {name: up.filename for name, up in job.uploads.items()}
    generated: List[str] = sorted(r.id for r in job.results.values() if r.entity_id)
    return (
        '{"prefix": {"opus": "https://uws-server.readthedocs.io/"}, '
        f'"activity": {{"opus:{job.job_id}": {{"prov:label": "ExPRES"}}}}, '
        f'"used": {json.dumps(used)}, "generated": {json.dumps(generated)}}}'
    )
