"""The UWS client: one method per UWS resource (UWS 1.1 §2.2.1).

:class:`Client` is the facade: each method is one UWS operation. Every request goes through
one :class:`uws_lite.transport.Transport` (session, retries, timeouts, redirects, error
mapping; credentials in :mod:`uws_lite.auth`), downloads included (:mod:`uws_lite.download`).
The request and document plumbing (status checks, parsing, scrubbing, the job URLs learnt
from creations) is :class:`uws_lite._service.Service`; the creation pipeline is in
:mod:`uws_lite._creation`, the wait loop in :mod:`uws_lite.wait`, XML reading in
:mod:`uws_lite.documents` (over :mod:`uws_lite.xmlsafe`); forms and URL pieces in
:mod:`uws_lite._forms` and :mod:`uws_lite._urlparts`.

Redirects are handled here, explicitly, never by requests:

- creating a job: the 303's ``Location`` (resolved against the request URL; it may be
  relative) is the job's URL, remembered per job id (DaCHS TAP jobs live under another
  path than the job list), and fetched once;
- phase, duration, destruction and parameter POSTs: the 303 back to the job is not
  fetched; :meth:`Client.run_job` and :meth:`Client.abort_job` GET the job afterwards;
- DELETE: the 303 leads to the whole job list and is never followed (pyvo #535).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Tuple, Union

import requests
from requests.auth import AuthBase

from ._creation import create_job
from ._forms import FilePart, FormValue, text_value
from ._redaction import scrub_parameters
from ._retry import MAX_RETRY_AFTER
from ._service import Service, deadline_in, parameter_value
from ._urlparts import check_job_id, iso_time, segment
from .auth import NoAuth
from .documents import parse_parameters, parse_results
from .errorbodies import error_message
from .errors import NotFound, ServiceErrorDocument
from .models import Job, JobList, Parameter, Phase, Result
from .numbers import check_count, check_seconds
from .times import parse_datetime
from .transport import DEFAULT_STALL_TIMEOUT, DEFAULT_TIMEOUT, Timeout, Timeouts, Transport
from .urls import check_service_url
from .xmlsafe import MAX_JOB_LIST_BYTES

if TYPE_CHECKING:  # imported where used: a submission loads neither downloads nor waits
    from ._downloads import ResultAndDest
    from .download import DownloadReport, ItemProgress, Progress
    from .wait import WaitPolicy

__all__ = ["DEFAULT_RETRIES", "Auth", "Client", "FilePart", "FormValue"]

Auth = Union[Tuple[str, str], AuthBase, None]
OnChange = Callable[[Job], None]

DEFAULT_RETRIES = 4


class Client:
    """A UWS job list at ``url`` (e.g. ``https://host/rest/ExPRES``).

    ``auth``: (user, password) for pre-emptive HTTP Basic, or any requests ``AuthBase``;
    None means guest (no Authorization header at all, ``~/.netrc`` is *not* consulted;
    with a caller's ``session`` whose ``session.auth`` is set, that auth is used).
    Credentials are only ever sent to the origin (scheme, host, port) of ``url``.
    ``session``: a ``requests.Session`` to use (not closed by :meth:`close`). It is not
    reconfigured, except that when it would use requests' stock adapter (no retries) for
    the service, a retrying adapter is mounted for the service's origin only.
    ``timeout``: seconds, or (connect, read). ``retries``: how many times idempotent
    requests (GET/HEAD/DELETE/PUT/OPTIONS; never a POST, so never a job creation) are
    retried on connection errors, 502/503/504 and 429, honouring ``Retry-After`` up to
    ``max_retry_after`` seconds per wait. ``max_job_list_size``: the largest job list
    (bytes) :meth:`get_job_list` reads, 256 MiB by default (a guest list of 100 000 jobs
    is about 21 MB); other documents keep a 16 MiB cap.
    """

    def __init__(
        self,
        url: str,
        *,
        auth: Auth = None,
        session: Optional[requests.Session] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_retry_after: float = MAX_RETRY_AFTER,
        max_job_list_size: int = MAX_JOB_LIST_BYTES,
    ) -> None:
        self._url = check_service_url(url)
        self._max_job_list_size = check_count(max_job_list_size, "max_job_list_size")
        self._transport = Transport(
            self._url,
            auth=auth,
            session=session,
            timeout=timeout,
            retries=retries,
            max_retry_after=max_retry_after,
        )
        self._service = Service(self._url, self._transport)

    # -- lifecycle
    def close(self) -> None:
        """Close the session if this client created it."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "guest" if isinstance(self._transport.auth, NoAuth) else "authenticated"
        return f"Client({self._url!r}, {mode})"

    # -- URLs
    @property
    def url(self) -> str:
        """The job list URL (no trailing slash)."""
        return self._url

    @property
    def timeout(self) -> Timeouts:
        """The (connect, read) timeouts of every request, in seconds."""
        return self._transport.timeouts

    def job_url(self, job_id: str) -> str:
        """The job's URL: the creation 303's Location when this client created it, else
        ``<list url>/<job id>`` (a jobref's href is never trusted)."""
        return self._service.job_url(job_id)

    # -- job list
    def get_job_list(
        self,
        phases: Optional[Iterable[Union[Phase, str]]] = None,
        after: Union[datetime, str, None] = None,
        last: Optional[int] = None,
        *,
        max_size: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> JobList:
        """GET the job list; PHASE parameters go last in the query (OPUS parses them by regex).

        ``after``: an aware datetime is sent in UTC with ``Z`` (UWS §2.2.1); a naive one
        is sent as written, without a zone, which a standard server reads as UTC and OPUS
        as its local time (the time zone of its own naive documents); a string is checked
        to be a date and sent as given. ``last``: a positive integer (OPUS returns the
        *oldest* n: see :meth:`JobList.newest_first`). ``max_size``: the largest list
        (bytes) read, for this call; default ``Client(max_job_list_size=...)``, 256 MiB.
        A larger answer raises ParseError naming the limit. The list is parsed
        incrementally (jobs are freed as they are read). ``timeout``: as for
        :meth:`get_job`.
        """
        limit = self._max_job_list_size
        if max_size is not None:
            limit = check_count(max_size, "max_size")
        deadline = deadline_in(timeout)
        return self._service.get_job_list(phases, after, last, limit, deadline)

    # -- creation
    def new_job(
        self,
        parameters: Optional[Mapping[str, FormValue]] = None,
        *,
        files: Optional[Mapping[str, FilePart]] = None,
        run: bool = False,
    ) -> Job:
        """POST a new job (multipart when there are files, urlencoded otherwise), never
        retried; follow the 303's Location with one GET and return the job. With
        ``run=True`` a ``PHASE=RUN`` is POSTed to ``<job>/phase`` afterwards (explicitly:
        servers ignore ``PHASE=RUN`` in the creation form).

        Values: text, numbers (sent as text), ``None`` (left out), a ``Path`` (uploaded),
        or ``"@path"`` (uploaded: uws-client's convention; write ``"@@text"`` to send the
        literal ``"@text"``). ``files``: parameter name -> local path, or (filename,
        bytes or binary file). Each file is a multipart file part whose field name is the
        parameter name and whose filename is the base name (OPUS needs exactly that). A
        missing local file raises InvalidRequest before anything is sent.

        When the job was created (the server gave its URL) but a later step failed (the
        ``PHASE=RUN`` POST, or the GET of the job), the error raised names the job: its
        :attr:`~uws_lite.errors.UWSError.job_id` and ``job_url`` are set (a Ctrl-C then
        raises :class:`~uws_lite.errors.CreationInterrupted`, a KeyboardInterrupt with the
        same two attributes). The job exists on the server: it can be followed, listed or
        deleted.
        """
        return create_job(self._service, parameters, files, run)

    create_job = new_job

    # -- the job and its phase
    def get_job(
        self,
        job_id: str,
        wait: Optional[int] = None,
        phase: Union[Phase, str, None] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Job:
        """GET the job; ``wait``/``phase`` send UWS 1.1 ``WAIT``/``PHASE`` (blocking).

        ``wait``: seconds (>= 0) or -1 for the server's maximum; the read timeout of this
        request is raised above it. ``phase`` (only with ``wait``): PENDING, QUEUED or
        EXECUTING, the only phases in which a server may block (§2.2.1.2).
        ``timeout``: seconds (> 0) the whole call may take, retries and body included
        (:mod:`uws_lite.deadline`); past it, RequestTimeout. None: only the client's
        connect and read timeouts, per attempt and per read, bound it.
        """
        return self._service.get_job(job_id, wait, phase, deadline_in(timeout))

    def get_phase(self, job_id: str) -> Phase:
        """GET ``<job>/phase`` (text/plain); anything that is not a phase reads as UNKNOWN."""
        text = self._service.get_text(self.job_url(job_id) + "/phase", "the job's phase")
        return Phase.parse(text)

    def run_job(self, job_id: str) -> Job:
        """POST ``PHASE=RUN`` to ``<job>/phase``; return the job as it is afterwards."""
        return self._service.set_phase(job_id, "RUN")

    def abort_job(self, job_id: str) -> Job:
        """POST ``PHASE=ABORT`` to ``<job>/phase``; return the job as it is afterwards."""
        return self._service.set_phase(job_id, "ABORT")

    def delete_job(self, job_id: str) -> None:
        """DELETE the job (falling back to POST ``ACTION=DELETE`` when the server answers
        405 or 501 to DELETE); the 303 to the job list is never followed. 404 raises
        JobNotFound."""
        self._service.delete(self.job_url(job_id))
        self._service.forget(job_id)

    # -- job sub-resources
    def get_parameters(self, job_id: str) -> Tuple[Parameter, ...]:
        """GET ``<job>/parameters`` (OPUS values come URL-decoded)."""
        url = self.job_url(job_id) + "/parameters"
        return self._service.get_document(
            url, parse_parameters, "a UWS parameter list", scrub_parameters
        )

    def get_parameter(self, job_id: str, name: str) -> str:
        """GET ``<job>/parameters/<name>``: the raw value (for a file parameter, its
        content or URL, as the server stores it). NotFound for an unknown parameter."""
        url = f"{self.job_url(job_id)}/parameters/{segment(name, 'parameter name')}"
        try:
            return self._service.get_text(
                url, "the parameter's value", not_found=NotFound, strip=False
            )
        except ServiceErrorDocument:
            # DaCHS has no <job>/parameters/<name> resource (HTTP 200 + VOTable "Too many
            # segments"): read the value from the job's parameter list instead.
            pass
        return parameter_value(self.get_parameters(job_id), name, job_id, url)

    def set_parameters(self, job_id: str, parameters: Mapping[str, FormValue]) -> None:
        """POST ``name=value`` pairs to ``<job>/parameters`` (UWS 1.1 §2.2.3.2; PENDING
        only). DaCHS takes this; OPUS does not (use :meth:`set_parameter`). Values are
        read as in :meth:`new_job` (files are uploaded as multipart parts)."""
        self._service.post_form(self.job_url(job_id) + "/parameters", parameters)

    def set_parameter(self, job_id: str, name: str, value: Union[str, int, float]) -> None:
        """POST ``VALUE=<value>`` to ``<job>/parameters/<name>``: OPUS's way of changing
        one parameter of a PENDING job (UWS servers such as DaCHS take
        :meth:`set_parameters` instead)."""
        url = f"{self.job_url(job_id)}/parameters/{segment(name, 'parameter name')}"
        self._service.post(url, [("VALUE", text_value(name, value))])

    def get_execution_duration(self, job_id: str) -> Optional[int]:
        """GET ``<job>/executionduration``: seconds (0 = unlimited), None when empty."""
        url = self.job_url(job_id) + "/executionduration"
        return self._service.get_seconds(url, "the execution duration")

    def set_execution_duration(self, job_id: str, seconds: int) -> None:
        """POST ``EXECUTIONDURATION`` (seconds, 0 = unlimited; the server may override it)."""
        check_count(seconds, "the execution duration (seconds)", minimum=0)
        url = self.job_url(job_id) + "/executionduration"
        self._service.post(url, [("EXECUTIONDURATION", str(seconds))])

    def get_destruction(self, job_id: str) -> Optional[datetime]:
        """GET ``<job>/destruction``: None when the server sets none (empty text)."""
        url = self.job_url(job_id) + "/destruction"
        text = self._service.get_text(url, "the destruction time")
        return parse_datetime(text) if text else None

    def set_destruction(self, job_id: str, when: Union[datetime, str]) -> None:
        """POST ``DESTRUCTION`` (ISO 8601; aware -> UTC with Z, naive -> as written, which
        OPUS reads as its local time; the server may override it)."""
        url = self.job_url(job_id) + "/destruction"
        self._service.post(url, [("DESTRUCTION", iso_time(when, "when"))])

    def get_error(self, job_id: str) -> str:
        """The ``<job>/error`` document reduced to readable text ("" when empty).

        Any representation is accepted here (plain text, HTML, a VOTable error)."""
        url = self.job_url(job_id) + "/error"
        reply = self._service.get(url, error_document_ok=True)
        message = error_message(reply.body, reply.headers.get("Content-Type"))
        return self._transport.scrub(message.strip()) if message else ""

    def get_quote(self, job_id: str) -> Optional[str]:
        """GET ``<job>/quote``: the server's estimate of the end time, as text; None when
        unknown (empty)."""
        return self._service.get_text(self.job_url(job_id) + "/quote", "the quote") or None

    def get_owner(self, job_id: str) -> Optional[str]:
        """GET ``<job>/owner``; None when empty."""
        return self._service.get_text(self.job_url(job_id) + "/owner", "the owner") or None

    def get_results(self, job_id: str) -> Tuple[Result, ...]:
        """GET ``<job>/results`` (hrefs resolved against that URL)."""
        url = self.job_url(job_id) + "/results"
        return self._service.get_document(url, parse_results, "a UWS result list")

    # -- waiting
    def wait(
        self,
        job_id: str,
        *,
        timeout: Optional[float] = None,
        on_change: Optional[OnChange] = None,
        policy: Optional[WaitPolicy] = None,
        clock: Optional[Callable[[], float]] = None,
        sleep: Optional[Callable[[float], None]] = None,
    ) -> Job:
        """Block until the job reaches a terminal phase and return it (ERROR and ABORTED
        are returned, not raised). Raises WaitTimeout, JobHeld, JobNotStarted.

        Long-polls ``WAIT=n&PHASE=<current>`` with n at most 60 s and 10 s below the
        read timeout, falling back to polling with backoff on servers that do not
        block; see :mod:`uws_lite.wait`. ``on_change`` is called with the first state
        and each phase change. ``clock``/``sleep`` replace ``time.monotonic``/``time.sleep``.

        ``timeout`` (seconds >= 0, finite; 0 asks once; None: no deadline) holds: the
        call returns or raises within ``timeout`` + :data:`uws_lite.wait.DEADLINE_MARGIN`
        (2 s) whatever the server does (huge ``Retry-After``, 429/503 forever, requests
        held past WAIT, documents trickled byte by byte, stalls): each request gets at most
        the time left, its retries and body included. NaN, inf, booleans, strings and
        negative values raise InvalidRequest before any request.
        """
        check_job_id(job_id)
        if timeout is not None:
            timeout = check_seconds(timeout, "timeout", zero_ok=True)
        from .wait import WaitPolicy

        return self._service.wait(job_id, timeout, on_change, policy or WaitPolicy(), clock, sleep)

    # -- downloads
    def download(
        self,
        result: Union[Result, str],
        dest: Union[str, Path],
        *,
        progress: Optional[Progress] = None,
        overwrite: bool = False,
        timeout: Optional[float] = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> Path:
        """Stream a result (or an href) to ``dest``, atomically, resumably, verified
        (length, and OPUS's SHA-1 ``hash`` when given; see :mod:`uws_lite.download`), and
        return ``dest``. Credentials go only to the service's origin. A file already at
        ``dest`` that is the result (verified) is not downloaded again.

        Raises UnsafeURL for a result without an http(s) href (``uws:executing:10``,
        ``file:``, none at all), InvalidRequest when ``dest`` holds another file (without
        ``overwrite``), and the download's error when it fails. ``timeout``: total seconds
        (None: no limit); past it, DownloadTimeout. ``stall_timeout``: seconds without a
        byte before it resumes."""
        from ._downloads import item_progress

        outcomes = self.download_many(
            [(result, dest)],
            progress=item_progress(progress),
            overwrite=overwrite,
            timeout=timeout,
            stall_timeout=stall_timeout,
        )
        outcomes.raise_for_failures()
        return outcomes[0].path

    def download_many(
        self,
        results_and_dests: Iterable[ResultAndDest],
        *,
        max_workers: int = 4,
        progress: Optional[ItemProgress] = None,
        overwrite: bool = False,
        timeout: Optional[float] = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> DownloadReport:
        """Download several results (or hrefs), at most ``max_workers`` at a time, each
        as :meth:`download` does; return what happened to each, in the order given: a
        :class:`~uws_lite.download.DownloadReport` of SAVED, PRESENT (already there,
        verified) or FAILED outcomes (``report.raise_for_failures()`` raises the first
        failure). One failure stops no other.

        Raises before any request: UnsafeURL (an href that is not http(s): nothing is
        downloaded), InvalidRequest (two results with one destination, a bad number). A
        destination holding another file (without ``overwrite``) is left alone: that item
        fails with InvalidRequest. Ctrl-C stops them all (their partial files removed) and
        is re-raised; files saved before stay.
        ``progress(item, done, total)`` is called from the worker threads. ``timeout``:
        total seconds for all of them (the unfinished fail with DownloadTimeout);
        ``stall_timeout`` as in :meth:`download`.
        """
        from ._batch import download_all
        from ._downloads import download_items, transfer_settings

        items = download_items(results_and_dests)
        settings = transfer_settings(overwrite, stall_timeout, timeout)
        return download_all(
            self._transport, items, settings, max_workers=max_workers, progress=progress
        )
