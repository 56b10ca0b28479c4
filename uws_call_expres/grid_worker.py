"""The points of a grid that need the server: which (:func:`decide_tasks`,
:func:`find_lost_jobs`), run by the sweep's worker pool (:class:`GridWorkers`).

Each point either is submitted (:func:`uws_call_expres.run.execute`) or, when the manifest
already names its job, taken over; then it is waited for and its results saved into the
point's folder. Every change of state is written to the manifest at once: the job id as
soon as the server created the job (before anything else), the phase as it changes, the
saved files at the end.

The workers share the sweep's client and job watcher (:mod:`uws_call_expres.connections`).
After Ctrl-C (the sweep's ``stop``, which closes the watcher) a worker submits nothing more
and abandons its job, without downloading or writing anything else: the next run of the
grid takes the job over from the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from uws_lite import Client
from uws_lite.errors import WaitTimeout, redact_url
from uws_lite.models import Job, Phase
from uws_lite.naming import safe_filename
from uws_lite.text import for_terminal

from .access import Access, open_client
from .flags import Flag
from .following import FollowContext, default_deadline, follow_job
from .gridspec import GridPointSpec
from .manifest import Manifest, files_verified
from .options import PreparedRun
from .outcome import FAILED_PHASES, ExpresRun, ResultsIncomplete
from .output import LOGGER, Console
from .run import execute
from .submit import created_job_id
from .sweep import SweepItem, SweepPool
from .words import PYTHON, Vocabulary

__all__ = [
    "ATTACH",
    "SUBMIT",
    "GridTask",
    "GridWorkers",
    "decide_tasks",
    "file_entries",
    "find_lost_jobs",
]

SUBMIT, ATTACH = "submit", "attach"


@dataclass(frozen=True)
class GridTask:
    """One point to run: ``action`` is "submit" (a new job) or "attach" (``job_id``)."""

    point: int  # the point's index in the grid and the manifest
    action: str
    job_id: Optional[str] = None


class _Abandoned(Exception):
    """The grid was interrupted: this worker leaves its job to the next run."""


class GridWorkers(SweepPool):
    """The sweep's pool, running :class:`GridTask` items (``plans[k]`` is task k's plan)."""

    def __init__(
        self,
        plans: Sequence[PreparedRun],
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
        console.info(f"Point {for_terminal(plan.output_dir.name)}")
        if task.action == SUBMIT:
            run = self._submit(task, plan, console, submitted)
            if not self.loop:
                return run
            job_id = run.job_id
        else:
            job_id = str(task.job_id)
            submitted(job_id, console.words.reattach(job_id, plan.access, plan.output_dir))
        if self.stop.is_set():
            raise _Abandoned("interrupted: the job is left to the next run of the grid")
        return self._follow(task, plan, job_id, console)

    def _submit(
        self,
        task: GridTask,
        plan: PreparedRun,
        console: Console,
        submitted: Callable[[str, str], None],
    ) -> ExpresRun:
        list_url = plan.access.list_url

        def record_job(job_id: str, command: str) -> None:
            # First thing once the job exists, before waiting: a kill now loses nothing.
            submitted(job_id, command)
            self.record(task.point, job_id=job_id, job_url=_job_url(list_url, job_id))

        try:
            run = execute(plan, console, on_submitted=record_job, shared=self.shared)
        except Exception as exc:
            created = created_job_id(exc)  # created, but starting or reading it failed
            if created is not None:
                self.record(task.point, job_id=created, job_url=_job_url(list_url, created))
            raise
        self.record(task.point, phase=run.phase.value, job_url=redact_url(run.job_url))
        return run

    def _follow(
        self, task: GridTask, plan: PreparedRun, job_id: str, console: Console
    ) -> ExpresRun:
        watcher = self.shared.watcher(plan.access)
        context = FollowContext.of_run(plan, plan.output_dir, watcher)
        client = self.shared.client(plan.access)  # the grid's: closed when it ends
        job = client.get_job(job_id)
        if task.action == ATTACH:
            console.info(f"Job : {for_terminal(job_id)} (taken over)")
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

    def _wait(
        self, task: GridTask, plan: PreparedRun, client: Client, job: Job, console: Console
    ) -> Job:
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
        watcher = self.shared.watcher(plan.access)
        try:
            if watcher is not None:  # the Job we have: no request to know its state
                job = watcher.wait(job, timeout=deadline, on_change=on_change)
            else:
                job = client.wait(job.job_id, timeout=deadline, on_change=on_change)
        except WaitTimeout as exc:
            self.record(task.point, phase=exc.job.phase.value)
            console.notice(
                f"Job {for_terminal(job.job_id)} is still {exc.job.phase} after {deadline:.0f} s; "
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
            f"({', '.join(for_terminal(j) for j in running)}); their ids are in {where}. Run the "
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


def decide_tasks(
    manifest: Manifest,
    points: Sequence[GridPointSpec],
    out: Path,
    retry_failed: bool,
    console: Console,
) -> Tuple[List[GridTask], Dict[int, str]]:
    """What each point needs: a take-over or a job (the tasks), or nothing: the status of
    the points left alone ("skipped": verified; "failed-before": not retried)."""
    tasks: List[GridTask] = []
    done: Dict[int, str] = {}
    for point in points:
        entry = manifest.point(point.index)
        job_id, phase = entry.get("job_id"), _recorded_phase(entry)
        if (
            job_id
            and phase is Phase.COMPLETED
            and files_verified(out / point.folder, entry["files"])
        ):
            done[point.index] = "skipped"
        elif job_id and phase in FAILED_PHASES and not retry_failed:
            console.info(
                f"{point.folder}: job {for_terminal(str(job_id))} ended {phase} in an earlier "
                f"run; not submitted again (retry_failed / {Flag.RETRY_FAILED} to do so)."
            )
            done[point.index] = "failed-before"
        elif job_id and phase in FAILED_PHASES:
            previous = [*list(entry.get("previous_jobs") or []), job_id]
            manifest.update(
                point.index, job_id=None, job_url=None, phase=None, files=[], previous_jobs=previous
            )
            tasks.append(GridTask(point.index, SUBMIT))
        elif job_id:
            tasks.append(GridTask(point.index, ATTACH, str(job_id)))
        else:
            tasks.append(GridTask(point.index, SUBMIT))
    return tasks, done


def _recorded_phase(entry: Mapping[str, Any]) -> Phase:
    """The phase the manifest records for a point (UNKNOWN: none, or not a phase)."""
    phase = entry.get("phase")
    return Phase.parse(phase if isinstance(phase, str) else None)


def find_lost_jobs(
    manifest: Manifest, tasks: List[GridTask], access: Access, console: Console
) -> List[GridTask]:
    """Points to submit whose job exists anyway (found by runId) become take-overs (one
    request, when there is a point to submit)."""
    if not any(task.action == SUBMIT for task in tasks):
        return tasks
    document = manifest.document()
    known: Set[str] = set()
    for entry in document["points"]:
        known.update(entry.get("previous_jobs") or [])
        if entry.get("job_id"):
            known.add(entry["job_id"])
    with open_client(access) as client:
        jobs = client.get_job_list().newest_first()
    found: List[GridTask] = []
    for task in tasks:
        run_id = document["points"][task.point]["run_id"]
        match = next((j for j in jobs if j.run_id == run_id and j.job_id not in known), None)
        if task.action != SUBMIT or match is None:
            found.append(task)
            continue
        console.info(
            f"Job {for_terminal(match.job_id)} ({match.phase}) has the runId {run_id} of a point "
            "the manifest has no job for: taking it over instead of submitting again."
        )
        manifest.update(task.point, job_id=match.job_id, job_url=client.job_url(match.job_id))
        known.add(match.job_id)
        found.append(GridTask(task.point, ATTACH, match.job_id))
    return found
