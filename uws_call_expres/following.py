"""Following a submitted job to its end: wait, report, save the results.

Shared by a fresh run (:func:`uws_call_expres.run.execute`), a job taken over
(:func:`follow_existing`: :func:`~uws_call_expres.attach` and ``--attach``) and a grid's
points. Only server and network failures raise; a job that ends in ERROR, ABORTED or
ARCHIVED is reported and returned with ``ok=False``. Whatever ends a wait or a download
early, the user is told how to take the job over again (it is never aborted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Optional, Tuple

from uws_lite import Client
from uws_lite.errors import JobError, JobNotFound, UWSError, WaitTimeout, WatcherClosed
from uws_lite.models import Job, Phase
from uws_lite.text import for_terminal

from .access import Access, open_client
from .config import check_job_id
from .destination import check_output_dir, check_overwrite
from .options import PreparedRun, RunOptions, check_timeout
from .outcome import ExpresRun, ResultsIncomplete
from .output import Console
from .waiting import WaitDisplay
from .words import attach_call

if TYPE_CHECKING:
    from uws_lite.watch import JobWatcher

__all__ = [
    "FollowContext",
    "default_deadline",
    "follow_existing",
    "follow_job",
    "make_run",
    "run_limit",
]


class FollowContext(NamedTuple):
    """What following a job needs besides the job: where to save, what to protect, how long
    to wait (None: :func:`default_deadline`), what to report in the outcome, and how to
    wait: through ``watcher`` (a sweep's or grid's, shared by its jobs:
    :mod:`uws_call_expres.connections`), else with ``Client.wait`` (a long poll)."""

    access: Access
    output_dir: Path
    overwrite: str
    timeout: Optional[float]
    run_id: Optional[str]
    protected: Tuple[Path, ...] = ()
    warnings: Tuple[str, ...] = ()
    watcher: Optional[JobWatcher] = None

    @classmethod
    def of_run(
        cls, plan: PreparedRun, output_dir: Path, watcher: Optional[JobWatcher] = None
    ) -> FollowContext:
        """Following the job submitted for ``plan``, its results saved in ``output_dir``
        (the plan's, or a sweep's per-job folder); the inputs are never overwritten."""
        return cls(
            access=plan.access,
            output_dir=output_dir,
            overwrite=plan.overwrite,
            timeout=plan.timeout,
            run_id=plan.run_id,
            protected=plan.protected,
            warnings=plan.warnings,
            watcher=watcher,
        )


class _Saved(NamedTuple):
    files: Tuple[Path, ...]
    failures: Tuple[Tuple[str, str], ...]
    planned: int


def follow_existing(
    job_id: str, options: RunOptions, console: Console, *, progress: bool = False
) -> ExpresRun:
    """Take over the job ``job_id`` (:func:`~uws_call_expres.attach`, ``--attach``): check
    the options locally, then wait for the job's end and save its results."""
    job_id = check_job_id(job_id)
    access = options.access(branch=False)  # the job runs on its own branch
    output_dir = check_output_dir(options.output_dir, options.words)
    check_overwrite(options.overwrite)
    timeout = check_timeout(options.timeout)
    for warning in access.warnings:
        console.warning(warning)
    with open_client(access) as client:
        job = client.get_job(job_id)
        console.info(f"Job : {for_terminal(job.job_id)}")
        context = FollowContext(
            access=access,
            output_dir=output_dir,
            overwrite=options.overwrite,
            timeout=timeout,
            run_id=job.run_id,
            warnings=access.warnings,
        )
        return follow_job(client, job, context, console, progress=progress)


def follow_job(
    client: Client, job: Job, context: FollowContext, console: Console, *, progress: bool
) -> ExpresRun:
    """Wait for the job's end, report it, save its results."""
    hint = console.words.reattach_hint(job.job_id, context.access, context.output_dir)
    display = WaitDisplay(console, job, run_limit(job, context.access), bar=progress)
    display.show(job)
    if not job.phase.is_terminal:
        job = _wait(client, job, context, display, hint)
    console.debug(f"Job {display.shown} ended {display.line(job)}")
    failed = job.phase is not Phase.COMPLETED
    detail = _report_end(client, job, console)
    job, saved = _save(client, job, context, console, hint, progress=progress)
    run = make_run(
        client,
        job,
        context,
        ok=not failed and not saved.failures,
        detail=detail,
        files=saved.files,
    )
    if saved.failures and not failed:
        command = console.words.reattach(job.job_id, context.access, context.output_dir)
        names = ", ".join(for_terminal(result_id) for result_id, _ in saved.failures)
        raise ResultsIncomplete(
            f"Job {for_terminal(job.job_id)} completed but {len(saved.failures)} of its "
            f"{saved.planned} results could not be saved ({names}); retry with: {command}",
            run=run,
            failures=saved.failures,
        )
    return run


