"""Creating a job (:meth:`uws_lite.Client.new_job`): the creation POST, the new job's URL,
the optional ``PHASE=RUN``, and the job document.

The POST is never retried. Its 303's ``Location`` (resolved against the request URL; it may
be relative) is the job's URL, remembered by the :class:`~uws_lite._service.Service` and
fetched once. Once the server has given that URL the job exists: a later step that fails
raises an error naming the job (``job_id``, ``job_url``), so that the caller can follow it or
delete it rather than leave an unknown job behind.
"""

from __future__ import annotations

import contextlib
from typing import Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from ._answers import Reply
from ._forms import FilePart, FormValue, build_form
from ._service import Service
from ._urlparts import check_job_id
from .errors import (
    CreationInterrupted,
    HTTPStatusError,
    InvalidRequest,
    MalformedLocation,
    NotFound,
    UWSError,
    redact_url,
)
from .models import Job
from .xmlsafe import MAX_DOCUMENT_BYTES

__all__ = ["create_job"]

_CREATED = frozenset({201, 202, 301, 302, 303})


def create_job(
    service: Service,
    parameters: Optional[Mapping[str, FormValue]],
    files: Optional[Mapping[str, FilePart]],
    run: bool,
) -> Job:
    """POST a new job, start it when ``run``, and return its document (see
    :meth:`uws_lite.Client.new_job`)."""
    reply = _post_creation(service, parameters, files)
    job_url, job = _created(service, reply)
    try:
        if run:
            service.post(job_url + "/phase", [("PHASE", "RUN")])
        if job is None or run:
            job = service.fetch_job(job_url)
    except UWSError as exc:
        exc.job_url, exc.job_id = _remember_created(service, job_url)
        raise
    except KeyboardInterrupt as exc:
        raise CreationInterrupted(*_remember_created(service, job_url)) from exc
    service.remember(job.job_id, job_url)
    return job


def _post_creation(
    service: Service,
    parameters: Optional[Mapping[str, FormValue]],
    files: Optional[Mapping[str, FilePart]],
) -> Reply:
    """The creation POST, checked (a 303 is its success)."""
    with contextlib.ExitStack() as stack:
        form, uploads = build_form(parameters, files, stack)
        try:
            reply = service.transport.send(
                "POST",
                service.url,
                data=form,
                files=uploads or None,
                max_body=MAX_DOCUMENT_BYTES,
            )
        except MalformedLocation as exc:
            raise _lost_job(service.url, exc) from exc
    service.transport.check(reply, not_found=NotFound, redirect_ok=True)
    return reply


def _created(service: Service, reply: Reply) -> Tuple[str, Optional[Job]]:
    """The new job's URL, and the job when the answer was its document."""
    try:
        location = reply.location
    except MalformedLocation as exc:
        raise _lost_job(service.url, exc) from exc
    if reply.status in _CREATED and location is not None:
        return location.rstrip("/"), None
    if reply.ok and reply.body.strip():
        # Not the 303 of §2.2.3.1, but some servers answer the job document directly.
        job = service.job_document(reply, reply.url)
        return service.job_url(job.job_id), job
    raise HTTPStatusError(
        f"POST {redact_url(service.url)} answered HTTP {reply.status} without the "
        "Location of the new job (UWS §2.2.3.1 requires a 303 to it): the job may "
        "have been created anyway; check the job list.",
        url=reply.url,
        status=reply.status,
    )


def _lost_job(url: str, exc: MalformedLocation) -> MalformedLocation:
    # The server accepted the POST: a job may well exist, but its URL is unknown.
    return MalformedLocation(
        f"POST {redact_url(url)}: the answer's Location header is malformed, so "
        "the new job's URL is unknown, but a job may have been created anyway. List the "
        "jobs (Client.get_job_list(), or `uws-lite list`) to find it, and follow or "
        f"delete it by its id. ({exc})",
        url=exc.url,
    )


def _remember_created(service: Service, job_url: str) -> Tuple[str, Optional[str]]:
    """(redacted job URL, job id or None) of a job created although new_job fails: the
    caller can follow or delete it instead of leaving an unknown job behind (OPUS keeps
    it). Later calls use the 303's Location for it."""
    job_id: Optional[str] = unquote(urlsplit(job_url).path.rstrip("/").rsplit("/", 1)[-1])
    try:
        check_job_id(job_id or "")
    except InvalidRequest:
        job_id = None
    if job_id is not None:
        service.remember(job_id, job_url)
    return redact_url(job_url), job_id
