"""Creating and starting the job, and what to tell the user when that goes wrong.

The creation POST is never retried (a second POST would make a second job), so a failure
leaves the user unsure whether a job exists. What is printed depends on what is known:

- the server gave the job's URL (its 303) but a later step failed (``PHASE=RUN``, or the
  GET of the job): the job exists. ``Job : <id>`` and the re-attach command are printed
  (:meth:`uws_lite.Client.new_job` names the job on the error), and it is left as it is;
- the POST got a 5xx or no answer in time: OPUS may have stored the job anyway (a creation
  that fails with 500 can leave a PENDING job behind): say so, and how to list and delete it;
- Ctrl-C during the POST: the same, as the request may have reached the server.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import IO, Callable, Dict, Optional, Tuple

from uws_lite import Client
from uws_lite.errors import (
    CreationInterrupted,
    HTTPStatusError,
    MalformedLocation,
    RequestTimeout,
    UWSError,
)
from uws_lite.models import Job
from uws_lite.text import for_terminal

from .access import Access
from .flags import Flag
from .options import PreparedRun
from .output import Console
from .words import delete_command, list_command

__all__ = ["created_job_id", "submit"]


def created_job_id(error: BaseException) -> Optional[str]:
    """The id of the job that exists although submitting it failed (named on the error by
    :meth:`uws_lite.Client.new_job`: ``UWSError.job_id``, or a ``CreationInterrupted``
    Ctrl-C), or None when no job is known to exist."""
    if isinstance(error, (UWSError, CreationInterrupted)):
        return error.job_id or None
    return None


def submit(
    client: Client, plan: PreparedRun, console: Console, output_dir: Callable[[str], Path]
) -> Job:
    """Create the job of ``plan`` and start it (``PHASE=RUN``); on failure print what the
    user needs to find the job again (see the module doc), then raise the error unchanged.
    ``output_dir(job id)`` is where that job's results go (for the re-attach command)."""
    with ExitStack() as stack:
        # Binary file parts named by basename: the bytes go as they are (any encoding),
        # and no local path leaves the machine.
        # ("ephemeride" [sic] is the part the service reads.)
        files: Dict[str, Tuple[str, IO[bytes]]] = {}
        for part, path in (("config", plan.inputs.config), ("ephemeride", plan.inputs.ephemeris)):
            if path is not None:
                files[part] = (path.name, stack.enter_context(path.open("rb")))
        try:
            return client.new_job(plan.form, files=files, run=True)
        except (Exception, KeyboardInterrupt) as exc:
            _report(exc, plan.access, console, output_dir)
            raise


def _report(
    error: BaseException, access: Access, console: Console, output_dir: Callable[[str], Path]
) -> None:
    job_id = created_job_id(error)
    if job_id is not None:
        _report_created(error, job_id, access, console, output_dir(job_id))
        return
    listing = list_command(access)
    if isinstance(error, KeyboardInterrupt):
        console.notice(
            "Interrupted while submitting: the job may have been created anyway; "
            f"see your jobs with:\n  {listing}"
        )
        return
    if isinstance(error, HTTPStatusError):
        _hint_credentials(error, access, console)
    failed = isinstance(error, HTTPStatusError) and error.status >= 500
    if failed or isinstance(error, (RequestTimeout, MalformedLocation)):
        how = "failed" if failed else "did not answer in time"
        if isinstance(error, MalformedLocation):
            how = "answered with a malformed Location (no job URL)"
        console.notice(
            f"The server {how} while creating the job; a job may have been created anyway: "
            f"check with `{listing}` (and delete it with {Flag.DELETE} JOB_ID)."
        )


def _report_created(
    error: BaseException, job_id: str, access: Access, console: Console, output_dir: Path
) -> None:
    """The job exists but starting or reading it failed: how to take it over or delete it."""
    shown = for_terminal(job_id)
    console.info(f"Job : {shown}")
    what = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
    hint = console.words.reattach_hint(job_id, access, output_dir)
    console.notice(
        f"Job {shown} was created, but starting or reading it {what}; it is left on the "
        f"server as it is. To re-attach, {hint}\nIf it stays PENDING, it never "
        f"started: delete it with\n  {delete_command(job_id, access)}\nand submit again."
    )


def _hint_credentials(error: HTTPStatusError, access: Access, console: Console) -> None:
    # OPUS never answers 401: a wrong token shows as a 403 or a 500 on creation.
    if access.authenticated and error.status in (401, 403, 500):
        console.warning(
            f"If this is about permissions: the job was sent as {access.login} with the token "
            f"from {access.token_source}, to the job list {access.job_list}; check both "
            "(OPUS reports a wrong token or a job list you may not use as HTTP 403 or 500)."
        )
