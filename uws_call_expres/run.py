"""The documented function, :func:`uws_call_expres`, and :func:`attach` to take over a job.

A short script over :class:`uws_lite.Client`: check everything locally (:func:`prepare`),
submit and start the job, then (``LOOP=True``) wait for its end and save every result
(:func:`execute`). Only local mistakes and server/network failures raise; a job that ends
in ERROR or ABORTED is an :class:`ExpresRun` with ``ok=False``.
"""

from __future__ import annotations

import os
import re
import shlex
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Dict, List, Optional, Tuple, Union

from uws_lite import Client
from uws_lite.errors import HTTPStatusError, InvalidRequest, JobError, UWSError, WaitTimeout
from uws_lite.models import Job, Phase
from uws_lite.naming import safe_filename

from .access import DEFAULT_SERVER, MAIN_JOB_LIST, Access, resolve_access
from .config import CheckedInputs, check_inputs, check_run_id
from .errors import ResultsIncomplete
from .outcome import ExpresRun
from .output import Console, printable, progress_wanted
from .saving import check_output_dir, check_overwrite, plan_destinations, save_results

__all__ = [
    "Plan",
    "attach",
    "check_job_id",
    "execute",
    "follow",
    "prepare",
    "reattach_command",
    "uws_call_expres",
]

PathArg = Union[str, "os.PathLike[str]"]
# A job id is one path segment of the job URL (OPUS: 6 hex digits).
_JOB_ID_RE = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")
_FAILED_PHASES = frozenset({Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})


def uws_call_expres(
    FILE: PathArg = "example.json",
    FILE_EPHEM: Optional[PathArg] = None,
    Job_List: Optional[str] = None,
    runID: Optional[str] = None,
    LOOP: bool = False,
    branch: Optional[str] = None,
    LOGIN: Optional[str] = None,
    executionDuration: Union[int, str, None] = None,
    *,
    TOKEN: Optional[str] = None,
    server: str = DEFAULT_SERVER,
    output_dir: PathArg = ".",
    timeout: Optional[float] = None,
    verbose: bool = True,
    overwrite: str = "rename",
    progress: Optional[bool] = None,
) -> ExpresRun:
    """Run ExPRES on the run-on-demand service with the config ``FILE``.

    The first eight parameters are those of the documented recipe, same names, order and
    defaults. Guests (no ``LOGIN``) always use job list ``ExPRES`` and branch ``master``.
    With ``LOGIN``, the token is ``TOKEN``, else the environment variable ``EXPRES_TOKEN``,
    else the ``~/.netrc`` entry for the server's host; the job list is ``Job_List``, else
    ``ExPRES-dev`` for ``branch="develop"``, else ``ExPRES``; the branch defaults to master.

    Everything is checked before anything is sent (files, JSON, ``executionDuration``:
    seconds, at most 600 for guests and 10800 when authenticated). ``LOOP=False`` returns
    once the job is started; ``LOOP=True`` waits for its end (at most ``timeout`` seconds;
    default: the duration limit plus a margin) and saves every result into ``output_dir``
    under a safe version of its id (``overwrite``: "rename" (default), "always" or "never").
    ``verbose=False`` prints nothing; ``progress`` draws download bars (default: when
    standard error is a terminal). Ctrl-C while waiting prints how to re-attach; the job
    keeps running on the server.

    Returns an :class:`ExpresRun`. Raises :class:`uws_lite.InvalidRequest` subclasses for
    local mistakes, and uws_lite's errors for server or network failures
    (:class:`uws_lite.WaitTimeout` when the wait's deadline passes).
    """
    plan = prepare(
        FILE,
        FILE_EPHEM,
        Job_List=Job_List,
        runID=runID,
        LOOP=LOOP,
        branch=branch,
        LOGIN=LOGIN,
        executionDuration=executionDuration,
        TOKEN=TOKEN,
        server=server,
        output_dir=output_dir,
        timeout=timeout,
        overwrite=overwrite,
    )
    console = Console(verbose)
    return execute(plan, console, progress=progress_wanted(progress, verbose))


def attach(
    job_id: str,
    *,
    Job_List: Optional[str] = None,
    LOGIN: Optional[str] = None,
    TOKEN: Optional[str] = None,
    server: str = DEFAULT_SERVER,
    output_dir: PathArg = ".",
    timeout: Optional[float] = None,
    verbose: bool = True,
    overwrite: str = "rename",
    progress: Optional[bool] = None,
) -> ExpresRun:
    """Take over an existing job: wait for its end and save its results, as ``LOOP=True``.

    For a run interrupted by Ctrl-C, a closed laptop or a network cut. ``Job_List``,
    ``LOGIN`` and ``TOKEN`` follow the routing of :func:`uws_call_expres` (a job of the
    develop list needs ``Job_List="ExPRES-dev"``).
    """
    job_id = check_job_id(job_id)
    access = resolve_access(server=server, job_list=Job_List, login=LOGIN, token=TOKEN)
    out = check_output_dir(output_dir)
    check_overwrite(overwrite)
    return follow(
        job_id,
        access,
        Console(verbose),
        output_dir=out,
        overwrite=overwrite,
        timeout=_check_timeout(timeout),
        progress=progress_wanted(progress, verbose),
    )


