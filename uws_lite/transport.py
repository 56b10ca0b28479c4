"""HTTP for uws_lite: one path for every request, API calls and downloads alike.

:class:`Transport` holds the session (retries, :mod:`uws_lite._retry`), the auth
(:mod:`uws_lite.auth`), one :class:`Timeouts` value and the service's origin. Every request
goes out through :meth:`Transport._exchange`: credentials only to the service's origin (at
every hop), ONE redirect loop (GETs only, at most :data:`~uws_lite._answers.MAX_REDIRECTS`
hops, each ``Location`` checked), the deadline of :mod:`uws_lite.deadline` over the whole
exchange, and every requests/urllib3 exception turned into a :mod:`uws_lite.errors` type.
:meth:`Transport.send` reads a bounded answer for the client; :meth:`Transport.stream`
hands a download the live answer. One table maps an unsuccessful status to its typed error
and advice, for both (:meth:`Transport.status_error`).
"""

from __future__ import annotations

import contextlib
import time
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import default_user_agent

from . import _answers
from ._answers import MAX_ERROR_BODY, MAX_REDIRECTS, REDIRECT_STATUSES, Reply, resolve_location
from ._multipart import MultipartBody
from ._neterrors import cut_off, network_error
from ._retry import MAX_RETRY_AFTER, make_retry
from ._version import __version__
from .auth import BasicAuth, build_auth, header_secrets
from .auth import send as send_scoped
from .deadline import DeadlineAdapter, DeadlineTimeout, Watchdog, deadline_scope
from .errors import (
    HTTPStatusError,
    InvalidRequest,
    NotFound,
    ParseError,
    RequestTimeout,
    redact,
    redact_url,
)
from .numbers import check_seconds
from .urls import is_http_url, origin_of

__all__ = [
    "ACCEPT",
    "DEFAULT_STALL_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "Opened",
    "Timeout",
    "Timeouts",
    "Transport",
]

# UWS 1.1 §2.2.2: rich clients ask for XML first; some servers send HTML to browser Accepts.
ACCEPT = "application/xml, text/plain"

# IVOA "softid" note: product/version, then the purpose of the request in parentheses.
USER_AGENT = f"uws_lite/{__version__} (IVOA-science; UWS client) {default_user_agent()}"

_CHUNK = 64 * 1024


class Timeouts(NamedTuple):
    """Connect and read timeouts in seconds; every request has both. A tuple, so it is
    also what requests takes as ``timeout=``."""

    connect: float
    read: float

    @classmethod
    def of(cls, value: Timeout) -> Timeouts:
        """Seconds (both), ``(connect, read)`` or a Timeouts; checked (InvalidRequest)."""
        if isinstance(value, tuple):
            if len(value) != 2:
                raise InvalidRequest(f"timeout must be seconds or (connect, read), not {value!r}")
            connect, read = value
        else:
            connect = read = value
        return cls(
            check_seconds(connect, "the connect timeout"), check_seconds(read, "the read timeout")
        )

    def with_read_at_least(self, seconds: Optional[float]) -> Timeouts:
        """The same, with a read timeout of at least ``seconds`` (a blocking WAIT)."""
        if seconds is None or seconds <= self.read:
            return self
        return Timeouts(self.connect, float(seconds))

    def with_read_at_most(self, seconds: float) -> Timeouts:
        """The same, with a read timeout of at most ``seconds`` (a download's stall timeout)."""
        return self if self.read <= seconds else Timeouts(self.connect, float(seconds))

    def as_tuple(self) -> Tuple[float, float]:
        return (self.connect, self.read)


Timeout = Union[float, Tuple[float, float], Timeouts]
DEFAULT_TIMEOUT = Timeouts(connect=10.0, read=90.0)
# Seconds without a byte after which a download is resumed (it replaces the longer read
# timeout while a body streams; see uws_lite.download).
DEFAULT_STALL_TIMEOUT = 20.0


class Opened(NamedTuple):
    """An answer whose body has not been read yet (see :meth:`Transport.stream`)."""

    method: str
    url: str  # the URL that answered, after the redirects followed
    response: requests.Response
    redirects: int
    watchdog: Watchdog

    @property
    def cut(self) -> bool:
        """Whether the deadline cut the exchange (a read that ended may be short)."""
        return self.watchdog.fired

    def read_reply(self, limit: int) -> Tuple[Reply, bool]:
        """The answer read into a :class:`Reply`, at most ``limit`` bytes of its body, and
        whether there was more."""
        chunks: List[bytes] = []
        size, truncated = 0, False
        for chunk in self.response.iter_content(_CHUNK):
            if size + len(chunk) > limit:
                chunks.append(chunk[: limit - size])
                truncated = True
                break
            chunks.append(chunk)
            size += len(chunk)
        reply = Reply(
            method=self.method,
            url=self.url,
            status=self.response.status_code,
            reason=self.response.reason or "",
            headers=CaseInsensitiveDict(self.response.headers),
            body=b"".join(chunks),
            redirects=self.redirects,
        )
        return reply, truncated


