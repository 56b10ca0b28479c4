"""The job store and the simulated ExPRES run (PENDING -> QUEUED -> EXECUTING -> end).

Every state change happens under one lock and notifies the job's Condition at once, so a
blocked ``WAIT`` wakes as soon as the phase changes. Phase changes are driven by a single
scheduler thread (a heap of timed events), whatever the number of jobs.

Semantics follow OPUS (uws_classes.Job, storage.get_list): a creation saves the job before
reading its file inputs (a failed upload leaves an orphan PENDING job), jobs are looked up by id
whatever the job list in the URL, ownership is the (name, token) pair, start time is set when
the job is queued, and the job list is sorted oldest first with ``LAST`` keeping the oldest.
"""

from __future__ import annotations

import heapq
import itertools
import json
import secrets
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from . import expres_cdf, payload
from .identity import Identity
from .failures import AccessDenied, ClientMistake, Failure, NotFound, TooManyJobs
from .forms import Form
from .plan import (
    DEFAULT_CDF_SIZE,
    PlanError,
    RunPlan,
    cdf_names,
    ephemeris_problem,
    read_overrides,
    resolve,
)
from .state import (
    ACTIVE_PHASES,
    DT_FMT,
    UNFINISHED_PHASES,
    Entity,
    JobRecord,
    JobSnapshot,
    Param,
    ResultEntry,
    UploadedFile,
)

__all__ = ["FILE_INPUTS", "JobStore"]

# The ExPRES job definition's file inputs and their content types.
FILE_INPUTS = {"config": "application/json", "ephemeride": "text/plain"}
QUOTE = 120  # OPUS EXECUTION_DURATION_DEF: the quote of every job
DESTRUCTION_DAYS = 30  # OPUS DESTRUCTION_INTERVAL
HASH_POLL = 0.02  # seconds between checks while a large result's SHA-1 is being computed

_EXECUTE, _FINISH, _TIMEOUT, _LATE = "execute", "finish", "timeout", "late results"


def _now() -> datetime:
    # OPUS writes the server's local time, naive, to the second.
    return datetime.now().replace(microsecond=0)


