"""One function per ``uws-lite`` command, each a few calls of :class:`uws_lite.Client`.

:func:`run_command` finds the service and credentials (:mod:`uws_lite.cli.service`), opens a
client and runs the command; what it produced (:class:`~uws_lite.cli.report.Outcome`) is
printed by :class:`~uws_lite.cli.report.Output`. The ``download`` command's planning and
transfers are in :mod:`uws_lite.cli.download`.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ..errors import HTTPStatusError, NotFound, ServiceErrorDocument, secret_forms
from ..exitcodes import ExitCode
from ..models import Phase
from ..text import for_terminal
from . import format as fmt
from .download import Planned, State, chosen_results, fetch, plan_downloads
from .flags import PROG, Command, Flag
from .report import Outcome, Output
from .service import service
from .usage import CLIError, assignments, wait_seconds

if TYPE_CHECKING:
    from ..client import Client
    from ..models import Job

__all__ = ["run_command"]

_DETAIL_LIMIT = 20_000  # characters of an error detail document shown to a person
# What a server answers to a POST to <job>/parameters when it has no such route (OPUS).
_NO_PARAMETERS_ROUTE = (404, 405, 500, 501)


@dataclass
class _Context:
    client: Client
    out: Output
    again: str  # the command prefix to show in hints ("uws-lite --url ...")

    def hint(self, command: str, job_id: str, *more: str) -> str:
        """The command line that does ``command`` on the job, for a hint."""
        return " ".join([self.again, command, fmt.shell_word(job_id), *more])


def run_command(args: argparse.Namespace, out: Output, again: str) -> ExitCode:
    """Run the command ``args`` ask for and print what it produced; return the exit status."""
    url, auth = service(args, os.environ)
    if auth is not None:
        user, token = auth
        out.secrets = secret_forms(token, user)
    from ..client import Client  # requests and lxml: only once a command runs
    from ..transport import DEFAULT_TIMEOUT

    timeout = DEFAULT_TIMEOUT._replace(read=args.timeout) if args.timeout else DEFAULT_TIMEOUT
    with Client(url, auth=auth, timeout=timeout) as client:
        outcome = _COMMANDS[args.command](_Context(client, out, again), args)
    out.emit(outcome)
    return outcome.code


def _list(ctx: _Context, args: argparse.Namespace) -> Outcome:
    phases, after = args.phase or None, args.after
    jobs = ctx.client.get_job_list(phases=phases, after=after).newest_first()
    if args.last is not None:
        if all(j.creation_time is not None for j in jobs):
            # Sorted here rather than asking LAST=n: OPUS returns the *oldest* n.
            jobs = jobs[: args.last]
        else:
            # No creation times to sort by (DaCHS's jobrefs have none): only the server
            # knows the order, and LAST=n is "the n most recent" (UWS 1.1 §2.2.2.1).
            jobs = ctx.client.get_job_list(phases=phases, after=after, last=args.last).jobs
            jobs = jobs[: args.last]
    if not jobs:
        ctx.out.info("No jobs match.")
    rows = [[j.job_id, j.phase.value, j.run_id or "", fmt.fmt_time(j.creation_time)] for j in jobs]
    text = fmt.table(["JOB ID", "PHASE", "RUN ID", "CREATED"], rows) if jobs else None
    return Outcome(
        doc={"url": ctx.client.url, "jobs": [fmt.jobref_doc(j) for j in jobs]},
        text=text,
        quiet="\n".join(for_terminal(j.job_id) for j in jobs),
    )


def _job_outcome(job: Job, code: ExitCode = ExitCode.OK) -> Outcome:
    return Outcome(
        doc=fmt.job_doc(job), text=fmt.job_summary(job), quiet=job.phase.value, code=code
    )


def _show(ctx: _Context, args: argparse.Namespace) -> Outcome:
    wait = wait_seconds(args)
    if wait is None:
        return _job_outcome(ctx.client.get_job(args.job))
    seen: List[Phase] = []

    def on_change(job: Job) -> None:
        if seen and seen[-1] is job.phase:
            return
        clock = datetime.now().strftime("%H:%M:%S")
        change = f"{seen[-1].value} -> {job.phase.value}" if seen else job.phase.value
        ctx.out.info(f"{clock}  job {for_terminal(job.job_id)}: {change}")
        seen.append(job.phase)

    job = ctx.client.wait(args.job, timeout=None if math.isinf(wait) else wait, on_change=on_change)
    on_change(job)
    if job.phase is Phase.ERROR:
        message = job.error_summary.message if job.error_summary else "no error summary"
        ctx.out.error(
            f"{PROG}: job {for_terminal(job.job_id)} ended in ERROR: {for_terminal(message)}. "
            f"See why with: {ctx.hint(Command.ERROR, job.job_id)}"
        )
        return _job_outcome(job, ExitCode.JOB_FAILED)
    if job.phase is Phase.ABORTED:
        ctx.out.error(f"{PROG}: job {for_terminal(job.job_id)} was aborted.")
        return _job_outcome(job, ExitCode.JOB_FAILED)
    return _job_outcome(job)


def _new(ctx: _Context, args: argparse.Namespace) -> Outcome:
    job = ctx.client.new_job(assignments(args.parameters), run=args.run)
    hint = f"Follow it with: {ctx.hint(Command.SHOW, job.job_id, Flag.WAIT)}"
    if not args.run:
        hint = f"Start it with: {ctx.hint(Command.RUN, job.job_id)}"
    job_id = for_terminal(job.job_id)
    ctx.out.info(f"Created job {job_id} ({job.phase.value}). {hint}")
    return Outcome(doc=fmt.job_doc(job), text=job_id, quiet=job_id)


def _set(ctx: _Context, args: argparse.Namespace) -> Outcome:
    values = assignments(args.parameters)
    try:
        ctx.client.set_parameters(args.job, values)
    except HTTPStatusError as exc:
        # UWS 1.1 §2.2.3.2 posts to <job>/parameters; OPUS has no such route (405, or
        # 500) and takes VALUE=... on <job>/parameters/<name> instead.
        if exc.status not in _NO_PARAMETERS_ROUTE or any(
            isinstance(v, Path) for v in values.values()
        ):
            raise
        for name, value in values.items():
            if isinstance(value, str) and value.startswith("@@"):
                value = value[1:]  # set_parameter sends text as it is
            if not isinstance(value, Path):  # (there is none: checked above)
                ctx.client.set_parameter(args.job, name, value)
    job = ctx.client.get_job(args.job)
    lines = [f"{for_terminal(n)} = {for_terminal(job.parameter(n))}" for n in values]
    return Outcome(doc=fmt.job_doc(job), text="\n".join(lines))


def _duration(ctx: _Context, args: argparse.Namespace) -> Outcome:
    ctx.client.set_execution_duration(args.job, args.seconds)
    seconds = ctx.client.get_execution_duration(args.job)
    shown = "unknown" if seconds is None else "no limit" if seconds == 0 else f"{seconds} s"
    return Outcome(
        doc={"job_id": args.job, "execution_duration": seconds},
        text=f"Job {for_terminal(args.job)}: execution duration {shown}",
    )


def _destruction(ctx: _Context, args: argparse.Namespace) -> Outcome:
    ctx.client.set_destruction(args.job, args.time)
    when = ctx.client.get_destruction(args.job)
    return Outcome(
        doc={"job_id": args.job, "destruction": when.isoformat() if when else None},
        text=f"Job {for_terminal(args.job)}: destruction {fmt.fmt_time(when) or 'unknown'}",
    )


def _run(ctx: _Context, args: argparse.Namespace) -> Outcome:
    job = ctx.client.run_job(args.job)
    return Outcome(
        doc=fmt.job_doc(job),
        text=f"Started job {for_terminal(job.job_id)} ({job.phase.value})",
    )


def _abort(ctx: _Context, args: argparse.Namespace) -> Outcome:
    job = ctx.client.abort_job(args.job)
    return Outcome(
        doc=fmt.job_doc(job),
        text=f"Aborted job {for_terminal(job.job_id)} ({job.phase.value})",
    )


def _delete(ctx: _Context, args: argparse.Namespace) -> Outcome:
    ctx.client.delete_job(args.job)
    return Outcome(
        doc={"job_id": args.job, "deleted": True}, text=f"Deleted job {for_terminal(args.job)}"
    )


def _results(ctx: _Context, args: argparse.Namespace) -> Outcome:
    results = ctx.client.get_results(args.job)
    if not results:
        ctx.out.info(f"Job {for_terminal(args.job)} has no results.")
    return Outcome(
        doc={"job_id": args.job, "results": [fmt.result_doc(r) for r in results]},
        text=fmt.results_table(results) if results else None,
        quiet="\n".join(for_terminal(r.id) for r in results),
    )


def _error(ctx: _Context, args: argparse.Namespace) -> Outcome:
    job = ctx.client.get_job(args.job)
    summary = job.error_summary
    has_error = job.phase is Phase.ERROR or summary is not None
    detail = _error_detail(ctx.client, job) if has_error else None
    doc = {
        "job_id": job.job_id,
        "phase": job.phase.value,
        "error_summary": fmt.job_doc(job)["error_summary"],
        "detail": detail,
    }
    if summary is None and detail is None:
        text = f"Job {for_terminal(job.job_id)} ({job.phase.value}) has no error."
        return Outcome(doc=doc, text=text, quiet="")
    lines = [f"Job {for_terminal(job.job_id)}: {job.phase.value}"]
    if summary is not None:
        kind = f" [{for_terminal(summary.type)}]" if summary.type else ""
        lines.append(f"Summary: {for_terminal(summary.message)}{kind}")
    if detail and (summary is None or detail.strip() != summary.message.strip()):
        shown = detail if len(detail) <= _DETAIL_LIMIT else detail[:_DETAIL_LIMIT] + "\n[...]"
        lines.append("Detail:")
        lines.extend("  " + line for line in for_terminal(shown, one_line=False).splitlines())
    quiet = for_terminal(summary.message if summary else detail)
    return Outcome(doc=doc, text="\n".join(lines), quiet=quiet)


def _error_detail(client: Client, job: Job) -> Optional[str]:
    """The job's error document as text, or None when it has none."""
    try:
        return client.get_error(job.job_id) or None
    except ServiceErrorDocument as exc:  # DaCHS: /error is a VOTable error document
        return exc.server_message or str(exc)
    except NotFound:
        return None


