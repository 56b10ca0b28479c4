"""The documented function, :func:`uws_call_expres`, and :func:`attach` to take over a job.

A short script over :class:`uws_lite.Client`: the settings become one
:class:`~uws_call_expres.options.RunOptions`, checked locally
(:func:`~uws_call_expres.options.prepare`); then the job is submitted and started, and
(``LOOP=True``) followed to its end with every result saved (:func:`execute`). Only local
mistakes and server/network failures raise; a job that ends in ERROR or ABORTED is an
:class:`ExpresRun` with ``ok=False``.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Union

from uws_lite.naming import safe_filename
from uws_lite.text import for_terminal

from .access import DEFAULT_SERVER, open_client
from .config_file import PathArg
from .following import FollowContext, follow_existing, follow_job, make_run
from .options import PreparedRun, RunOptions, prepare
from .outcome import FAILED_PHASES, ExpresRun
from .output import Console, progress_wanted
from .submit import submit
from .waiting import clock_time

if TYPE_CHECKING:
    from .connections import SharedConnections

__all__ = ["attach", "execute", "uws_call_expres"]


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
    plan = prepare(FILE, RunOptions.from_arguments(locals()))
    return execute(plan, Console(verbose), progress=progress_wanted(progress, verbose))


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
    options = RunOptions.from_arguments(locals())
    progress = progress_wanted(progress, verbose)
    return follow_existing(job_id, options, Console(verbose), progress=progress)


def execute(
    plan: PreparedRun,
    console: Console,
    *,
    progress: bool = False,
    per_job_dir: bool = False,
    on_submitted: Optional[Callable[[str, str], None]] = None,
    shared: Optional[SharedConnections] = None,
) -> ExpresRun:
    """Submit and start the planned job; with ``plan.loop``, follow it to the end.

    ``per_job_dir``: save into ``<output_dir>/<job id>/`` (sweeps keep jobs apart).
    ``on_submitted(job_id, reattach command)`` is called once the job exists. ``shared``:
    a sweep's client and watcher (:mod:`uws_call_expres.connections`); without it the run
    opens its own client and long-polls its job (``Client.wait``).
    """
    for warning in plan.warnings:
        console.warning(warning)
    console.info(str(plan.parameters))
    console.debug(f"Job list: {plan.access.list_url}")

    def where(job_id: str) -> Path:
        # The job id comes from the server: as a directory name it is made safe like a result.
        return plan.output_dir / safe_filename(job_id) if per_job_dir else plan.output_dir

    opened = open_client(plan.access) if shared is None else nullcontext(shared.client(plan.access))
    with opened as client:
        job = submit(client, plan, console, where)
        console.info(f"Job : {for_terminal(job.job_id)}")
        watcher = shared.watcher(plan.access) if shared is not None else None
        context = FollowContext.of_run(plan, where(job.job_id), watcher)
        if on_submitted is not None:
            command = console.words.reattach(job.job_id, plan.access, context.output_dir)
            on_submitted(job.job_id, command)
        if not plan.loop:
            console.info(f"{clock_time(datetime.now(timezone.utc))} {job.phase}")
            return make_run(client, job, context, ok=job.phase not in FAILED_PHASES)
        return follow_job(client, job, context, console, progress=progress)