class Transport:
    """Sends requests to one UWS service and checks the answers.

    With its own session (``session=None``) an HTTPAdapter carrying the retry policy is
    mounted for http:// and https://. A caller's session is not reconfigured, except that
    when the adapter it would use for the service is requests' stock one without retries,
    a retrying adapter is mounted for the service's origin only (the caller's other
    hosts and any adapter they configured themselves are left alone).
    """

    def __init__(
        self,
        service_url: str,
        *,
        auth: Any = None,
        session: Optional[requests.Session] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        if not is_http_url(service_url):
            raise InvalidRequest(
                f"the service URL {redact_url(service_url)!r} is not an http(s) URL"
            )
        self.origin = origin_of(service_url)
        self.timeouts = Timeouts.of(timeout)
        retry = make_retry(retries, max_retry_after=max_retry_after)
        self.owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(max_retries=retry)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers["User-Agent"] = USER_AGENT
        else:
            current = session.get_adapter(service_url)
            # requests' stock adapter: Retry(0, read=False). Anything else is the caller's.
            if type(current) is HTTPAdapter and current.max_retries.total == 0:
                session.mount(_origin_prefix(service_url), DeadlineAdapter(max_retries=retry))
        self.session = session
        self.auth = build_auth(auth, session, self.origin)
        own = self.auth.secrets if isinstance(self.auth, BasicAuth) else ()
        self._secrets: Tuple[str, ...] = own + header_secrets(session)

    def close(self) -> None:
        if self.owns_session:
            self.session.close()

    # -- sending
    def send(
        self,
        method: str,
        url: str,
        *,
        data: Optional[Sequence[Tuple[str, str]]] = None,
        files: Optional[List[Tuple[str, Any]]] = None,
        read_timeout: Optional[float] = None,
        max_body: int,
        follow_redirects: bool = False,
        deadline: Optional[float] = None,
        too_large: Optional[str] = None,
    ) -> Reply:
        """Send one request and read at most ``max_body`` bytes of a 2xx body (ParseError
        beyond; its message ends with ``too_large``, the advice on the setting that raises
        the limit). With ``follow_redirects`` a GET follows redirects (the one loop).

        ``deadline`` (a :func:`time.monotonic` instant): the whole request, its retries,
        their sleeps, the redirects and the body, ends by then (see :mod:`uws_lite.deadline`),
        or raises :class:`RequestTimeout`."""
        headers: Dict[str, str] = {"Accept": ACCEPT}
        body: Any = list(data) if data is not None else None
        if files:
            # Streamed from disk with a Content-Length, not read into memory (issue 12).
            body = MultipartBody(body or [], files)
            headers["Content-Type"] = body.content_type
        timeouts = self.timeouts.with_read_at_least(read_timeout)
        follow = follow_redirects and method == "GET"
        with self._exchange(method, url, body, headers, timeouts, deadline, follow) as opened:
            ok = 200 <= opened.response.status_code < 300
            limit = max_body if ok else MAX_ERROR_BODY
            reply, truncated = opened.read_reply(limit)
            if opened.cut:
                raise cut_off(method, opened.url)
        if truncated and ok:
            advice = too_large or "no UWS document is that big: is the URL right?"
            raise ParseError(
                f"{method} {redact_url(reply.url)}: the answer is larger than {limit} bytes "
                f"({limit / 2**20:g} MiB), the limit for this request; it was not read: {advice}",
                url=reply.url,
            )
        return reply

    @contextlib.contextmanager
    def stream(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        timeouts: Optional[Timeouts] = None,
        deadline: Optional[float] = None,
    ) -> Iterator[Opened]:
        """GET ``url`` for a download, redirects followed (the one loop, credentials only to
        the service's origin at each hop), and yield the answer before its body is read.

        Errors before the answer, and requests/urllib3 errors escaping the ``with`` block,
        become :class:`TransportError` types (:class:`TLSError` for TLS failures); a
        malformed or non-http ``Location`` raises :class:`MalformedLocation`. ``deadline``
        bounds the whole exchange, body included (``Opened.cut`` says it was cut)."""
        with self._exchange(
            "GET", url, None, dict(headers), timeouts or self.timeouts, deadline, True
        ) as opened:
            yield opened

    @contextlib.contextmanager
    def _exchange(
        self,
        method: str,
        url: str,
        body: Any,
        headers: Dict[str, str],
        timeouts: Timeouts,
        deadline: Optional[float],
        follow: bool,
    ) -> Iterator[Opened]:
        if self.session.headers.get("User-Agent") in (None, default_user_agent()):
            headers = {**headers, "User-Agent": USER_AGENT}
        timeout: Any = timeouts
        if deadline is not None:
            timeout = DeadlineTimeout(timeouts.connect, timeouts.read, deadline)
        watchdog = Watchdog(deadline)
        where = [url]  # the URL of the hop under way, for messages
        try:
            with watchdog, deadline_scope(deadline):
                response, hops = self._follow(
                    method, where, body, headers, timeout, deadline, follow
                )
                with response:
                    watchdog.watch_response(response)
                    yield Opened(method, where[0], response, hops, watchdog)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if watchdog.fired:
                raise cut_off(method, where[0]) from exc
            raise network_error(exc, method, where[0], self.scrub) from exc

    def _follow(
        self,
        method: str,
        where: List[str],
        body: Any,
        headers: Dict[str, str],
        timeout: Any,
        deadline: Optional[float],
        follow: bool,
    ) -> Tuple[requests.Response, int]:
        """THE redirect loop: the answer, and how many redirects led to it. Stops after
        :data:`MAX_REDIRECTS` hops, giving the last redirect answer back."""
        hops = 0
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                raise RequestTimeout(
                    f"{method} {redact_url(where[0])}: not sent, the deadline has passed. "
                    "Try again with a larger timeout.",
                    where[0],
                )
            response = send_scoped(
                self.session,
                method,
                where[0],
                origin=self.origin,
                auth=self.auth,
                headers=headers,
                timeout=timeout,
                data=body,
            )
            status = response.status_code
            if not follow or status not in REDIRECT_STATUSES or hops >= MAX_REDIRECTS:
                return response, hops
            try:
                location = resolve_location(
                    method, where[0], status, response.headers.get("Location")
                )
            except BaseException:
                response.close()
                raise
            if location is None:
                return response, hops
            response.close()
            where[0], hops = location, hops + 1

    # -- checking
    @property
    def secrets(self) -> Tuple[str, ...]:
        """The forms of the credentials in use that :meth:`scrub` removes."""
        return self._secrets

    def scrub(self, text: str) -> str:
        """Remove the credentials from a text shown to the user (server messages may echo)."""
        return redact(text, self._secrets)

    def status_error(
        self, reply: Reply, *, not_found: Type[NotFound] = NotFound
    ) -> HTTPStatusError:
        """The typed error for an unsuccessful answer (the one status table of
        :mod:`uws_lite._answers`), credentials scrubbed; not raised."""
        return _answers.status_error(reply, self.scrub, not_found=not_found)

    def check(
        self,
        reply: Reply,
        *,
        not_found: Type[NotFound] = NotFound,
        redirect_ok: bool = False,
        error_document_ok: bool = False,
    ) -> None:
        """Raise the typed error for an unsuccessful answer (any 2xx is fine; with
        ``redirect_ok`` also 301/302/303, the "done, see there" answers to a POST or
        DELETE; 307/308 mean "repeat the request elsewhere", so they are errors). A 2xx
        carrying a VOTable error document is an error unless ``error_document_ok`` (the
        job's ``/error`` resource, where such a document is the expected answer)."""
        if reply.ok:
            if not error_document_ok:
                # DaCHS refuses a request with HTTP 200 and a VOTable error document: a 2xx
                # is only a success when its body is not such a document.
                _answers.refuse_votable_error(reply, "a success answer", self.scrub)
            return
        if redirect_ok and reply.status in (301, 302, 303):
            return
        raise self.status_error(reply, not_found=not_found)

    def xml_body(self, reply: Reply, what: str) -> bytes:
        """The body of a 2xx answer that should be a UWS XML document, refusing HTML pages
        and error documents (DaCHS: a VOTable with QUERY_STATUS=ERROR, even with HTTP 200)."""
        _answers.refuse_error_documents(reply, what, self.scrub)
        if reply.content_type in ("application/json", "text/json"):
            raise ParseError(
                f"{reply.method} {redact_url(reply.url)} answered JSON where {what} (XML) "
                "was expected: is the URL a UWS job list?",
                url=reply.url,
                excerpt=_answers.excerpt(reply, self.scrub),
            )
        return reply.body

    def text_body(self, reply: Reply, what: str) -> str:
        """The body of a 2xx text/plain answer, refusing HTML pages and error documents."""
        _answers.refuse_error_documents(reply, what, self.scrub)
        return reply.text()


def _origin_prefix(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