class JobStore:
    def __init__(
        self,
        *,
        run_plan: RunPlan,
        default_execution_duration: int = 60,
        max_active_jobs: Optional[int] = None,
    ) -> None:
        self.run_plan = run_plan
        self.default_execution_duration = default_execution_duration
        self.max_active_jobs = max_active_jobs
        self.base_url = ""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._wake = threading.Condition(self._lock)
        self._jobs: Dict[str, JobRecord] = {}
        self._entities: Dict[str, Entity] = {}
        self._heap: List[Tuple[float, int, str, int, str]] = []
        self._seq = itertools.count()
        self._pids = itertools.count(10536)
        self._stopping = False
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._schedule_loop, name="opus-runs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
            self._changed.notify_all()
            for job in self._jobs.values():
                job.cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    # -- ids ------------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(3)
            if candidate not in self._jobs and candidate not in self._entities:
                return candidate

    # -- access checks (OPUS check_permissions / check_owner) -----------------------

    @staticmethod
    def check_list(identity: Identity, list_name: str) -> None:
        if list_name not in identity.roles:
            raise AccessDenied(
                f"User {identity.name} does not have permission to create/edit {list_name} jobs"
            )

    def _job(self, identity: Identity, list_name: str, job_id: str) -> JobRecord:
        self.check_list(identity, list_name)
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f'Job "{job_id}" NOT FOUND')
        if not identity.same_account(job.owner, job.owner_token):
            raise AccessDenied(f"User {identity.name} is not the owner of the job")
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
        self.check_list(identity, list_name)
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
            changed = job.phase_history[-1][1]
            if which == "stdout":
                return "".join(line + "\n" for line in job.log_lines), changed
            if job.phase == "ERROR" and job.error:
                return f"ERROR: {job.error}\n", changed
            return "", changed

    def provenance(self, job_id: str) -> str:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or "provjson" not in job.results:
                raise NotFound(f'Prov file "provenance.json" NOT FOUND for job "{job_id}"')
            used = {name: up.filename for name, up in job.uploads.items()}
            generated = sorted(r.id for r in job.results.values() if r.entity_id)
        return (
            '{"prefix": {"opus": "https://uws-server.readthedocs.io/"}, '
            f'"activity": {{"opus:{job_id}": {{"prov:label": "ExPRES"}}}}, '
            f'"used": {json.dumps(used)}, "generated": {json.dumps(generated)}}}'
        )

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
        self.check_list(identity, list_name)
        fields = form.as_dict()
        run_id = fields.pop("runId", None)
        duration = fields.pop("executionDuration", None)
        if duration is not None and not _is_int(duration):
            # OPUS stores it in an integer column: the save fails, nothing is kept.
            raise ClientMistake(f"Execution duration must be an integer ({duration!r})")
        with self._lock:
            if self.max_active_jobs is not None:
                active = sum(
                    1
                    for job in self._jobs.values()
                    if identity.same_account(job.owner, job.owner_token)
                    and job.phase in UNFINISHED_PHASES
                )
                if active >= self.max_active_jobs:
                    raise TooManyJobs(
                        f"Maximum number of active jobs reached for {identity.name} "
                        f"({self.max_active_jobs})"
                    )
            now = _now()
            job = JobRecord(
                job_id=self._new_id(),
                list_name=list_name,
                owner=identity.name,
                owner_token=identity.token,
                seq=next(self._seq),
                creation_time=now,
                destruction=now + timedelta(days=DESTRUCTION_DAYS),
                cond=threading.Condition(self._lock),
                run_id=run_id or None,
                quote=QUOTE,
                execution_duration=duration or str(self.default_execution_duration),
            )
            job.phase_history.append(("PENDING", time.time()))
            if run_id is not None:
                job.parameters["runId"] = Param(run_id)
            if duration is not None:
                job.parameters["executionDuration"] = Param(duration)
            # OPUS saves the job here, before reading its inputs: from now on a failure
            # leaves this PENDING job behind (an orphan).
            self._jobs[job.job_id] = job
            self._read_inputs(job, identity, form, fields)
            for name, value in fields.items():
                if name != "PHASE":
                    job.parameters[name] = Param(value)
            for name, part in form.files.items():
                if name not in FILE_INPUTS:
                    job.parameters[name] = Param(part.filename)
            if start is None:
                start = form.get("PHASE") == "RUN"
            if start:
                self._start(job)
            return job.job_id

    def _read_inputs(
        self, job: JobRecord, identity: Identity, form: Form, fields: Dict[str, str]
    ) -> None:
        for name, content_type in FILE_INPUTS.items():
            part = form.files.get(name)
            if part is None:
                if name in fields or name == "config":
                    # Not a file part: OPUS takes the value as a URL to fetch, and fails.
                    value = fields.pop(name, "")
                    raise ClientMistake(f'cannot upload URL for input "{name}": {value}')
                continue
            entity = Entity(
                entity_id=self._new_id(),
                owner=identity.name,
                job_id=job.job_id,
                file_name=part.filename,
                content_type=content_type,
                size=len(part.content),
                data=part.content,
            )
            self._entities[entity.entity_id] = entity
            job.uploads[name] = UploadedFile(
                name, part.filename, part.raw_filename, part.content, entity.entity_id
            )
            job.parameters[name] = Param(f"file://{part.filename}", True, entity.entity_id)
        config = job.uploads["config"].content
        try:
            job.overrides, job.config_failure = read_overrides(config)
        except PlanError as exc:
            raise ClientMistake(f"invalid _test object in the config: {exc}") from exc

    # -- actions ----------------------------------------------------------------------

    def run(self, identity: Identity, list_name: str, job_id: str) -> None:
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase != "PENDING":
                raise ClientMistake("Job has to be in PENDING phase")
            self._start(job)

    def abort(self, identity: Identity, list_name: str, job_id: str) -> None:
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase not in UNFINISHED_PHASES:
                raise ClientMistake(f"Job {job_id} cannot be aborted while in phase {job.phase}")
            job.generation += 1
            job.error = f"Job aborted by user {identity.name}"
            self._finish(job, "ABORTED")

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
        if value is None:
            raise ClientMistake("EXECUTIONDURATION keyword required")
        if not _is_int(value):
            raise ClientMistake("Execution duration must be an integer or a float")
        with self._lock:
            job = self._job(identity, list_name, job_id)
            if job.phase != "PENDING":
                raise ClientMistake(
                    f'Job "{job_id}" must be in PENDING state (currently {job.phase}) '
                    "to change its execution duration"
                )
            job.execution_duration = str(int(value))

    def set_destruction(
        self, identity: Identity, list_name: str, job_id: str, value: Optional[str]
    ) -> None:
        if value is None:
            raise ClientMistake("DESTRUCTION keyword required")
        try:
            when = datetime.strptime(value, DT_FMT)
        except ValueError as exc:
            # OPUS keeps the first 19 characters when only a suffix (zone, fraction) is extra.
            if not str(exc).startswith("unconverted data remains"):
                raise ClientMistake(f"Destruction time must be in ISO8601 format ({exc})") from exc
            when = datetime.strptime(value[:19], DT_FMT)
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
                now = _now()
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
                    run_id=f"seed{len(ids)}",
                    quote=QUOTE,
                    execution_duration=str(self.default_execution_duration),
                )
                job.phase_history.append((phase, time.time()))
                self._jobs[job.job_id] = job
                ids.append(job.job_id)
        return ids

    # -- the simulated run (all under the lock) ---------------------------------------

    def _start(self, job: JobRecord) -> None:
        plan = resolve(self.run_plan, job.overrides)
        job.process_id = next(self._pids)
        job.start_time = _now()  # OPUS sets startTime when the job is queued
        job.log_lines = [
            "ExPRES run (simulated by uws_lite.testing)",
            f"job {job.job_id} on {job.list_name}, runId={job.run_id or ''}",
            f"config: {job.uploads['config'].filename}",
        ]
        if "ephemeride" in job.uploads:
            job.log_lines.append(f"ephemeris: {job.uploads['ephemeride'].filename}")
        size = plan.generated_size()
        if plan.outcome == "COMPLETED" and job.config_failure is None and size is not None:
            payload.start_hashing(size)
        self._set_phase(job, "QUEUED")
        self._schedule(job, plan.queued, _EXECUTE)

    def _schedule(self, job: JobRecord, delay: float, action: str) -> None:
        due = time.monotonic() + delay
        heapq.heappush(self._heap, (due, next(self._seq), job.job_id, job.generation, action))
        self._wake.notify()

    def _schedule_loop(self) -> None:
        with self._lock:
            while not self._stopping:
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                _, _, job_id, generation, action = heapq.heappop(self._heap)
                job = self._jobs.get(job_id)
                if job is not None and job.generation == generation:
                    self._step(job, action)

    def _step(self, job: JobRecord, action: str) -> None:
        plan = resolve(self.run_plan, job.overrides)
        if action == _EXECUTE and job.phase == "QUEUED":
            job.executed = True
            job.log_lines.append(f"started at {_now().strftime(DT_FMT)}")
            self._set_phase(job, "EXECUTING")
            limit = int(job.execution_duration or 0)
            if 0 < limit < plan.duration:
                self._schedule(job, limit, _TIMEOUT)
            else:
                self._schedule(job, plan.duration, _FINISH)
        elif action == _TIMEOUT and job.phase == "EXECUTING":
            job.error = f"Job exceeded its execution duration ({job.execution_duration} s)"
            job.log_lines.append("killed: execution duration exceeded")
            self._finish(job, "ABORTED")
        elif action == _FINISH and job.phase == "EXECUTING":
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
                self._schedule(job, HASH_POLL, _FINISH)  # a large result is still being hashed
            else:
                self._add_files(job, plan)
                job.log_lines.append("ExPRES finished")
                late = plan.provenance and plan.late_results > 0
                self._finish(job, "COMPLETED", provenance=plan.provenance and not late)
                if late:  # RunPlan.late_results: listed after the phase, as on OPUS
                    self._schedule(job, plan.late_results, _LATE)
        elif action == _LATE and job.phase == "COMPLETED":
            self._add_links(job, ["provjson"])

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
            entity = Entity(
                entity_id=self._new_id(),
                owner=job.owner,
                job_id=job.job_id,
                file_name=file_name,
                content_type="application/x-cdf",
                size=size,
                sha1=digest,
                data=data,
            )
            self._entities[entity.entity_id] = entity
            # A wildcard result (*.cdf in the job definition): its id is the file name.
            job.results[file_name] = ResultEntry(
                id=file_name,
                url=f"{self.base_url}/store?ID={entity.entity_id}",
                mime_type=entity.content_type,
                name=f"{entity.entity_id}_{file_name}",
                hash=digest,
                entity_id=entity.entity_id,
            )

    def _finish(self, job: JobRecord, phase: str, *, provenance: bool = False) -> None:
        job.end_time = _now()
        if job.executed:
            self._add_links(job, ["stdout", "stderr"] + (["provjson"] if provenance else []))
        self._set_phase(job, phase)

    def _add_links(self, job: JobRecord, ids: Sequence[str]) -> None:
        # OPUS links the logs (and provenance) under the job URL; note its double slash.
        for rid in ids:
            mime = "application/json" if rid == "provjson" else "text/plain"
            url = f"{self.base_url}//rest/{job.list_name}/{job.job_id}/{rid}"
            job.results[rid] = ResultEntry(id=rid, url=url, mime_type=mime)

    def _set_phase(self, job: JobRecord, phase: str) -> None:
        job.phase = phase
        job.phase_history.append((phase, time.time()))
        job.cond.notify_all()
        self._changed.notify_all()


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