def follow(
    job_id: str,
    access: Access,
    console: Console,
    *,
    output_dir: Path,
    overwrite: str = "rename",
    timeout: Optional[float] = None,
    progress: bool = False,
) -> ExpresRun:
    """:func:`attach` with its arguments already checked (the command line's entry)."""
    for warning in access.warnings:
        console.warning(warning)
    with Client(access.list_url, auth=access.auth) as client:
        job = client.get_job(check_job_id(job_id))
        console.info(f"Job : {printable(job.job_id)}")
        console.info(str(job.phase))
        context = _Context(access, output_dir, (), overwrite, timeout, job.run_id, access.warnings)
        return _follow(client, job, context, console, progress=progress)


@dataclass(frozen=True)
class Plan:
    """One run, checked locally and ready to submit (see :func:`prepare`)."""

    access: Access
    inputs: CheckedInputs
    run_id: str
    loop: bool
    output_dir: Path
    overwrite: str
    timeout: Optional[float]

    @property
    def parameters(self) -> Dict[str, Union[str, int]]:
        """What is sent, as the recipe printed it (file parts by the name the server sees)."""
        shown: Dict[str, Union[str, int]] = {"config": self.inputs.config.name}
        if self.inputs.ephemeris is not None:
            shown["ephemeride"] = self.inputs.ephemeris.name
        shown["runId"] = self.run_id
        shown["branch"] = self.access.branch
        if self.inputs.execution_duration is not None:
            shown["executionDuration"] = self.inputs.execution_duration
        return shown


def prepare(
    FILE: PathArg,
    FILE_EPHEM: Optional[PathArg] = None,
    *,
    Job_List: Optional[str] = None,
    runID: Optional[str] = None,
    LOOP: bool = False,
    branch: Optional[str] = None,
    LOGIN: Optional[str] = None,
    executionDuration: Union[int, str, None] = None,
    TOKEN: Optional[str] = None,
    server: str = DEFAULT_SERVER,
    output_dir: PathArg = ".",
    timeout: Optional[float] = None,
    overwrite: str = "rename",
) -> Plan:
    """Every local decision and check of a run; raises before anything is sent."""
    access = resolve_access(
        server=server, job_list=Job_List, branch=branch, login=LOGIN, token=TOKEN
    )
    inputs = check_inputs(
        FILE,
        FILE_EPHEM,
        executionDuration,
        max_duration=access.max_duration,
        authenticated=access.authenticated,
    )
    run_id = check_run_id(runID)
    check_overwrite(overwrite)
    out = check_output_dir(output_dir)
    return Plan(access, inputs, run_id, bool(LOOP), out, overwrite, _check_timeout(timeout))


def execute(
    plan: Plan,
    console: Console,
    *,
    progress: bool = False,
    per_job_dir: bool = False,
    on_submitted: Optional[Callable[[str, str], None]] = None,
) -> ExpresRun:
    """Submit and start the planned job; with ``plan.loop``, follow it to the end.

    ``per_job_dir``: save into ``<output_dir>/<job id>/`` (sweeps keep jobs apart).
    ``on_submitted(job_id, reattach command)`` is called once the job exists.
    """
    access, inputs = plan.access, plan.inputs
    for warning in access.warnings + inputs.warnings:
        console.warning(warning)
    console.info(str(plan.parameters))
    console.debug(f"Job list: {access.list_url}")
    form: Dict[str, Union[str, int]] = {"runId": plan.run_id, "branch": access.branch}
    if inputs.execution_duration is not None:
        form["executionDuration"] = str(inputs.execution_duration)
    with Client(access.list_url, auth=access.auth) as client:
        with ExitStack() as stack:
            # Binary file parts named by basename: the bytes go as they are (any encoding),
            # and no local path leaves the machine.
            files: Dict[str, Tuple[str, IO[bytes]]] = {
                "config": (inputs.config.name, stack.enter_context(inputs.config.open("rb")))
            }
            if inputs.ephemeris is not None:
                files["ephemeride"] = (
                    inputs.ephemeris.name,
                    stack.enter_context(inputs.ephemeris.open("rb")),
                )
            try:
                job = client.new_job(form, files=files, run=True)
            except HTTPStatusError as exc:
                _hint_credentials(exc, access, console)
                raise
            except KeyboardInterrupt:
                listing = _command(["--list"], access)
                console.notice(
                    "Interrupted while submitting: the job may have been created anyway; "
                    f"see your jobs with:\n  {listing}"
                )
                raise
        console.info(str(job.phase))
        console.info(f"Job : {printable(job.job_id)}")
        # The job id comes from the server: as a directory name it is made safe like a result.
        out = plan.output_dir / safe_filename(job.job_id) if per_job_dir else plan.output_dir
        protected = tuple(p for p in (inputs.config, inputs.ephemeris) if p is not None)
        context = _Context(
            access,
            out,
            protected,
            plan.overwrite,
            plan.timeout,
            plan.run_id,
            access.warnings + inputs.warnings,
        )
        if on_submitted is not None:
            on_submitted(job.job_id, reattach_command(job.job_id, access, out))
        if not plan.loop:
            return _outcome(client, job, context, ok=job.phase not in _FAILED_PHASES)
        return _follow(client, job, context, console, progress=progress)


