"""The UWS client: one method per UWS resource (UWS 1.1 §2.2.1).

Every request goes through one :class:`uws_lite.transport.Transport` (session, retries,
timeouts, redirects, error mapping; credentials in :mod:`uws_lite.auth`), downloads
included (:mod:`uws_lite.download`). The wait loop is in :mod:`uws_lite.wait`, XML reading
in :mod:`uws_lite.documents` (over :mod:`uws_lite.xmlsafe`); forms and URL pieces in
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

import contextlib
import dataclasses
import functools
import time
from datetime import datetime
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from ._answers import Reply
from ._batch import download_all
from ._forms import FilePart, FormItems, FormValue, build_form, text_value
from ._redaction import scrub_job, scrub_job_list, scrub_parameters
from ._retry import MAX_RETRY_AFTER
from ._transfer import TransferSettings
from ._urlparts import check_job_id, iso_time, query_string, segment, strict_phase
from .auth import NoAuth
from .documents import parse_job, parse_job_list, parse_parameters, parse_results
from .download import (
    DEFAULT_STALL_TIMEOUT,
    DownloadItem,
    DownloadReport,
    ItemProgress,
    Progress,
)
from .errorbodies import error_message
from .errors import (
    CreationInterrupted,
    HTTPStatusError,
    InvalidRequest,
    JobNotFound,
    MalformedLocation,
    NotFound,
    ParseError,
    ServiceErrorDocument,
    UnsafeURL,
    UWSError,
    redact_url,
)
from .models import Job, JobList, Parameter, Phase, Result
from .numbers import check_count, check_seconds
from .times import parse_datetime
from .transport import DEFAULT_TIMEOUT, Timeout, Timeouts, Transport
from .urls import check_service_url, is_http_url
from .wait import WaitPolicy, wait_for_job
from .xmlsafe import MAX_DOCUMENT_BYTES, MAX_JOB_LIST_BYTES

__all__ = ["DEFAULT_RETRIES", "Auth", "Client", "FilePart", "FormValue"]

Auth = Union[Tuple[str, str], AuthBase, None]
OnChange = Callable[[Job], None]

DEFAULT_RETRIES = 4

# Read timeout margin above a WAIT, and the read timeout for WAIT=-1 ("the server's
# maximum": 600 s on OPUS, 300 s on DaCHS).
_WAIT_MARGIN = 10.0
_UNLIMITED_WAIT_READ = 660.0
_Doc = TypeVar("_Doc")
_TEXT_LIMIT = 1024 * 1024  # bytes of a text/plain resource (phase, quote, a parameter)
_CREATED = frozenset({201, 202, 301, 302, 303})

_LIST_TOO_LARGE = (
    "a job list that holds many jobs (a guest list holds every guest's) can be this big: "
    "raise the limit with get_job_list(max_size=...) or Client(max_job_list_size=...), "
    "or ask for fewer jobs (phases=, after=, last=)"
)


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
        self._job_urls: Dict[str, str] = {}

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
        check_job_id(job_id)
        known = self._job_urls.get(job_id)
        if known is not None:
            return known
        return f"{self._url}/{quote(job_id, safe='')}"

    # -- job list
    def get_job_list(
        self,
        phases: Optional[Iterable[Union[Phase, str]]] = None,
        after: Union[datetime, str, None] = None,
        last: Optional[int] = None,
        *,
        max_size: Optional[int] = None,
    ) -> JobList:
        """GET the job list; PHASE parameters go last in the query (OPUS parses them by regex).

        ``after``: an aware datetime is sent in UTC with ``Z`` (UWS §2.2.1); a naive one
        is sent as written, without a zone, which a standard server reads as UTC and OPUS
        as its local time (the time zone of its own naive documents); a string is checked
        to be a date and sent as given. ``last``: a positive integer (OPUS returns the
        *oldest* n: see :meth:`JobList.newest_first`). ``max_size``: the largest list
        (bytes) read, for this call; default ``Client(max_job_list_size=...)``, 256 MiB.
        A larger answer raises ParseError naming the limit. The list is parsed
        incrementally (jobs are freed as they are read).
        """
        limit = self._max_job_list_size
        if max_size is not None:
            limit = check_count(max_size, "max_size")
        query: List[Tuple[str, str]] = []
        if after is not None:
            query.append(("AFTER", iso_time(after, "after")))
        if last is not None:
            if isinstance(last, bool) or not isinstance(last, int) or last < 1:
                raise InvalidRequest(f"last must be a positive integer, not {last!r}")
            query.append(("LAST", str(last)))
        for phase in phases if phases is not None else ():
            query.append(("PHASE", strict_phase(phase).value))
        url = self._url + query_string(query)
        reply = self._get(url, not_found=NotFound, max_body=limit, too_large=_LIST_TOO_LARGE)
        jobs = self._parse(
            functools.partial(parse_job_list, max_bytes=limit),
            self._transport.xml_body(reply, "a UWS job list"),
            reply.url,
        )
        return self._scrubbed(jobs, scrub_job_list)

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
        reply = self._post_creation(parameters, files)
        job_url, job = self._created(reply)
        try:
            if run:
                self._post(job_url + "/phase", [("PHASE", "RUN")])
            if job is None or run:
                job = self._fetch_job(job_url)
        except UWSError as exc:
            exc.job_url, exc.job_id = self._remember_created(job_url)
            raise
        except KeyboardInterrupt as exc:
            raise CreationInterrupted(*self._remember_created(job_url)) from exc
        self._job_urls[job.job_id] = job_url
        return job

    def _post_creation(
        self, parameters: Optional[Mapping[str, FormValue]], files: Optional[Mapping[str, FilePart]]
    ) -> Reply:
        """The creation POST, checked (a 303 is its success)."""
        with contextlib.ExitStack() as stack:
            form, uploads = build_form(parameters, files, stack)
            try:
                reply = self._transport.send(
                    "POST",
                    self._url,
                    data=form,
                    files=uploads or None,
                    max_body=MAX_DOCUMENT_BYTES,
                )
            except MalformedLocation as exc:
                raise self._lost_job(exc) from exc
        self._transport.check(reply, not_found=NotFound, redirect_ok=True)
        return reply

    def _created(self, reply: Reply) -> Tuple[str, Optional[Job]]:
        """The new job's URL, and the job when the answer was its document."""
        try:
            location = reply.location
        except MalformedLocation as exc:
            raise self._lost_job(exc) from exc
        if reply.status in _CREATED and location is not None:
            return location.rstrip("/"), None
        if reply.ok and reply.body.strip():
            # Not the 303 of §2.2.3.1, but some servers answer the job document directly.
            job = self._parse(parse_job, self._transport.xml_body(reply, "a UWS job"), reply.url)
            job = self._scrubbed(job, scrub_job)
            return self.job_url(job.job_id), job
        raise HTTPStatusError(
            f"POST {redact_url(self._url)} answered HTTP {reply.status} without the "
            "Location of the new job (UWS §2.2.3.1 requires a 303 to it): the job may "
            "have been created anyway; check the job list.",
            url=reply.url,
            status=reply.status,
        )

    def _lost_job(self, exc: MalformedLocation) -> MalformedLocation:
        # The server accepted the POST: a job may well exist, but its URL is unknown.
        return MalformedLocation(
            f"POST {redact_url(self._url)}: the answer's Location header is malformed, so "
            "the new job's URL is unknown, but a job may have been created anyway. List the "
            "jobs (Client.get_job_list(), or `uws-lite list`) to find it, and follow or "
            f"delete it by its id. ({exc})",
            url=exc.url,
        )

    def _remember_created(self, job_url: str) -> Tuple[str, Optional[str]]:
        """(redacted job URL, job id or None) of a job created although new_job fails: the
        caller can follow or delete it instead of leaving an unknown job behind (OPUS keeps
        it). Later calls use the 303's Location for it."""
        job_id: Optional[str] = unquote(urlsplit(job_url).path.rstrip("/").rsplit("/", 1)[-1])
        try:
            check_job_id(job_id or "")
        except InvalidRequest:
            job_id = None
        if job_id is not None:
            self._job_urls[job_id] = job_url
        return redact_url(job_url), job_id

    create_job = new_job

    # -- the job and its phase
    def get_job(
        self, job_id: str, wait: Optional[int] = None, phase: Union[Phase, str, None] = None
    ) -> Job:
        """GET the job; ``wait``/``phase`` send UWS 1.1 ``WAIT``/``PHASE`` (blocking).

        ``wait``: seconds (>= 0) or -1 for the server's maximum; the read timeout of this
        request is raised above it. ``phase`` (only with ``wait``): PENDING, QUEUED or
        EXECUTING, the only phases in which a server may block (§2.2.1.2).
        """
        return self._get_job(job_id, wait, phase, None)

    def _get_job(
        self,
        job_id: str,
        wait: Optional[int],
        phase: Union[Phase, str, None],
        deadline: Optional[float],
    ) -> Job:
        query: List[Tuple[str, str]] = []
        read_timeout: Optional[float] = None
        if wait is not None:
            check_count(wait, "wait (seconds, or -1)", minimum=-1)
            query.append(("WAIT", str(wait)))
            read_timeout = _UNLIMITED_WAIT_READ if wait == -1 else wait + _WAIT_MARGIN
        if phase is not None:
            guard = strict_phase(phase)
            if wait is None:
                raise InvalidRequest("phase is a guard for wait: give wait as well")
            if not guard.is_active:
                raise InvalidRequest(f"phase must be PENDING, QUEUED or EXECUTING, not {guard}")
            query.append(("PHASE", guard.value))
        return self._fetch_job(
            self.job_url(job_id) + query_string(query), read_timeout=read_timeout, deadline=deadline
        )

    def get_phase(self, job_id: str) -> Phase:
        """GET ``<job>/phase`` (text/plain); anything that is not a phase reads as UNKNOWN."""
        return Phase.parse(self._get_text(self.job_url(job_id) + "/phase", "the job's phase"))

    def run_job(self, job_id: str) -> Job:
        """POST ``PHASE=RUN`` to ``<job>/phase``; return the job as it is afterwards."""
        return self._set_phase(job_id, "RUN")

    def abort_job(self, job_id: str) -> Job:
        """POST ``PHASE=ABORT`` to ``<job>/phase``; return the job as it is afterwards."""
        return self._set_phase(job_id, "ABORT")

    def delete_job(self, job_id: str) -> None:
        """DELETE the job (falling back to POST ``ACTION=DELETE`` when the server answers
        405 or 501 to DELETE); the 303 to the job list is never followed. 404 raises
        JobNotFound."""
        url = self.job_url(job_id)
        reply = self._transport.send("DELETE", url, max_body=_TEXT_LIMIT)
        if reply.status in (405, 501):
            reply = self._transport.send(
                "POST", url, data=[("ACTION", "DELETE")], max_body=_TEXT_LIMIT
            )
        self._transport.check(reply, not_found=JobNotFound, redirect_ok=True)
        self._job_urls.pop(job_id, None)

    # -- job sub-resources
    def get_parameters(self, job_id: str) -> Tuple[Parameter, ...]:
        """GET ``<job>/parameters`` (OPUS values come URL-decoded)."""
        reply = self._get(self.job_url(job_id) + "/parameters")
        body = self._transport.xml_body(reply, "a UWS parameter list")
        return self._scrubbed(self._parse(parse_parameters, body, reply.url), scrub_parameters)

    def get_parameter(self, job_id: str, name: str) -> str:
        """GET ``<job>/parameters/<name>``: the raw value (for a file parameter, its
        content or URL, as the server stores it). NotFound for an unknown parameter."""
        url = f"{self.job_url(job_id)}/parameters/{segment(name, 'parameter name')}"
        try:
            return self._get_text(url, "the parameter's value", not_found=NotFound, strip=False)
        except ServiceErrorDocument:
            # DaCHS has no <job>/parameters/<name> resource (HTTP 200 + VOTable "Too many
            # segments"): read the value from the job's parameter list instead.
            pass
        params = self.get_parameters(job_id)
        for same in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
            found = [p for p in params if same(p.id, name)]  # DaCHS lower-cases TAP names
            if found:
                return found[-1].value or ""
        raise NotFound(
            f"Job {job_id} has no parameter {name!r} (it has: "
            f"{', '.join(p.id for p in params) or 'none'}).",
            url=url,
            status=404,
        )

    def set_parameters(self, job_id: str, parameters: Mapping[str, FormValue]) -> None:
        """POST ``name=value`` pairs to ``<job>/parameters`` (UWS 1.1 §2.2.3.2; PENDING
        only). DaCHS takes this; OPUS does not (use :meth:`set_parameter`). Values are
        read as in :meth:`new_job` (files are uploaded as multipart parts)."""
        url = self.job_url(job_id) + "/parameters"
        with contextlib.ExitStack() as stack:
            form, uploads = build_form(parameters, None, stack)
            reply = self._transport.send(
                "POST", url, data=form, files=uploads or None, max_body=_TEXT_LIMIT
            )
        self._transport.check(reply, not_found=JobNotFound, redirect_ok=True)

    def set_parameter(self, job_id: str, name: str, value: Union[str, int, float]) -> None:
        """POST ``VALUE=<value>`` to ``<job>/parameters/<name>``: OPUS's way of changing
        one parameter of a PENDING job (UWS servers such as DaCHS take
        :meth:`set_parameters` instead)."""
        url = f"{self.job_url(job_id)}/parameters/{segment(name, 'parameter name')}"
        self._post(url, [("VALUE", text_value(name, value))])

    def get_execution_duration(self, job_id: str) -> Optional[int]:
        """GET ``<job>/executionduration``: seconds (0 = unlimited), None when empty."""
        url = self.job_url(job_id) + "/executionduration"
        text = self._get_text(url, "the execution duration")
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if number.is_integer():
                return int(number)
            raise ParseError(
                f"GET {redact_url(url)}: {text[:50]!r} is not a number of seconds",
                url=url,
                excerpt=text[:200],
            ) from None

    def set_execution_duration(self, job_id: str, seconds: int) -> None:
        """POST ``EXECUTIONDURATION`` (seconds, 0 = unlimited; the server may override it)."""
        check_count(seconds, "the execution duration (seconds)", minimum=0)
        url = self.job_url(job_id) + "/executionduration"
        self._post(url, [("EXECUTIONDURATION", str(seconds))])

    def get_destruction(self, job_id: str) -> Optional[datetime]:
        """GET ``<job>/destruction``: None when the server sets none (empty text)."""
        url = self.job_url(job_id) + "/destruction"
        text = self._get_text(url, "the destruction time")
        return parse_datetime(text) if text else None

    def set_destruction(self, job_id: str, when: Union[datetime, str]) -> None:
        """POST ``DESTRUCTION`` (ISO 8601; aware -> UTC with Z, naive -> as written, which
        OPUS reads as its local time; the server may override it)."""
        url = self.job_url(job_id) + "/destruction"
        self._post(url, [("DESTRUCTION", iso_time(when, "when"))])

    def get_error(self, job_id: str) -> str:
        """The ``<job>/error`` document reduced to readable text ("" when empty).

        Any representation is accepted here (plain text, HTML, a VOTable error)."""
        url = self.job_url(job_id) + "/error"
        reply = self._get(url, error_document_ok=True)
        message = error_message(reply.body, reply.headers.get("Content-Type"))
        return self._transport.scrub(message.strip()) if message else ""

    def get_quote(self, job_id: str) -> Optional[str]:
        """GET ``<job>/quote``: the server's estimate of the end time, as text; None when
        unknown (empty)."""
        return self._get_text(self.job_url(job_id) + "/quote", "the quote") or None

    def get_owner(self, job_id: str) -> Optional[str]:
        """GET ``<job>/owner``; None when empty."""
        return self._get_text(self.job_url(job_id) + "/owner", "the owner") or None

    def get_results(self, job_id: str) -> Tuple[Result, ...]:
        """GET ``<job>/results`` (hrefs resolved against that URL)."""
        reply = self._get(self.job_url(job_id) + "/results")
        body = self._transport.xml_body(reply, "a UWS result list")
        return self._parse(parse_results, body, reply.url)

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
        policy = policy or WaitPolicy()
        read = self._transport.timeouts.read
        bound = max(1, min(policy.max_wait, int(read - _WAIT_MARGIN)))
        if bound != policy.max_wait:
            policy = dataclasses.replace(policy, max_wait=bound)

        # The requests' deadline is real time, even when a test replaces the loop's clock.
        deadline = None if timeout is None else time.monotonic() + timeout

        def fetch(wait: Optional[int], phase: Optional[Phase]) -> Job:
            return self._get_job(job_id, wait, phase, deadline)

        options: Dict[str, Any] = {}
        if clock is not None:
            options["clock"] = clock
        if sleep is not None:
            options["sleep"] = sleep
        return wait_for_job(fetch, timeout=timeout, on_change=on_change, policy=policy, **options)

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

        report: Optional[ItemProgress] = None
        if progress is not None:
            one = progress

            def report(item: DownloadItem, done: int, total: Optional[int]) -> None:
                one(done, total)

        outcomes = self.download_many(
            [(result, dest)],
            progress=report,
            overwrite=overwrite,
            timeout=timeout,
            stall_timeout=stall_timeout,
        )
        outcomes.raise_for_failures()
        return outcomes[0].path

    def download_many(
        self,
        results_and_dests: Iterable[Tuple[Union[Result, str], Union[str, Path]]],
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
        items = [_download_item(result, dest) for result, dest in results_and_dests]
        deadline = None
        if timeout is not None:
            deadline = time.monotonic() + check_seconds(timeout, "the download's total timeout")
        settings = TransferSettings(
            overwrite=overwrite, stall_timeout=stall_timeout, deadline=deadline
        )
        return download_all(
            self._transport, items, settings, max_workers=max_workers, progress=progress
        )

    # -- internals
    def _get(
        self,
        url: str,
        *,
        not_found: Type[NotFound] = JobNotFound,
        read_timeout: Optional[float] = None,
        max_body: int = MAX_DOCUMENT_BYTES,
        error_document_ok: bool = False,
        deadline: Optional[float] = None,
        too_large: Optional[str] = None,
    ) -> Reply:
        reply = self._transport.send(
            "GET",
            url,
            read_timeout=read_timeout,
            max_body=max_body,
            follow_redirects=True,
            deadline=deadline,
            too_large=too_large,
        )
        self._transport.check(reply, not_found=not_found, error_document_ok=error_document_ok)
        return reply

    def _get_text(
        self,
        url: str,
        what: str,
        *,
        not_found: Type[NotFound] = JobNotFound,
        strip: bool = True,
    ) -> str:
        reply = self._get(url, not_found=not_found, max_body=_TEXT_LIMIT)
        text = self._transport.scrub(self._transport.text_body(reply, what))
        return text.strip() if strip else text

    def _post(self, url: str, form: FormItems) -> Reply:
        reply = self._transport.send("POST", url, data=form, max_body=_TEXT_LIMIT)
        self._transport.check(reply, not_found=JobNotFound, redirect_ok=True)
        return reply

    def _fetch_job(
        self, url: str, *, read_timeout: Optional[float] = None, deadline: Optional[float] = None
    ) -> Job:
        reply = self._get(url, read_timeout=read_timeout, deadline=deadline)
        # Job.url is the job's address, without the WAIT/PHASE query of this request.
        job_url = urlunsplit(urlsplit(reply.url)._replace(query="", fragment=""))
        job = self._parse(parse_job, self._transport.xml_body(reply, "a UWS job"), job_url)
        return self._scrubbed(job, scrub_job)

    def _parse(self, parse: Callable[..., _Doc], body: bytes, url: Optional[str]) -> _Doc:
        # A document that cannot be parsed is quoted in the error: scrub it like the rest.
        try:
            return parse(body, url=url)
        except ParseError as exc:
            if not self._transport.secrets:
                raise
            scrub = self._transport.scrub
            raise ParseError(scrub(str(exc)), url=exc.url, excerpt=scrub(exc.excerpt)) from None

    def _scrubbed(
        self, document: _Doc, scrub: Callable[[_Doc, Callable[[str], str]], _Doc]
    ) -> _Doc:
        # Server texts may echo the caller's token: never hand it back (uws_lite._redaction).
        if not self._transport.secrets:
            return document
        return scrub(document, self._transport.scrub)

    def _set_phase(self, job_id: str, action: str) -> Job:
        url = self.job_url(job_id)
        self._post(url + "/phase", [("PHASE", action)])
        return self._fetch_job(url)


def _download_item(result: Union[Result, str], dest: Union[str, Path]) -> DownloadItem:
    if isinstance(result, Result):
        href, size, sha1 = result.href, result.size, result.sha1
    else:
        href, size, sha1 = result, None, None
    if not href or not is_http_url(href):
        raise UnsafeURL(
            f"Result href {redact_url(href)!r} is not an http(s) URL: it will not be "
            "fetched (nothing was downloaded). Leave it out, or use the job's results "
            "list (Client.get_results).",
            url=href,
        )
    return DownloadItem(href, Path(dest), expected_size=size, sha1=sha1)