def _download(ctx: _Context, args: argparse.Namespace) -> Outcome:
    job = ctx.client.get_job(args.job)
    chosen = chosen_results(ctx.out, job, args.results)
    job_id = for_terminal(job.job_id)
    if job.phase is not Phase.COMPLETED and chosen:
        ctx.out.info(f"Job {job_id} is {job.phase.value}: results may be incomplete.")
    outdir = Path(args.output).expanduser()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the directory {outdir}: {exc.strerror}") from None
    plan = plan_downloads(chosen, outdir, args.overwrite)
    for item in plan:
        _tell_planned(ctx.out, item)
    fetch(ctx.client, ctx.out, [p for p in plan if p.state.fetched], args.overwrite == "always")
    if not chosen:
        ctx.out.info(f"Job {job_id} ({job.phase.value}) has no results to download.")
    files: List[Dict[str, Any]] = [
        {
            "id": p.result.id,
            "path": str(p.dest),
            "size": p.dest.stat().st_size,
            "status": p.state.value,
        }
        for p in plan
    ]
    rows = [
        [p.result.id, str(p.dest), fmt.fmt_size(p.dest.stat().st_size), p.state.value] for p in plan
    ]
    return Outcome(
        doc={"job_id": job.job_id, "directory": str(outdir), "files": files},
        text=fmt.table(["RESULT ID", "FILE", "SIZE", "STATUS"], rows) if files else None,
        quiet="",
    )


def _tell_planned(out: Output, planned: Planned) -> None:
    """The note for a result that is not simply downloaded under its own name."""
    if planned.state is State.PRESENT:
        out.info(f"{planned.dest} is already there (verified): not downloaded again.")
    elif planned.state is State.KEPT:
        out.info(
            f"{planned.dest} exists and cannot be verified: kept ({Flag.OVERWRITE} replaces it)."
        )
    elif planned.state is State.RENAMED:
        out.info(
            f"Result {for_terminal(planned.result.id)}: its name is taken, saved as {planned.dest}."
        )


_COMMANDS: Dict[str, Callable[[_Context, argparse.Namespace], Outcome]] = {
    Command.LIST: _list,
    Command.SHOW: _show,
    Command.NEW: _new,
    Command.SET: _set,
    Command.DURATION: _duration,
    Command.DESTRUCTION: _destruction,
    Command.RUN: _run,
    Command.ABORT: _abort,
    Command.DELETE: _delete,
    Command.RESULTS: _results,
    Command.DOWNLOAD: _download,
    Command.ERROR: _error,
}