def reattach_command(job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
    """The shell command that takes the job over again (never with the token)."""
    return _command(["--attach", job_id], access, output_dir)


def _command(action: List[str], access: Access, output_dir: Optional[Path] = None) -> str:
    args = ["python", "-m", "uws_call_expres", *action]
    if access.job_list != MAIN_JOB_LIST:
        args += ["--job-list", access.job_list]
    if access.login is not None:
        args += ["--login", access.login]
    if access.server != DEFAULT_SERVER:
        args += ["--server", access.server]
    if output_dir is not None and output_dir != Path.cwd():
        args += ["--output-dir", str(output_dir)]
    return " ".join(shlex.quote(arg) for arg in args)


@dataclass(frozen=True)
class _Context:
    access: Access
    output_dir: Path
    protected: Tuple[Path, ...]
    overwrite: str
    timeout: Optional[float]
    run_id: Optional[str]
    warnings: Tuple[str, ...] = ()


def _follow(
    client: Client, job: Job, context: _Context, console: Console, *, progress: bool
) -> ExpresRun:
    """Wait for the job's end, report it, save its results."""
    command = reattach_command(job.job_id, context.access, context.output_dir)
    last = [job.phase]

    def on_change(current: Job) -> None:
        if current.phase is not last[0]:
            last[0] = current.phase
            console.info(str(current.phase))

    if not job.phase.is_terminal:
        deadline = context.timeout or _default_deadline(job, context.access)
        try:
            job = client.wait(job.job_id, timeout=deadline, on_change=on_change)
        except KeyboardInterrupt:
            console.notice(
                f"Interrupted. Job {job.job_id} keeps running on the server; "
                f"re-attach with:\n  {command}"
            )
            raise
        except WaitTimeout as exc:
            console.notice(
                f"Job {job.job_id} is still {exc.job.phase} after {deadline:.0f} s; it keeps "
                f"running on the server. Re-attach later with:\n  {command}"
            )
            raise
        except JobError as exc:  # HELD, or never started
            console.notice(f"Job {job.job_id} is {exc.job.phase}: {exc}")
            raise
    failed = job.phase is not Phase.COMPLETED
    detail: Optional[str] = None
    if failed:
        console.info("Job failed")
        detail = _report_failure(client, job, console)
    else:
        console.info("Job completed")
    try:
        planned = plan_destinations(
            job.results,
            context.output_dir,
            protected=context.protected,
            overwrite=context.overwrite,
        )
        files, failures = save_results(
            client, planned, console, overwrite=context.overwrite, progress=progress
        )
    except KeyboardInterrupt:
        console.notice(
            f"Interrupted while downloading. Job {job.job_id} is {job.phase}; download its "
            f"results again with:\n  {command}"
        )
        raise
    run = _outcome(client, job, context, ok=not failed and not failures, detail=detail, files=files)
    if failures and not failed:
        raise ResultsIncomplete(
            f"Job {job.job_id} completed but {len(failures)} of its {len(planned)} results "
            f"could not be saved ({', '.join(printable(rid) for rid, _ in failures)}); "
            f"retry with: {command}",
            run=run,
            failures=failures,
        )
    return run


def _hint_credentials(error: HTTPStatusError, access: Access, console: Console) -> None:
    # OPUS never answers 401: a wrong token shows as a 403 or a 500 on creation.
    if access.authenticated and error.status in (401, 403, 500):
        console.warning(
            f"If this is about permissions: the job was sent as {access.login} with the token "
            f"from {access.token_source}, to the job list {access.job_list}; check both "
            "(OPUS reports a wrong token or a job list you may not use as HTTP 403 or 500)."
        )


def _report_failure(client: Client, job: Job, console: Console) -> Optional[str]:
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


def _outcome(
    client: Client,
    job: Job,
    context: _Context,
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
    )


def _default_deadline(job: Job, access: Access) -> float:
    """How long to wait when no timeout is given: the run's own duration limit (the job's
    executionDuration, else the access limit) plus a margin for queueing and staging."""
    limit = job.execution_duration or 0
    if limit <= 0 or limit > access.max_duration:
        limit = access.max_duration
    return float(limit + 300 + limit // 10)


def _check_timeout(timeout: Optional[float]) -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InvalidRequest(f"timeout must be a positive number of seconds, not {timeout!r}.")
    return float(timeout)


def check_job_id(job_id: str) -> str:
    if not isinstance(job_id, str) or not _JOB_ID_RE.match(job_id):
        raise InvalidRequest(
            f"{job_id!r} is not a job id (letters, digits, '.', '_', '-', '~'; e.g. '2a3490')."
        )
    return job_id
