"""The plumbing under :class:`uws_lite.Client`: one job list's requests and documents.

:class:`Service` sends through the client's :class:`~uws_lite.transport.Transport`, checks
each answer (its status mapped to an error, a body size cap), parses UWS documents
(:mod:`uws_lite.documents`) and scrubs what they echo of the caller's secrets
(:mod:`uws_lite._redaction`), and remembers each created job's URL (DaCHS TAP jobs live
under another path than the job list).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)
from urllib.parse import quote, urlsplit, urlunsplit

from ._answers import Reply
from ._forms import FormItems, FormValue, build_form
from ._redaction import scrub_job, scrub_job_list
from ._urlparts import check_job_id, iso_time, query_string, strict_phase
from .documents import parse_job, parse_job_list
from .errors import InvalidRequest, JobNotFound, NotFound, ParseError, redact_url
from .models import Job, JobList, Parameter, Phase
from .numbers import check_count, check_seconds
from .transport import Transport
from .xmlsafe import MAX_DOCUMENT_BYTES

if TYPE_CHECKING:
    from .wait import WaitPolicy

__all__ = ["TEXT_LIMIT", "Service", "deadline_in", "parameter_value"]

_Doc = TypeVar("_Doc")

TEXT_LIMIT = 1024 * 1024  # bytes of a text/plain resource (phase, quote, a parameter)
# Read timeout margin above a WAIT, and the read timeout for WAIT=-1 ("the server's
# maximum": 600 s on OPUS, 300 s on DaCHS).
_WAIT_MARGIN = 10.0
_UNLIMITED_WAIT_READ = 660.0
_LIST_TOO_LARGE = (
    "a job list that holds many jobs (a guest list holds every guest's) can be this big: "
    "raise the limit with get_job_list(max_size=...) or Client(max_job_list_size=...), "
    "or ask for fewer jobs (phases=, after=, last=)"
)


class Service:
    """The job list at ``url``, reached through ``transport``."""

    def __init__(self, url: str, transport: Transport) -> None:
        self.url = url
        self.transport = transport
        self._job_urls: Dict[str, str] = {}

    # -- job URLs
    def job_url(self, job_id: str) -> str:
        """The creation 303's Location of a job created here, else ``<list url>/<job id>``
        (a jobref's href is never trusted)."""
        check_job_id(job_id)
        known = self._job_urls.get(job_id)
        if known is not None:
            return known
        return f"{self.url}/{quote(job_id, safe='')}"

    def remember(self, job_id: str, job_url: str) -> None:
        """Use ``job_url`` for this job from now on (the Location of its creation)."""
        self._job_urls[job_id] = job_url

    def forget(self, job_id: str) -> None:
        self._job_urls.pop(job_id, None)

    # -- requests
    def get(
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
        """GET ``url`` (redirects followed), its status checked."""
        reply = self.transport.send(
            "GET",
            url,
            read_timeout=read_timeout,
            max_body=max_body,
            follow_redirects=True,
            deadline=deadline,
            too_large=too_large,
        )
        self.transport.check(reply, not_found=not_found, error_document_ok=error_document_ok)
        return reply

    def get_text(
        self,
        url: str,
        what: str,
        *,
        not_found: Type[NotFound] = JobNotFound,
        strip: bool = True,
    ) -> str:
        """A text/plain resource (``what`` it is, for errors), scrubbed of secrets."""
        reply = self.get(url, not_found=not_found, max_body=TEXT_LIMIT)
        text = self.transport.scrub(self.transport.text_body(reply, what))
        return text.strip() if strip else text

    def post(self, url: str, form: FormItems) -> Reply:
        """POST a small form (a phase, a parameter, a time); a 303 back is success."""
        reply = self.transport.send("POST", url, data=form, max_body=TEXT_LIMIT)
        self.transport.check(reply, not_found=JobNotFound, redirect_ok=True)
        return reply

    def post_form(self, url: str, values: Mapping[str, FormValue]) -> None:
        """POST ``values`` as :meth:`uws_lite.Client.new_job` reads them (files uploaded
        as multipart parts); a 303 back is success."""
        with contextlib.ExitStack() as stack:
            form, uploads = build_form(values, None, stack)
            reply = self.transport.send(
                "POST", url, data=form, files=uploads or None, max_body=TEXT_LIMIT
            )
        self.transport.check(reply, not_found=JobNotFound, redirect_ok=True)

    def get_seconds(self, url: str, what: str) -> Optional[int]:
        """A whole number of seconds as text (``600``, or ``600.0``); None when empty."""
        text = self.get_text(url, what)
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

    def delete(self, url: str) -> None:
        """DELETE, or POST ``ACTION=DELETE`` where the server answers 405 or 501 to DELETE;
        the 303 to the job list is never followed."""
        reply = self.transport.send("DELETE", url, max_body=TEXT_LIMIT)
        if reply.status in (405, 501):
            reply = self.transport.send(
                "POST", url, data=[("ACTION", "DELETE")], max_body=TEXT_LIMIT
            )
        self.transport.check(reply, not_found=JobNotFound, redirect_ok=True)

    # -- jobs
    def get_job_list(
        self,
        phases: Optional[Iterable[Union[Phase, str]]],
        after: Union[datetime, str, None],
        last: Optional[int],
        limit: int,
        deadline: Optional[float] = None,
    ) -> JobList:
        """GET the job list (at most ``limit`` bytes, by ``deadline`` when given); PHASE
        parameters go last in the query (OPUS parses them by regex)."""
        query: List[Tuple[str, str]] = []
        if after is not None:
            query.append(("AFTER", iso_time(after, "after")))
        if last is not None:
            if isinstance(last, bool) or not isinstance(last, int) or last < 1:
                raise InvalidRequest(f"last must be a positive integer, not {last!r}")
            query.append(("LAST", str(last)))
        for phase in phases if phases is not None else ():
            query.append(("PHASE", strict_phase(phase).value))
        return self.get_document(
            self.url + query_string(query),
            functools.partial(parse_job_list, max_bytes=limit),
            "a UWS job list",
            scrub_job_list,
            not_found=NotFound,
            max_body=limit,
            too_large=_LIST_TOO_LARGE,
            deadline=deadline,
        )

    def get_job(
        self,
        job_id: str,
        wait: Optional[int] = None,
        phase: Union[Phase, str, None] = None,
        deadline: Optional[float] = None,
    ) -> Job:
        """GET the job, blocking with UWS 1.1 ``WAIT``/``PHASE`` when asked (the read timeout
        raised above the wait)."""
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
        return self.fetch_job(
            self.job_url(job_id) + query_string(query), read_timeout=read_timeout, deadline=deadline
        )

    def fetch_job(
        self, url: str, *, read_timeout: Optional[float] = None, deadline: Optional[float] = None
    ) -> Job:
        """GET and parse the job document at ``url``."""
        reply = self.get(url, read_timeout=read_timeout, deadline=deadline)
        # Job.url is the job's address, without the WAIT/PHASE query of this request.
        job_url = urlunsplit(urlsplit(reply.url)._replace(query="", fragment=""))
        return self.job_document(reply, job_url)

    def job_document(self, reply: Reply, url: Optional[str]) -> Job:
        """The UWS job document of ``reply``, parsed and scrubbed."""
        job = self.parse(parse_job, self.transport.xml_body(reply, "a UWS job"), url)
        return self.scrubbed(job, scrub_job)

    def get_document(
        self,
        url: str,
        parse: Callable[..., _Doc],
        what: str,
        scrub: Optional[Callable[[_Doc, Callable[[str], str]], _Doc]] = None,
        *,
        not_found: Type[NotFound] = JobNotFound,
        max_body: int = MAX_DOCUMENT_BYTES,
        too_large: Optional[str] = None,
        deadline: Optional[float] = None,
    ) -> _Doc:
        """GET an XML document (``what`` it is, for errors), parsed, and scrubbed with
        ``scrub`` when the document can echo the caller's secrets."""
        reply = self.get(
            url, not_found=not_found, max_body=max_body, too_large=too_large, deadline=deadline
        )
        document = self.parse(parse, self.transport.xml_body(reply, what), reply.url)
        return document if scrub is None else self.scrubbed(document, scrub)

    def wait(
        self,
        job_id: str,
        timeout: Optional[float],
        on_change: Optional[Callable[[Job], None]],
        policy: WaitPolicy,
        clock: Optional[Callable[[], float]],
        sleep: Optional[Callable[[float], None]],
    ) -> Job:
        """Follow the job to its end with :func:`uws_lite.wait.wait_for_job` (see
        :meth:`uws_lite.Client.wait`), each WAIT at least 10 s below the read timeout."""
        bound = max(1, min(policy.max_wait, int(self.transport.timeouts.read - _WAIT_MARGIN)))
        if bound != policy.max_wait:
            policy = dataclasses.replace(policy, max_wait=bound)
        # The requests' deadline is real time, even when a test replaces the loop's clock.
        deadline = None if timeout is None else time.monotonic() + timeout

        def fetch(wait: Optional[int], phase: Optional[Phase]) -> Job:
            return self.get_job(job_id, wait, phase, deadline)

        options: Dict[str, Any] = {}
        if clock is not None:
            options["clock"] = clock
        if sleep is not None:
            options["sleep"] = sleep
        from .wait import wait_for_job

        return wait_for_job(fetch, timeout=timeout, on_change=on_change, policy=policy, **options)

    def set_phase(self, job_id: str, action: str) -> Job:
        """POST ``PHASE=<action>`` and GET the job as it is afterwards."""
        url = self.job_url(job_id)
        self.post(url + "/phase", [("PHASE", action)])
        return self.fetch_job(url)

    # -- documents
    def parse(self, parse: Callable[..., _Doc], body: bytes, url: Optional[str]) -> _Doc:
        """``parse(body, url=url)``; a document that cannot be parsed is quoted in the
        error, scrubbed like the rest."""
        try:
            return parse(body, url=url)
        except ParseError as exc:
            if not self.transport.secrets:
                raise
            scrub = self.transport.scrub
            raise ParseError(scrub(str(exc)), url=exc.url, excerpt=scrub(exc.excerpt)) from None

    def scrubbed(self, document: _Doc, scrub: Callable[[_Doc, Callable[[str], str]], _Doc]) -> _Doc:
        """Server texts may echo the caller's token: never hand it back."""
        if not self.transport.secrets:
            return document
        return scrub(document, self.transport.scrub)


def parameter_value(params: Sequence[Parameter], name: str, job_id: str, url: str) -> str:
    """The value of parameter ``name`` in a job's parameter list: the same name, else the
    same name but for case (DaCHS lower-cases TAP names); NotFound when there is none."""
    for same in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
        found = [p for p in params if same(p.id, name)]
        if found:
            return found[-1].value or ""
    raise NotFound(
        f"Job {job_id} has no parameter {name!r} (it has: "
        f"{', '.join(p.id for p in params) or 'none'}).",
        url=url,
        status=404,
    )


def deadline_in(timeout: Optional[float]) -> Optional[float]:
    """The :func:`time.monotonic` instant ``timeout`` seconds from now (a finite number > 0,
    else InvalidRequest), or None without a timeout."""
    if timeout is None:
        return None
    return time.monotonic() + check_seconds(timeout, "timeout")
