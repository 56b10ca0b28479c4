"""The UWS client: one method per UWS resource (UWS 1.1 §2.2.1).

HTTP details (session, auth, retries, timeouts, error mapping) live in
:mod:`uws_lite.transport`, the wait loop in :mod:`uws_lite.wait`, XML reading in
:mod:`uws_lite.parse` and downloads in :mod:`uws_lite.download`.

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
import mimetypes
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import (
    IO,
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

from ._redaction import scrub_job, scrub_job_list, scrub_parameters
from .documents import parse_job, parse_job_list, parse_parameters, parse_results
from .download import (
    DEFAULT_STALL_TIMEOUT,
    DownloadItem,
    ItemProgress,
    download_file,
    download_many,
)
from .errorbodies import error_message
from .errors import (
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
from .transport import MAX_RETRY_AFTER, Reply, Transport
from .wait import WaitPolicy, wait_for_job
from .xmlsafe import MAX_DOCUMENT_BYTES, MAX_JOB_LIST_BYTES

__all__ = ["DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "Client"]

# A form value: text (an "@path" string means "upload this file", uws-client's convention),
# a number, or a local path (Path) which is uploaded as a file part.
FormValue = Union[str, int, float, Path]
# A file part: a path, or (filename, content bytes or binary file object).
FilePart = Union[str, Path, Tuple[str, Union[bytes, IO[bytes]]]]
Auth = Union[Tuple[str, str], AuthBase, None]
Timeout = Union[float, Tuple[float, float]]
OnChange = Callable[[Job], None]
Progress = Callable[[int, Optional[int]], None]

DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 90.0)  # (connect, read) seconds
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

_FormItems = List[Tuple[str, str]]
_FileItems = List[Tuple[str, Tuple[str, Any, str]]]


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
        self._url = _check_service_url(url)
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
        mode = "guest" if type(self._transport.auth).__name__ == "NoAuth" else "authenticated"
        return f"Client({self._url!r}, {mode})"

    # -- URLs
    @property
    def url(self) -> str:
        """The job list URL (no trailing slash)."""
        return self._url

    @property
    def session(self) -> requests.Session:
        """The requests session in use (for :func:`uws_lite.download.download_many`)."""
        return self._transport.session

    @property
    def auth(self) -> AuthBase:
        """The auth object sent with requests (origin-scoped; its repr shows no secret)."""
        return self._transport.auth

    @property
    def timeout(self) -> Tuple[float, float]:
        """(connect, read) seconds."""
        return self._transport.timeouts.as_tuple()

    def job_url(self, job_id: str) -> str:
        """The job's URL: the creation 303's Location when this client created it, else
        ``<list url>/<job id>`` (a jobref's href is never trusted)."""
        _check_job_id(job_id)
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
            query.append(("AFTER", _iso_time(after, "after")))
        if last is not None:
            if isinstance(last, bool) or not isinstance(last, int) or last < 1:
                raise InvalidRequest(f"last must be a positive integer, not {last!r}")
            query.append(("LAST", str(last)))
        for phase in phases if phases is not None else ():
            query.append(("PHASE", _strict_phase(phase).value))
        url = self._url + _query(query)
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
        ``PHASE=RUN`` POST, or the GET of the job), the error raised carries the job's
        ``job_url`` (redacted) and ``job_id`` as attributes: the job exists on the server,
        it can be followed, listed or deleted. Read them with ``getattr(error, "job_id",
        None)``: no other error has them.
        """
        with contextlib.ExitStack() as stack:
            form, uploads = _build_form(parameters, files, stack)
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
        try:
            location = reply.location
        except MalformedLocation as exc:
            raise self._lost_job(exc) from exc
        job: Optional[Job] = None
        if reply.status in _CREATED and location is not None:
            job_url = location.rstrip("/")
        elif reply.ok and reply.body.strip():
            # Not the 303 of §2.2.3.1, but some servers answer the job document directly.
            job = self._parse(parse_job, self._transport.xml_body(reply, "a UWS job"), reply.url)
            job = self._scrubbed(job, scrub_job)
            job_url = self.job_url(job.job_id)
        else:
            raise HTTPStatusError(
                f"POST {redact_url(self._url)} answered HTTP {reply.status} without the "
                "Location of the new job (UWS §2.2.3.1 requires a 303 to it): the job may "
                "have been created anyway; check the job list.",
                url=reply.url,
                status=reply.status,
            )
        try:
            if run:
                self._post(job_url + "/phase", [("PHASE", "RUN")])
            if job is None or run:
                job = self._fetch_job(job_url)
        except (UWSError, KeyboardInterrupt) as exc:
            self._mark_created(exc, job_url)
            raise
        self._job_urls[job.job_id] = job_url
        return job

    def _lost_job(self, exc: MalformedLocation) -> MalformedLocation:
        # The server accepted the POST: a job may well exist, but its URL is unknown.
        return MalformedLocation(
            f"POST {redact_url(self._url)}: the answer's Location header is malformed, so "
            "the new job's URL is unknown, but a job may have been created anyway. List the "
            "jobs (Client.get_job_list(), or `uws-lite list`) to find it, and follow or "
            f"delete it by its id. ({exc})",
            url=exc.url,
        )

    def _mark_created(self, error: BaseException, job_url: str) -> None:
        # The job exists although new_job fails: name it on the error, so that the caller
        # can follow or delete it instead of leaving an unknown job behind (OPUS keeps it).
        setattr(error, "job_url", redact_url(job_url))  # noqa: B010 (not declared on the class)
        job_id = unquote(urlsplit(job_url).path.rstrip("/").rsplit("/", 1)[-1])
        try:
            _check_job_id(job_id)
        except InvalidRequest:
            return
        self._job_urls[job_id] = job_url  # later calls use the 303's Location
        setattr(error, "job_id", job_id)  # noqa: B010

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
            guard = _strict_phase(phase)
            if wait is None:
                raise InvalidRequest("phase is a guard for wait: give wait as well")
            if not guard.is_active:
                raise InvalidRequest(f"phase must be PENDING, QUEUED or EXECUTING, not {guard}")
            query.append(("PHASE", guard.value))
        return self._fetch_job(
            self.job_url(job_id) + _query(query), read_timeout=read_timeout, deadline=deadline
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
        url = f"{self.job_url(job_id)}/parameters/{_segment(name, 'parameter name')}"
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
            form, uploads = _build_form(parameters, None, stack)
            reply = self._transport.send(
                "POST", url, data=form, files=uploads or None, max_body=_TEXT_LIMIT
            )
        self._transport.check(reply, not_found=JobNotFound, redirect_ok=True)

    def set_parameter(self, job_id: str, name: str, value: Union[str, int, float]) -> None:
        """POST ``VALUE=<value>`` to ``<job>/parameters/<name>``: OPUS's way of changing
        one parameter of a PENDING job (UWS servers such as DaCHS take
        :meth:`set_parameters` instead)."""
        url = f"{self.job_url(job_id)}/parameters/{_segment(name, 'parameter name')}"
        self._post(url, [("VALUE", _text_value(name, value))])

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
        self._post(url, [("DESTRUCTION", _iso_time(when, "when"))])

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
        _check_job_id(job_id)
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
        (length, and OPUS's SHA-1 ``hash`` when given; see :mod:`uws_lite.download`).
        Credentials go only to the service's origin. Raises UnsafeURL for a result
        without an http(s) href (``uws:executing:10``, ``file:``, none at all).

        ``timeout``: total seconds for the download (None: no limit); past it,
        DownloadTimeout. ``stall_timeout``: seconds without a byte before it resumes."""
        if isinstance(result, Result):
            href, size, sha1 = result.href, result.size, result.sha1
        else:
            href, size, sha1 = result, None, None
        if not href or not _is_http(href):
            raise UnsafeURL(
                f"Result href {redact_url(href)!r} is not an http(s) URL: it will not be "
                "fetched. Use the job's results list (Client.get_results).",
                url=href,
            )
        return download_file(
            self._transport.session,
            href,
            Path(dest),
            auth=self._transport.auth,
            trusted_origin=self._url,
            timeout=self._transport.timeouts.as_tuple(),
            expected_size=size,
            sha1=sha1,
            progress=progress,
            overwrite=overwrite,
            stall_timeout=stall_timeout,
            total_timeout=timeout,
        )

    def download_many(
        self,
        results_and_dests: Iterable[Tuple[Union[Result, str], Union[str, Path]]],
        *,
        max_workers: int = 4,
        progress: Optional[ItemProgress] = None,
        overwrite: bool = False,
        timeout: Optional[float] = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    ) -> List[Path]:
        """Download several results (or hrefs), at most ``max_workers`` at a time, each
        as :meth:`download` does; return the paths in the order given.

        Every href is checked before any request: one that is not http(s) raises
        UnsafeURL and nothing is downloaded. Then :func:`uws_lite.download.download_many`
        runs with this client's session, auth (sent only to the service's origin) and
        timeouts: on the first failure the other downloads stop and that error is raised;
        files completed before it stay (each complete and verified).
        ``progress(item, done, total)`` is called from the worker threads. ``timeout``:
        total seconds for all of them (DownloadTimeout past it); ``stall_timeout`` as in
        :meth:`download`.
        """
        items: List[DownloadItem] = []
        for result, dest in results_and_dests:
            if isinstance(result, Result):
                href, size, sha1 = result.href, result.size, result.sha1
            else:
                href, size, sha1 = result, None, None
            if not href or not _is_http(href):
                raise UnsafeURL(
                    f"Result href {redact_url(href)!r} is not an http(s) URL: it will not be "
                    "fetched (nothing was downloaded). Leave it out, or use the job's results "
                    "list (Client.get_results).",
                    url=href,
                )
            items.append(DownloadItem(href, Path(dest), expected_size=size, sha1=sha1))
        return download_many(
            self._transport.session,
            items,
            auth=self._transport.auth,
            trusted_origin=self._url,
            timeout=self._transport.timeouts.as_tuple(),
            max_workers=max_workers,
            progress=progress,
            overwrite=overwrite,
            stall_timeout=stall_timeout,
            total_timeout=timeout,
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

    def _post(self, url: str, form: _FormItems) -> Reply:
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


# --- helpers -------------------------------------------------------------------------


def _is_http(href: Optional[str]) -> bool:
    """Whether a (server-given) href is an http(s) URL; never raises."""
    try:
        return bool(href) and urlsplit(href or "").scheme.lower() in ("http", "https")
    except ValueError:  # "http://[::1": not a URL at all
        return False


def _check_service_url(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequest("the job list URL must be a non-empty string")
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise InvalidRequest(f"not a valid URL: {redact_url(url)!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(
            f"the job list URL must be http(s)://host/..., not {redact_url(url)!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest(
            f"credentials in the URL {redact_url(url)!r} are refused: pass auth=(user, password)"
        )
    if parts.query or parts.fragment:
        raise InvalidRequest(
            f"the job list URL {redact_url(url)!r} must not have a query or fragment"
        )
    return url.rstrip("/")


def _check_job_id(job_id: str) -> None:
    if not isinstance(job_id, str) or not job_id.strip() or job_id in (".", ".."):
        raise InvalidRequest(f"not a job id: {job_id!r}")
    if any(ord(c) < 33 or ord(c) == 127 for c in job_id):
        raise InvalidRequest(f"a job id has no spaces or control characters: {job_id!r}")


def _segment(text: str, what: str) -> str:
    if not isinstance(text, str) or not text or text in (".", ".."):
        raise InvalidRequest(f"not a {what}: {text!r}")
    return quote(text, safe="")


def _query(items: List[Tuple[str, str]]) -> str:
    # Built by hand, in order: OPUS reads PHASE with a regex on the raw query string.
    if not items:
        return ""
    return "?" + "&".join(f"{key}={quote(value, safe='')}" for key, value in items)


def _strict_phase(value: Union[Phase, str]) -> Phase:
    if isinstance(value, Phase):
        return value
    if isinstance(value, str):
        try:
            return Phase(value.strip().upper())
        except ValueError:
            pass
    names = ", ".join(p.value for p in Phase)
    raise InvalidRequest(f"not a UWS phase: {value!r} (one of {names})")


def _iso_time(value: Union[datetime, str], what: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            utc = value.astimezone(timezone.utc).replace(tzinfo=None)
            return utc.isoformat(timespec=_timespec(utc)) + "Z"
        return value.isoformat(timespec=_timespec(value))
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_datetime(value.strip())
        except ParseError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is not None:
                # UWS 1.1 §2.2.1: times are UTC with Z; DaCHS refuses other offsets.
                return _iso_time(parsed, what)
            return value.strip()
    raise InvalidRequest(f"{what} must be a datetime or an ISO 8601 string, not {value!r}")


def _timespec(value: datetime) -> str:
    return "microseconds" if value.microsecond else "seconds"


def _text_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        raise InvalidRequest(f"parameter {name!r}: give a boolean as text ('true'/'false')")
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    raise InvalidRequest(f"parameter {name!r}: cannot send a {type(value).__name__} as a value")


def _build_form(
    parameters: Optional[Mapping[str, Any]],
    files: Optional[Mapping[str, Any]],
    stack: contextlib.ExitStack,
) -> Tuple[_FormItems, _FileItems]:
    """Form fields and multipart file parts; every local file is checked and opened
    here, before anything is sent, and closed by ``stack``."""
    form: _FormItems = []
    uploads: _FileItems = []
    for name, value in (parameters or {}).items():
        _check_name(name)
        if value is None:
            continue
        if isinstance(value, Path):
            uploads.append(_file_part(name, value, stack))
        elif isinstance(value, str) and value.startswith("@@"):
            form.append((name, value[1:]))
        elif isinstance(value, str) and value.startswith("@"):
            uploads.append(_file_part(name, Path(value[1:]), stack))
        else:
            form.append((name, _text_value(name, value)))
    for name, part in (files or {}).items():
        _check_name(name)
        if isinstance(part, (str, Path)):
            uploads.append(_file_part(name, Path(part), stack))
        elif isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str):
            filename = _basename(part[0])
            content = part[1]
            if not isinstance(content, bytes) and not hasattr(content, "read"):
                raise InvalidRequest(f"file {name!r}: content must be bytes or a binary file")
            uploads.append((name, (filename, content, _mime(filename))))
        else:
            raise InvalidRequest(f"file {name!r}: give a path or (filename, bytes or binary file)")
    return form, uploads


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"parameter names are non-empty strings, not {name!r}")


def _file_part(
    name: str, path: Path, stack: contextlib.ExitStack
) -> Tuple[str, Tuple[str, Any, str]]:
    path = path.expanduser()
    if not path.is_file():
        raise InvalidRequest(f"parameter {name!r}: no such file {str(path)!r}; nothing was sent")
    try:
        handle = stack.enter_context(path.open("rb"))
    except OSError as exc:
        raise InvalidRequest(f"parameter {name!r}: cannot read {str(path)!r} ({exc})") from None
    # Only the base name goes to the server (OPUS keeps a sanitised base name anyway).
    return name, (path.name, handle, _mime(path.name))


def _basename(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if not base or base in (".", ".."):
        raise InvalidRequest(f"not a usable file name: {filename!r}")
    return base


def _mime(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
