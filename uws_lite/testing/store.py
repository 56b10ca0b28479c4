"""The job store: job records and stored files (entities), their lock, lookups, the job list,
creation, the owner's actions and seeding.

Every state change happens under one lock and notifies the job's Condition at once, so a
blocked ``WAIT`` wakes as soon as the phase changes. The store owns the scheduler (one timer
thread for all jobs, :mod:`.scheduler`) and the simulated runs (:mod:`.simulation`); it is their
:class:`~uws_lite.testing.simulation.RunHost`.

Semantics follow OPUS (uws_classes.Job, storage.get_list): a creation saves the job before
reading its file inputs (a failed upload leaves an orphan PENDING job), jobs are looked up by id
whatever the job list in the URL, ownership is the (name, token) pair, start time is set when
the job is queued, and the job list is sorted oldest first with ``LAST`` keeping the oldest.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from . import simulation
from .failures import ClientMistake, Failure, NotFound, TooManyJobs
from .forms import Form
from .identity import Identity
from .plan import PlanError, RunPlan, read_overrides
from .posted import NewJob, read_creation, read_destruction, read_execution_duration
from .scheduler import Scheduler
from .state import (
    ACTIVE_PHASES,
    UNFINISHED_PHASES,
    Entity,
    JobRecord,
    JobSnapshot,
    Param,
    UploadedFile,
    local_now,
)

__all__ = ["JobStore"]
QUOTE = 120  # OPUS EXECUTION_DURATION_DEF: the quote of every job
DESTRUCTION_DAYS = 30  # OPUS DESTRUCTION_INTERVAL


class JobStore:
    def __init__(
        self,
        *,
        run_plan: RunPlan,
        default_execution_duration: int = 60,
        max_active_jobs: Optional[int] = None,
    ) -> None:
        self.default_execution_duration = default_execution_duration
        self.max_active_jobs = max_active_jobs
        self.base_url = ""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._jobs: Dict[str, JobRecord] = {}
        self._entities: Dict[str, Entity] = {}
        self._seq = itertools.count()
        self._stopping = False
        self._scheduler = Scheduler(self._lock, self._fire)
        self._runs = simulation.Simulation(self, run_plan)

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._scheduler.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._changed.notify_all()
            for job in self._jobs.values():
                job.cond.notify_all()
        self._scheduler.stop()

    @property
    def run_plan(self) -> RunPlan:
        """The default run plan, read when a job starts and at each step of its run."""
        return self._runs.run_plan

    @run_plan.setter
    def run_plan(self, plan: RunPlan) -> None:
        self._runs.run_plan = plan

    # -- what the simulated runs need (simulation.RunHost; called with the lock held) ------

    def schedule(self, job: JobRecord, delay: float, action: str) -> None:
        self._scheduler.schedule(job.job_id, job.generation, delay, action)

    def _fire(self, job_id: str, generation: int, action: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.generation == generation:
            self._runs.step(job, action)

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
        entity = Entity(
            entity_id=self._new_id(),
            owner=job.owner,
            job_id=job.job_id,
            file_name=file_name,
            content_type=content_type,
            size=size,
            sha1=sha1,
            data=data,
        )
        self._entities[entity.entity_id] = entity
        return entity

    def phase_changed(self, job: JobRecord) -> None:
        self._changed.notify_all()

    # -- ids and lookups -------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(3)
            if candidate not in self._jobs and candidate not in self._entities:
                return candidate

    def _job(self, identity: Identity, list_name: str, job_id: str) -> JobRecord:
        identity.check_list(list_name)
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f'Job "{job_id}" NOT FOUND')
        identity.check_owner(job.owner, job.owner_token)
        return job

    # -- reading --------------------------------------------------------------------

    def get(self, identity: Identity, list_name: str, job_id: str) -> JobSnapshot:
        with self._lock:
            return self._job(identity, list_name, job_id).snapshot()

    def count_get(self, job_id: str) -> int:
        """Count one more GET of the job document; the new count (0 for an unknown job)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return 0
            job.gets += 1
            return job.gets

    def wait_for_change(self, job_id: str, phase: str, timeout: float) -> None:
        """Block until the job leaves ``phase``, ``timeout`` seconds pass, or the server stops.

        Deleting the job does not wake the waiter: OPUS only signals phase changes.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            while job.phase == phase and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                job.cond.wait(remaining)

    def job_list(
        self,
        identity: Identity,
        list_name: str,
        phases: Optional[Sequence[str]],
        after: Optional[datetime],
        last: Optional[int],
    ) -> List[JobSnapshot]:
        identity.check_list(list_name)
        with self._lock:
            jobs = [
                job
                for job in self._jobs.values()
                if job.list_name == list_name
                and identity.same_account(job.owner, job.owner_token)
                and (job.phase in phases if phases else job.phase != "ARCHIVED")
                and (after is None or job.creation_time >= after)
            ]
            jobs.sort(key=lambda job: (job.creation_time, job.seq))
            if last is not None and last >= 0:
                jobs = jobs[:last]  # OPUS: ORDER BY creation_time ASC LIMIT n, the oldest n
            return [job.snapshot() for job in jobs]

    def snapshots(self) -> Dict[str, JobSnapshot]:
        with self._lock:
            return {job_id: job.snapshot() for job_id, job in self._jobs.items()}

    def snapshot(self, job_id: str) -> Optional[JobSnapshot]:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.snapshot()

    def entity(self, identity: Identity, entity_id: str) -> Entity:
        with self._lock:
            found = self._entities.get(entity_id)
        if found is None:
            raise NotFound(f'Result "{entity_id}" NOT FOUND')
        if found.owner != identity.name:
            # OPUS raises EntityAccessDenied, which /store does not catch: a plain 500.
            raise Failure(f"User {identity.name} is not the owner of the entity")
        return found

    def log_text(self, job_id: str, which: str) -> Tuple[str, float]:
        """``stdout``/``stderr`` of a job that has run, and when it last changed.
        OPUS checks neither owner nor role for the logs."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.executed:
                raise NotFound(f'Log "{which}" NOT FOUND for job "{job_id}"')
            return simulation.log_text(job, which), job.phase_history[-1][1]

    def provenance(self, job_id: str) -> str:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or "provjson" not in job.results:
                raise NotFound(f'Prov file "provenance.json" NOT FOUND for job "{job_id}"')
            return simulation.provenance(job)

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until no job is QUEUED or EXECUTING; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(job.phase in ACTIVE_PHASES for job in self._jobs.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return False
                self._changed.wait(remaining)
            return True

    # -- creation -------------------------------------------------------------------

    def create(
        self, identity: Identity, list_name: str, form: Form, *, start: Optional[bool] = None
    ) -> str:
        """Create a job from a POSTed form; start it if the form says ``PHASE=RUN`` (or
        ``start`` is True; False never starts). Returns the job id."""
        identity.check_list(list_name)
        new = read_creation(form)
        with self._lock:
            self._check_quota(identity)
            job = self._new_record(
                identity, list_name, "PENDING", new.run_id or None, new.execution_duration
            )
            if new.run_id is not None:
                job.parameters["runId"] = Param(new.run_id)
            if new.execution_duration is not None:
                job.parameters["executionDuration"] = Param(new.execution_duration)
            # OPUS saves the job here, before reading its inputs: from now on a failure
            # leaves this PENDING job behind (an orphan).
            self._jobs[job.job_id] = job
            self._store_inputs(job, new)
            job.parameters.update(new.parameters)
            if start is None:
                start = new.start  # the form's PHASE=RUN
            if start:
                self._runs.start(job)
            return job.job_id

    def _check_quota(self, identity: Identity) -> None:
        if self.max_active_jobs is None:
            return
        active = sum(
            1
            for job in self._jobs.values()
            if identity.same_account(job.owner, job.owner_token) and job.phase in UNFINISHED_PHASES
        )
        if active >= self.max_active_jobs:
            raise TooManyJobs(
                f"Maximum number of active jobs reached for {identity.name} "
                f"({self.max_active_jobs})"
            )

    def _new_record(
        self,
        identity: Identity,
        list_name: str,
        phase: str,
        run_id: Optional[str],
        duration: Optional[str],
    ) -> JobRecord:
        now = local_now()
        job = JobRecord(
            job_id=self._new_id(),
            list_name=list_name,
            owner=identity.name,
            owner_token=identity.token,
            seq=next(self._seq),
            creation_time=now,
            destruction=now + timedelta(days=DESTRUCTION_DAYS),
            cond=threading.Condition(self._lock),
            phase=phase,
            run_id=run_id,
            quote=QUOTE,
            execution_duration=duration or str(self.default_execution_duration),
        )
        job.phase_history.append((phase, time.time()))
        return job

    def _store_inputs(self, job: JobRecord, new: NewJob) -> None:
        for name, content_type, part in new.inputs:
            entity = self.add_entity(
                job, part.filename, content_type, len(part.content), data=part.content
            )
            job.uploads[name] = UploadedFile(
                name, part.filename, part.raw_filename, part.content, entity.entity_id
            )
            job.parameters[name] = Param(f"file://{part.filename}", True, entity.entity_id)
        if new.input_error is not None:
            raise ClientMistake(new.input_error)
        try:
            job.overrides, job.config_failure = read_overrides(job.uploads["config"].content)
        except PlanError as exc:
            raise ClientMistake(f"invalid _test object in the config: {exc}") from exc

    # -- the owner's actions ------------------------------------------------------------

    def run(self, identity: Identity, list_name: str, job_id: str) -> None:
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase != "PENDING":
                raise ClientMistake("Job has to be in PENDING phase")
            self._runs.start(job)

    def abort(self, identity: Identity, list_name: str, job_id: str) -> None:
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase not in UNFINISHED_PHASES:
                raise ClientMistake(f"Job {job_id} cannot be aborted while in phase {job.phase}")
            self._runs.abort(job, identity.name)

    def delete(self, identity: Identity, list_name: str, job_id: str) -> None:
        with self._lock:
            job = self._job(identity, list_name, job_id)
            self._remove(job)

    def vanish(self, job_id: str) -> None:
        """Delete a job behind its owner's back (the job_vanishes fault)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._remove(job)

    def _remove(self, job: JobRecord) -> None:
        job.generation += 1
        del self._jobs[job.job_id]
        for eid in [e.entity_id for e in self._entities.values() if e.job_id == job.job_id]:
            del self._entities[eid]
        self._changed.notify_all()

    def set_execution_duration(
        self, identity: Identity, list_name: str, job_id: str, value: Optional[str]
    ) -> None:
        duration = read_execution_duration(value)
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase != "PENDING":
                raise ClientMistake(
                    f'Job "{job_id}" must be in PENDING state (currently {job.phase}) '
                    "to change its execution duration"
                )
            job.execution_duration = duration

    def set_destruction(
        self, identity: Identity, list_name: str, job_id: str, value: Optional[str]
    ) -> None:
        when = read_destruction(value)
        with self._lock:
            self._job(identity, list_name, job_id).destruction = when

    def set_parameter(
        self, identity: Identity, list_name: str, job_id: str, name: str, value: Optional[str]
    ) -> None:
        if value is None:
            raise ClientMistake("VALUE keyword required")
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase != "PENDING":
                raise ClientMistake(
                    f'Job "{job_id}" must be in PENDING state (currently {job.phase}) '
                    "to change parameter"
                )
            old = job.parameters.get(name)
            if old is None:
                raise Failure(f"KeyError: {name!r}")  # OPUS indexes a missing dict key
            job.parameters[name] = replace(old, value=value)

    # -- seeding (benchmarks) ------------------------------------------------------------

    def seed(self, identity: Identity, list_name: str, count: int, phase: str) -> List[str]:
        """Add ``count`` finished jobs directly (no run), e.g. for a 10 000-job list."""
        ids: List[str] = []
        with self._lock:
            for _ in range(count):
                job = self._new_record(identity, list_name, phase, f"seed{len(ids)}", None)
                self._jobs[job.job_id] = job
                ids.append(job.job_id)
        return ids
