"""The documented function, :func:`uws_call_expres`, and :func:`attach` to take over a job.

A short script over :class:`uws_lite.Client`: check everything locally (:func:`prepare`),
submit and start the job, then (``LOOP=True``) wait for its end and save every result
(:func:`execute`). Only local mistakes and server/network failures raise; a job that ends
in ERROR or ABORTED is an :class:`ExpresRun` with ``ok=False``.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable, Dict, Optional, Tuple, Union

from uws_lite import Client
from uws_lite.errors import InvalidRequest
from uws_lite.models import Phase
from uws_lite.naming import safe_filename
from uws_lite.numbers import check_seconds
from uws_lite.transport import DEFAULT_TIMEOUT

from .access import DEFAULT_SERVER, Access, resolve_access
from .config import CheckedInputs, check_inputs, check_run_id
from .errors import ConfigError
from .follow import FollowContext, follow_job, make_run
from .outcome import ExpresRun
from .output import Console, printable, progress_wanted
from .saving import check_output_dir, check_overwrite
from .submit import submit
from .waiting import clock_time
from .words import PYTHON, Vocabulary

__all__ = [
    "Plan",
    "attach",
    "check_job_id",
    "execute",
    "follow",
    "open_client",
    "prepare",
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
    strict: bool = False,
    request_timeout: Optional[float] = None,
) -> ExpresRun:
    """Run ExPRES on the run-on-demand service with the config ``FILE``.

    The first eight parameters are those of the documented recipe, same names, order and
    defaults. Guests (no ``LOGIN``) always use job list ``ExPRES`` and branch ``master``.
    With ``LOGIN``, the token is ``TOKEN``, else the environment variable ``EXPRES_TOKEN``,
    else the ``~/.netrc`` entry for the server's host; the job list is ``Job_List``, else
    ``ExPRES-dev`` for ``branch="develop"``, else ``ExPRES``; the branch defaults to master.

    Everything is checked before anything is sent (files, JSON, ``executionDuration``:
    seconds, at most 600 for guests and 10800 when authenticated; ``output_dir`` is created
    if missing and must be writable), and the config's content with
    :func:`~uws_call_expres.checks.check_config`: its problems are printed as warnings and
    the config is sent anyway, unless ``strict=True``, where its errors raise
    :class:`ConfigError` before anything is sent. ``LOOP=False`` returns once the job is
    started, with its phase read back and ``reattach``, the :func:`attach` call that takes it
    over; ``LOOP=True`` waits for its end (at most ``timeout`` seconds, a finite number > 0;
    default: the duration limit plus a margin; the wait ends within ``timeout`` + 2 s
    whatever the server does, see :mod:`uws_lite.wait`) and saves every result, also those
    the server lists shortly after the end, into ``output_dir`` under a safe version of its
    id (``overwrite``: "rename" (default), "always" or "never"). A file already there that
    is the result (verified) is kept and not downloaded again, so running or attaching again
    into the same directory is safe.
    ``verbose=False`` prints nothing; ``progress`` draws download bars (default: when
    standard error is a terminal). ``request_timeout``: seconds to wait for each answer of
    the server (default: 90). ``server`` may also be a job list URL (``.../rest/ExPRES``).
    Ctrl-C while waiting prints how to re-attach; the job keeps running on the server.

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
        strict=strict,
        request_timeout=request_timeout,
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
    request_timeout: Optional[float] = None,
) -> ExpresRun:
    """Take over an existing job: wait for its end and save its results, as ``LOOP=True``.

    For a run interrupted by Ctrl-C, a closed laptop or a network cut. ``Job_List``,
    ``LOGIN`` and ``TOKEN`` follow the routing of :func:`uws_call_expres` (a job of the
    develop list needs ``Job_List="ExPRES-dev"``). ``timeout``: as for
    :func:`uws_call_expres`, the wait ends within ``timeout`` + 2 s; NaN, infinities,
    booleans, zero or negative values raise :class:`ConfigError` before any request.
    """
    job_id = check_job_id(job_id)
    access = resolve_access(
        server=server,
        job_list=Job_List,
        login=LOGIN,
        token=TOKEN,
        request_timeout=request_timeout,
    )
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
    with open_client(access) as client:
        job = client.get_job(check_job_id(job_id))
        console.info(f"Job : {printable(job.job_id)}")
        context = FollowContext(
            access, output_dir, (), overwrite, timeout, job.run_id, access.warnings
        )
        return follow_job(client, job, context, console, progress=progress)


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
    strict: bool = False,
    words: Vocabulary = PYTHON,
    request_timeout: Optional[float] = None,
) -> Plan:
    """Every local decision and check of a run; raises before anything is sent (with
    ``strict``, also for the errors :func:`~uws_call_expres.checks.check_config` finds).
    Error messages name the settings in ``words`` (the command line passes ``words.CLI``)."""
    access = resolve_access(
        server=server,
        job_list=Job_List,
        branch=branch,
        login=LOGIN,
        token=TOKEN,
        request_timeout=request_timeout,
        words=words,
    )
    inputs = check_inputs(
        FILE,
        FILE_EPHEM,
        executionDuration,
        max_duration=access.max_duration,
        authenticated=access.authenticated,
        strict=strict,
        words=words,
    )
    run_id = check_run_id(runID, words)
    check_overwrite(overwrite)
    out = check_output_dir(output_dir, words)
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

    def where(job_id: str) -> Path:
        # The job id comes from the server: as a directory name it is made safe like a result.
        return plan.output_dir / safe_filename(job_id) if per_job_dir else plan.output_dir

    with open_client(access) as client:
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
            job = submit(client, form, files, access, console, where)
        console.info(f"Job : {printable(job.job_id)}")
        out = where(job.job_id)
        protected = tuple(p for p in (inputs.config, inputs.ephemeris) if p is not None)
        context = FollowContext(
            access,
            out,
            protected,
            plan.overwrite,
            plan.timeout,
            plan.run_id,
            access.warnings + inputs.warnings,
        )
        if on_submitted is not None:
            on_submitted(job.job_id, console.words.reattach(job.job_id, access, out))
        if not plan.loop:
            console.info(f"{clock_time(datetime.now(timezone.utc))} {job.phase}")
            return make_run(client, job, context, ok=job.phase not in _FAILED_PHASES)
        return follow_job(client, job, context, console, progress=progress)


def open_client(access: Access) -> Client:
    """A client for the access's job list, with its credentials and request timeout."""
    timeout = DEFAULT_TIMEOUT
    if access.request_timeout is not None:
        timeout = DEFAULT_TIMEOUT._replace(read=access.request_timeout)
    return Client(access.list_url, auth=access.auth, timeout=timeout)


def _check_timeout(timeout: Optional[float]) -> Optional[float]:
    if timeout is None:
        return None
    return check_seconds(timeout, "timeout", error=ConfigError)


def check_job_id(job_id: str) -> str:
    if not isinstance(job_id, str) or not _JOB_ID_RE.match(job_id):
        raise InvalidRequest(
            f"{job_id!r} is not a job id (letters, digits, '.', '_', '-', '~'; e.g. '2a3490')."
        )
    return job_id
