"""The points of a grid that need the server, run by the sweep's worker pool.

Each point either is submitted (:func:`uws_call_expres.run.execute`) or, when the manifest
already names its job, taken over; then it is waited for and its results saved into the
point's folder. Every change of state is written to the manifest at once: the job id as
soon as the server created the job (before anything else), the phase as it changes, the
saved files at the end.

After Ctrl-C (the sweep's ``stop``) a worker submits nothing more and abandons its job at
the next phase change, without downloading or writing anything else: the next run of the
grid takes the job over from the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from uws_lite import Client
from uws_lite.errors import WaitTimeout, redact_url
from uws_lite.models import Job, Phase
from uws_lite.naming import safe_filename

from .errors import ResultsIncomplete
from .follow import FollowContext, default_deadline, follow_job, reattach_command
from .manifest import Manifest
from .outcome import ExpresRun
from .output import LOGGER, Console, printable
from .run import Plan, execute, open_client
from .submit import created_job_id
from .sweep import SweepItem, _Sweep
from .words import PYTHON, Vocabulary

__all__ = ["GridTask", "GridWorkers"]

SUBMIT, ATTACH = "submit", "attach"


@dataclass(frozen=True)
class GridTask:
    """One point to run: ``action`` is "submit" (a new job) or "attach" (``job_id``)."""

    point: int  # the point's index in the grid and the manifest
    action: str
    job_id: Optional[str] = None


class _Abandoned(Exception):
    """The grid was interrupted: this worker leaves its job to the next run."""


class GridWorkers(_Sweep):
    """The sweep's pool, running :class:`GridTask` items (``plans[k]`` is task k's plan)."""

    def __init__(
        self,
        plans: Sequence[Plan],
        tasks: Sequence[GridTask],
        manifest: Manifest,
        *,
        loop: bool,
        verbose: bool,
        to_stderr: bool,
        progress: bool,
        on_point: Optional[Callable[[int, Dict[str, Any]], None]] = None,
        words: Vocabulary = PYTHON,
    ) -> None:
        super().__init__(plans, [p.inputs.config for p in plans], verbose, to_stderr, None, words)
        self.tasks = tasks
        self.manifest = manifest
        self.loop = loop
        self.progress = progress
        self.on_point = on_point

    def _execute(
        self, index: int, console: Console, submitted: Callable[[str, str], None]
    ) -> ExpresRun:
        task, plan = self.tasks[index], self.plans[index]
        console.info(f"Point {printable(plan.output_dir.name)}")
        if task.action == SUBMIT:
            run = self._submit(task, plan, console, submitted)
            if not self.loop:
                return run
            job_id = run.job_id
        else:
            job_id = str(task.job_id)
            submitted(job_id, reattach_command(job_id, plan.access, plan.output_dir))
        if self.stop.is_set():
            raise _Abandoned("interrupted: the job is left to the next run of the grid")
        return self._follow(task, plan, job_id, console)

    def _submit(
        self, task: GridTask, plan: Plan, console: Console, submitted: Callable[[str, str], None]
    ) -> ExpresRun:
        list_url = plan.access.list_url

        def record_job(job_id: str, command: str) -> None:
            # First thing once the job exists, before waiting: a kill now loses nothing.
            submitted(job_id, command)
            self.record(task.point, job_id=job_id, job_url=_job_url(list_url, job_id))

        try:
            run = execute(plan, console, on_submitted=record_job)
        except Exception as exc:
            created = created_job_id(exc)  # created, but starting or reading it failed
            if created is not None:
                self.record(task.point, job_id=created, job_url=_job_url(list_url, created))
            raise
        self.record(task.point, phase=run.phase.value, job_url=redact_url(run.job_url))
        return run

    def _follow(self, task: GridTask, plan: Plan, job_id: str, console: Console) -> ExpresRun:
        access = plan.access
        context = FollowContext(
            access,
            plan.output_dir,
            (plan.inputs.config,),
            plan.overwrite,
            plan.timeout,
            plan.run_id,
            access.warnings + plan.inputs.warnings,
        )
        with open_client(access) as client:
            job = client.get_job(job_id)
            if task.action == ATTACH:
                console.info(f"Job : {printable(job_id)} (taken over)")
            if job.phase is Phase.PENDING:
                # A job found by its runId after a lost creation, or whose start failed.
                console.info("The job is PENDING: starting it")
                job = client.run_job(job_id)
            job = self._wait(task, plan, client, job, console)
            self.record(task.point, phase=job.phase.value)
            try:
                run = follow_job(client, job, context, console, progress=self.progress)
            except ResultsIncomplete as exc:
                self._record_files(task.point, exc.run)
                raise
        self._record_files(task.point, run)
        return run

    def _wait(self, task: GridTask, plan: Plan, client: Client, job: Job, console: Console) -> Job:
        last: List[Optional[Phase]] = [None]

        def on_change(current: Job) -> None:
            if self.stop.is_set():
                raise _Abandoned("interrupted: the job is left to the next run of the grid")
            if current.phase is not last[0]:
                last[0] = current.phase
                console.info(str(current.phase))
                self.record(task.point, phase=current.phase.value)

        if job.phase.is_terminal:
            return job
        deadline = plan.timeout or default_deadline(job, plan.access)
        try:
            job = client.wait(job.job_id, timeout=deadline, on_change=on_change)
        except WaitTimeout as exc:
            self.record(task.point, phase=exc.job.phase.value)
            console.notice(
                f"Job {printable(job.job_id)} is still {exc.job.phase} after {deadline:.0f} s; "
                "it keeps running on the server. Run the grid again later to take it over."
            )
            raise
        if self.stop.is_set():
            raise _Abandoned("interrupted: the job is left to the next run of the grid")
        return job

    def record(self, point: int, **fields: Any) -> None:
        """Write fields of ``point`` to the manifest, then tell ``on_point``.

        After Ctrl-C only a new job id is still written (a job that exists must not be
        lost); the rest is left to the next run, which asks the server again."""
        if self.stop.is_set() and "job_id" not in fields:
            return
        self.manifest.update(point, **fields)
        if self.on_point is not None:
            try:
                self.on_point(point, self.manifest.point(point))
            except Exception:  # a reporting hook must not stop the grid
                LOGGER.exception("The grid's on_point callback failed")

    def _record_files(self, point: int, run: ExpresRun) -> None:
        self.record(point, phase=run.phase.value, files=file_entries(run), error=None)

    def _report_interrupted(self, finished: Dict[int, SweepItem]) -> None:
        with self.lock:
            running = [
                job_id for k, (job_id, _) in sorted(self.started.items()) if k not in finished
            ]
        console = Console(self.verbose, words=self.words)
        where = self.manifest.path
        if not running:
            console.notice(f"Interrupted; no job was left running. The grid's state is in {where}.")
            return
        console.notice(
            f"Interrupted. {len(running)} job(s) keep running on the server "
            f"({', '.join(printable(j) for j in running)}); their ids are in {where}. Run the "
            "same grid command again to take them over: nothing is submitted twice."
        )


def file_entries(run: ExpresRun) -> List[Dict[str, Any]]:
    """The saved files of a run as manifest entries: name in the point folder, size on
    disk, and the server's SHA-1 when it gave one (OPUS does for CDFs, not for logs)."""
    sha1s = {safe_filename(r.id, fallback="result"): r.sha1 for r in run.results}
    entries: List[Dict[str, Any]] = []
    for path in run.files:
        entries.append({"name": path.name, "size": _size(path), "sha1": sha1s.get(path.name)})
    return entries


def _size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _job_url(list_url: str, job_id: str) -> str:
    return redact_url(f"{list_url.rstrip('/')}/{job_id}")