def _wait(client: Client, job: Job, context: FollowContext, display: WaitDisplay, hint: str) -> Job:
    """Wait (through the context's watcher, else ``client.wait``) with the live display;
    on the way out, say how to re-attach."""
    deadline = context.timeout or default_deadline(job, context.access)

    def on_change(current: Job) -> None:
        if current.phase is not display.phase:
            display.show(current)

    try:
        with display:
            if context.watcher is not None:  # the Job we have: no request to know its state
                return context.watcher.wait(job, timeout=deadline, on_change=on_change)
            return client.wait(job.job_id, timeout=deadline, on_change=on_change)
    except WatcherClosed:
        raise  # the sweep was interrupted: it says itself which jobs it left running
    except (Exception, KeyboardInterrupt) as exc:
        # Whatever ends this wait ends it, not the job: it is left running (never aborted).
        display.console.notice(_left_running(exc, display.shown, deadline, hint))
        raise


def _left_running(error: BaseException, shown: str, deadline: float, hint: str) -> str:
    """What to tell the user when a wait ended early: why, and how to re-attach."""
    if isinstance(error, KeyboardInterrupt):
        return f"Interrupted. Job {shown} keeps running on the server; to re-attach, {hint}"
    if isinstance(error, WaitTimeout):
        return (
            f"Job {shown} is still {error.job.phase} after {deadline:.0f} s; it keeps "
            f"running on the server. To re-attach later, {hint}"
        )
    if isinstance(error, JobError):  # HELD, or never started
        return f"Job {shown} is {error.job.phase}: {error}\nOnce it runs, to re-attach, {hint}"
    if isinstance(error, JobNotFound):
        return (
            f"Job {shown} was not found on the server any more (deleted, or past its "
            f"destruction time?); if it still exists, to re-attach, {hint}"
        )
    return (
        f"Following job {shown} failed (see the error); it is left running on the "
        f"server. To re-attach, {hint}"
    )


def _report_end(client: Client, job: Job, console: Console) -> Optional[str]:
    """Print how the job ended; return the text of its error document (a failed job)."""
    if job.phase is Phase.COMPLETED:
        console.info("Job completed")
        return None
    console.info("Job failed")
    if job.phase is Phase.ARCHIVED:
        console.info("The job is ARCHIVED: the server has deleted its results.")
    if job.error_summary is not None and job.error_summary.message:
        console.info(f"Error summary: {for_terminal(job.error_summary.message)}")
    if job.phase is not Phase.ERROR:
        return None
    try:
        detail = client.get_error(job.job_id).strip()
    except UWSError as exc:
        console.debug(f"The job's error document could not be read: {exc}")
        return None
    summary = job.error_summary.message.strip() if job.error_summary else ""
    if detail and detail != summary:
        console.info("Error detail:\n" + for_terminal(detail, one_line=False))
    return detail or None


def _save(
    client: Client,
    job: Job,
    context: FollowContext,
    console: Console,
    hint: str,
    *,
    progress: bool,
) -> Tuple[Job, _Saved]:
    """Save every result of the finished job (also those listed late); on the way out
    early, say how to download them again."""
    try:
        # Imported once a job has ended: a submission does not load the download machinery.
        from .saving import plan_saving, save_results
        from .settle import settle_results

        # OPUS lists some results (provenance) only after the terminal phase.
        job = settle_results(client, job, console)
        planned = plan_saving(
            job.results,
            context.output_dir,
            protected=context.protected,
            overwrite=context.overwrite,
            words=console.words,
        )
        files, failures = save_results(
            client, planned, console, overwrite=context.overwrite, progress=progress
        )
    except (Exception, KeyboardInterrupt) as exc:
        shown = for_terminal(job.job_id)
        if isinstance(exc, KeyboardInterrupt):
            what = f"Interrupted while downloading. Job {shown} is {job.phase}"
        else:
            what = f"Saving the results of job {shown} ({job.phase}) failed (see the error)"
        console.notice(f"{what}; to download its results again, {hint}")
        raise
    return job, _Saved(tuple(files), tuple(failures), len(planned))


def make_run(
    client: Client,
    job: Job,
    context: FollowContext,
    *,
    ok: bool,
    detail: Optional[str] = None,
    files: Tuple[Path, ...] = (),
) -> ExpresRun:
    """The outcome of following ``job`` (a job still running gets its re-attach call)."""
    access = context.access
    return ExpresRun(
        job_id=job.job_id,
        job_url=client.job_url(job.job_id),
        job_list=access.job_list,
        branch=job.parameter("branch") or access.branch,
        run_id=job.run_id or context.run_id,
        phase=job.phase,
        ok=ok,
        login=access.login,
        error_summary=job.error_summary,
        error_detail=detail,
        results=job.results,
        files=files,
        warnings=context.warnings,
        reattach=None
        if job.phase.is_terminal
        else attach_call(job.job_id, access, context.output_dir),
    )


def run_limit(job: Job, access: Access) -> int:
    """The run's own duration limit in seconds: the job's executionDuration, else (or when
    above it) the access limit."""
    limit = job.execution_duration or 0
    if limit <= 0 or limit > access.max_duration:
        limit = access.max_duration
    return limit


def default_deadline(job: Job, access: Access) -> float:
    """How long to wait when no timeout is given: the run's own duration limit
    (:func:`run_limit`) plus a margin for queueing and staging."""
    limit = run_limit(job, access)
    return float(limit + 300 + limit // 10)
