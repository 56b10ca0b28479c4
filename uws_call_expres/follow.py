"""Following a submitted job to its end: wait, report, save the results, re-attach hints.

Shared by a fresh run (:func:`uws_call_expres.run.execute`) and a re-attached one
(:func:`uws_call_expres.run.follow`). Only server and network failures raise; a job that
ends in ERROR, ABORTED or ARCHIVED is reported and returned with ``ok=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from uws_lite import Client
from uws_lite.errors import JobError, JobNotFound, UWSError, WaitTimeout
from uws_lite.models import Job, Phase

from .access import Access
from .errors import ResultsIncomplete
from .outcome import ExpresRun
from .output import Console, printable
from .saving import plan_saving, save_results
from .settle import settle_results
from .waiting import WaitDisplay
from .words import CLI, attach_call, shell_command

__all__ = [
    "FollowContext",
    "default_deadline",
    "delete_command",
    "follow_job",
    "list_command",
    "make_run",
    "reattach_call",
    "reattach_command",
    "run_limit",
]


def reattach_command(job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
    """The shell command that takes the job over again (never with the token); the Python
    call is :meth:`uws_call_expres.words.Vocabulary.reattach` of ``PYTHON``."""
    return CLI.reattach(job_id, access, output_dir)


def reattach_call(job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
    """The Python call that takes the job over again, e.g. ``attach('2a3490',
    output_dir='/data/out')`` (never with the token: it comes from the environment)."""
    return attach_call(job_id, access, output_dir)


@dataclass(frozen=True)
class FollowContext:
    """What following a job needs besides the job: where to save, what to protect, how long
    to wait (None: :func:`default_deadline`), and what to report in the outcome."""

    access: Access
    output_dir: Path
    protected: Tuple[Path, ...]
    overwrite: str
    timeout: Optional[float]
    run_id: Optional[str]
    warnings: Tuple[str, ...] = ()


def follow_job(
    client: Client, job: Job, context: FollowContext, console: Console, *, progress: bool
) -> ExpresRun:
    """Wait for the job's end, report it, save its results."""
    hint = console.words.reattach_hint(job.job_id, context.access, context.output_dir)
    shown = printable(job.job_id)  # a server-given id, shown safely
    display = WaitDisplay(console, job, run_limit(job, context.access), bar=progress)
    display.show(job)
    if not job.phase.is_terminal:
        job = _wait(client, job, context, display, hint)
    failed = job.phase is not Phase.COMPLETED
    detail: Optional[str] = None
    console.debug(f"Job {shown} ended {display.line(job)}")
    if failed:
        console.info("Job failed")
        detail = report_failure(client, job, console)
    else:
        console.info("Job completed")
    try:
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
    except KeyboardInterrupt:
        console.notice(
            f"Interrupted while downloading. Job {shown} is {job.phase}; to download its "
            f"results again, {hint}"
        )
        raise
    except Exception:
        console.notice(
            f"Saving the results of job {shown} ({job.phase}) failed (see the error); "
            f"to download them again, {hint}"
        )
        raise
    run = make_run(client, job, context, ok=not failed and not failures, detail=detail, files=files)
    if failures and not failed:
        command = console.words.reattach(job.job_id, context.access, context.output_dir)
        raise ResultsIncomplete(
            f"Job {shown} completed but {len(failures)} of its {len(planned)} results "
            f"could not be saved ({', '.join(printable(rid) for rid, _ in failures)}); "
            f"retry with: {command}",
            run=run,
            failures=failures,
        )
    return run


def _wait(client: Client, job: Job, context: FollowContext, display: WaitDisplay, hint: str) -> Job:
    """``client.wait`` with the live display; on the way out, say how to re-attach."""
    console, shown = display.console, display.shown
    deadline = context.timeout or default_deadline(job, context.access)

    def on_change(current: Job) -> None:
        if current.phase is not display.phase:
            display.show(current)

    try:
        with display:
            return client.wait(job.job_id, timeout=deadline, on_change=on_change)
    except KeyboardInterrupt:
        console.notice(
            f"Interrupted. Job {shown} keeps running on the server; to re-attach, {hint}"
        )
        raise
    except WaitTimeout as exc:
        console.notice(
            f"Job {shown} is still {exc.job.phase} after {deadline:.0f} s; it keeps "
            f"running on the server. To re-attach later, {hint}"
        )
        raise
    except JobError as exc:  # HELD, or never started
        console.notice(f"Job {shown} is {exc.job.phase}: {exc}\nOnce it runs, to re-attach, {hint}")
        raise
    except JobNotFound:
        console.notice(
            f"Job {shown} was not found on the server any more (deleted, or past its "
            f"destruction time?); if it still exists, to re-attach, {hint}"
        )
        raise
    except Exception:
        # A server or network failure ends this wait, not the job: leave it running
        # (never aborted) and say how to take it over again.
        console.notice(
            f"Following job {shown} failed (see the error); it is left running on the "
            f"server. To re-attach, {hint}"
        )
        raise


def report_failure(client: Client, job: Job, console: Console) -> Optional[str]:
    if job.phase is Phase.ARCHIVED:
        console.info("The job is ARCHIVED: the server has deleted its results.")
    if job.error_summary is not None and job.error_summary.message:
        console.info(f"Error summary: {printable(job.error_summary.message)}")
    if job.phase is not Phase.ERROR:
        return None
    try:
        detail = client.get_error(job.job_id).strip()
    except UWSError as exc:
        console.debug(f"The job's error document could not be read: {exc}")
        return None
    summary = job.error_summary.message.strip() if job.error_summary else ""
    if detail and detail != summary:
        console.info("Error detail:\n" + "\n".join(printable(line) for line in detail.splitlines()))
    return detail or None


def make_run(
    client: Client,
    job: Job,
    context: FollowContext,
    *,
    ok: bool,
    detail: Optional[str] = None,
    files: Tuple[Path, ...] = (),
) -> ExpresRun:
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
        else reattach_call(job.job_id, access, context.output_dir),
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


def list_command(access: Access) -> str:
    """The shell command that lists the user's jobs."""
    return shell_command(["--list"], access)


def delete_command(job_id: str, access: Access) -> str:
    """The shell command that deletes the job (never with the token)."""
    return shell_command(["--delete", job_id], access)
