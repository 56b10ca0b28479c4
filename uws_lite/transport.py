"""HTTP for uws_lite: one requests session, origin-scoped auth, retries, timeouts, and the
checks every answer goes through before anything is parsed.

All requests/urllib3 exceptions are caught here and turned into :mod:`uws_lite.errors`
types, so none of them escapes the client.
"""

from __future__ import annotations

import base64
import inspect
import logging
import time
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    Union,
)
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from requests.utils import default_user_agent
from urllib3.util.retry import Retry

from . import _scoped as scoped
from ._multipart import MultipartBody
from ._version import __version__
from .deadline import (
    DeadlineAdapter,
    DeadlineTimeout,
    Watchdog,
    current_deadline,
    deadline_scope,
)
from .errorbodies import error_message, votable_error
from .errors import (
    AuthenticationError,
    ConnectionFailed,
    ForbiddenError,
    HTTPStatusError,
    InvalidRequest,
    MalformedLocation,
    NotFound,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    TransportError,
    redact,
    redact_url,
    secret_forms,
)
from .numbers import check_count, check_seconds

if TYPE_CHECKING:
    from urllib3.response import BaseHTTPResponse

__all__ = [
    "ACCEPT",
    "USER_AGENT",
    "BasicAuth",
    "CappedRetry",
    "NoAuth",
    "OriginScopedAuth",
    "Reply",
    "Timeouts",
    "Transport",
    "basic_authorization",
    "make_retry",
    "origin_of",
]

logger = logging.getLogger(__name__)

# UWS 1.1 §2.2.2: rich clients ask for XML first; some servers send HTML to browser Accepts.
ACCEPT = "application/xml, text/plain"


# IVOA "softid" note: product/version, then the purpose of the request in parentheses.
USER_AGENT = f"uws_lite/{__version__} (IVOA-science; UWS client) {default_user_agent()}"

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for an hour must not hang the caller
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_GET_REDIRECTS = 5
MAX_ERROR_BODY = 64 * 1024  # bytes of an error answer read for its message
EXCERPT_CHARS = 500
_CHUNK = 64 * 1024

Timeout = Union[float, Tuple[float, float]]


# --- timeouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds; every request has both."""

    connect: float
    read: float

    @classmethod
    def of(cls, value: Timeout) -> Timeouts:
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
        if seconds is None or seconds <= self.read:
            return self
        return Timeouts(self.connect, float(seconds))

    def as_tuple(self) -> Tuple[float, float]:
        return (self.connect, self.read)


# --- retries -------------------------------------------------------------------------


class CappedRetry(Retry):
    """urllib3's Retry with the ``Retry-After`` wait capped at ``max_retry_after`` seconds.

    urllib3 sleeps as long as the server asks (up to 6 h in urllib3 2). A service
    announcing an hour of maintenance should produce an error after a bounded wait,
    not a frozen program. An unparsable header falls back to the normal backoff.
    """

    max_retry_after: float = MAX_RETRY_AFTER
    # urllib3 1.26 reads the backoff cap from this class attribute (2.x: backoff_max=).
    DEFAULT_BACKOFF_MAX = 10

    def get_retry_after(self, response: BaseHTTPResponse) -> Optional[float]:
        try:
            value = super().get_retry_after(response)
        except (urllib3.exceptions.InvalidHeader, ValueError, OverflowError):
            return None  # unparsable, or more digits than int() accepts
        if value is None:
            return None
        try:
            asked = float(value)
        except OverflowError:
            asked = self.max_retry_after
        capped = min(asked, self.max_retry_after)
        left = _seconds_left()
        if left is not None and capped > left:
            logger.warning(
                "the server asks to retry after %g s; waiting only the %.1f s left before "
                "the deadline",
                asked,
                max(0.0, left),
            )
            return max(0.0, left)
        if capped < asked:
            logger.warning(
                "the server asks to retry after %g s; waiting at most %g s (max_retry_after)",
                asked,
                capped,
            )
        return capped

    def get_backoff_time(self) -> float:
        backoff = float(super().get_backoff_time())
        left = _seconds_left()
        return backoff if left is None else max(0.0, min(backoff, left))

    def is_exhausted(self) -> bool:
        # With a deadline (uws_lite.deadline), no retry starts once the time is up.
        left = _seconds_left()
        return bool(super().is_exhausted()) or (left is not None and left <= 0.05)

    def new(self, **kw: Any) -> CappedRetry:
        # Retry.new() rebuilds the object from its constructor arguments; carry the cap over.
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry


def _seconds_left() -> Optional[float]:
    deadline = current_deadline()
    return None if deadline is None else deadline - time.monotonic()


def make_retry(retries: int, *, max_retry_after: float = MAX_RETRY_AFTER) -> CappedRetry:
    """The retry policy: connection errors, 429/502/503/504 honouring ``Retry-After``,
    only for idempotent methods (a job-creation POST is never repeated), exponential
    backoff with jitter where urllib3 supports it (>= 2.0)."""
    check_count(retries, "retries", minimum=0)
    check_seconds(max_retry_after, "max_retry_after", zero_ok=True)
    kwargs: Dict[str, Any] = {
        "total": retries,
        "connect": retries,
        "read": retries,
        "status": retries,
        "allowed_methods": IDEMPOTENT_METHODS,
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": 0.5,
        "respect_retry_after_header": True,
        # Give the last error answer back instead of raising: its body carries the message.
        "raise_on_status": False,
    }
    accepted = inspect.signature(Retry.__init__).parameters
    if "backoff_max" in accepted:
        kwargs["backoff_max"] = 10.0
    if "backoff_jitter" in accepted:
        kwargs["backoff_jitter"] = 0.5
    retry = CappedRetry(**kwargs)
    retry.max_retry_after = float(max_retry_after)
    return retry


# --- auth ----------------------------------------------------------------------------


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit ("" if unparsable)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value for HTTP Basic (RFC 7617, UTF-8).

    b64encode never inserts line breaks, unlike the ``encodestring`` that broke
    uws-client for ``user:token`` longer than 57 bytes.
    """
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class NoAuth(AuthBase):
    """Guest access: no Authorization header. Passing an auth object at all also stops
    requests from reading credentials out of ``~/.netrc``."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r

    def __repr__(self) -> str:
        return "NoAuth()"


class BasicAuth(AuthBase):
    """Pre-emptive HTTP Basic (OPUS never sends a 401 challenge), only to ``origin``."""

    def __init__(self, user: str, password: str, origin: str) -> None:
        if not isinstance(user, str) or not isinstance(password, str):
            raise InvalidRequest("auth must be a (user, password) pair of strings")
        if ":" in user:
            raise InvalidRequest("an HTTP Basic user name cannot contain ':' (RFC 7617)")
        if any(ord(c) < 32 or ord(c) == 127 for c in user + password):
            raise InvalidRequest("the user name or password contains a control character")
        self.origin = origin
        self._header = basic_authorization(user, password)
        self.secrets: Tuple[str, ...] = secret_forms(password, user)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url and origin_of(r.url) == self.origin:
            r.headers["Authorization"] = self._header
        return r

    def __repr__(self) -> str:
        return f"BasicAuth(<hidden>, origin={self.origin!r})"


class OriginScopedAuth(AuthBase):
    """A caller's AuthBase (token, digest, ...) applied only to requests for ``origin``."""

    def __init__(self, inner: Any, origin: str) -> None:
        self.inner = inner
        self.origin = origin

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if r.url and origin_of(r.url) == self.origin:
            result: requests.PreparedRequest = self.inner(r)
            return result
        return r

    def __repr__(self) -> str:
        return f"OriginScopedAuth(<{type(self.inner).__name__}>, origin={self.origin!r})"


def _build_auth(auth: Any, session: requests.Session, origin: str) -> AuthBase:
    if auth is None:
        # A caller's session may carry its own auth: keep it, scoped to the service.
        if session.auth is not None:
            return _build_auth(session.auth, session, origin)
        return NoAuth()
    if isinstance(auth, tuple):
        if len(auth) != 2:
            raise InvalidRequest("auth must be a (user, password) pair")
        return BasicAuth(auth[0], auth[1], origin)
    if isinstance(auth, AuthBase) or callable(auth):
        return OriginScopedAuth(auth, origin)
    raise InvalidRequest(
        f"auth must be (user, password), a requests AuthBase or None, not {type(auth).__name__}"
    )


# --- answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer read into memory (bounded): what the client parses."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> Optional[str]:
        """The media type, lower case, without parameters (None when absent)."""
        value = self.headers.get("Content-Type")
        if not value:
            return None
        return value.split(";", 1)[0].strip().lower() or None

    @property
    def location(self) -> Optional[str]:
        """The ``Location`` header resolved against the request URL (it may be relative).

        Raises :class:`ParseError` when it is no usable URL (``http://[::1``, a port that is
        not a number): a server's header never surfaces as a raw ``ValueError``."""
        value = self.headers.get("Location")
        if not value or not value.strip():
            return None
        try:
            url = urljoin(self.url, value.strip())
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError:
            raise MalformedLocation(
                f"{self.method} {redact_url(self.url)} answered HTTP {self.status} with a "
                "malformed Location header (not a URL); the server is misconfigured: "
                "report it to its administrators",
                url=self.url,
            ) from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise MalformedLocation(
                f"{self.method} {redact_url(self.url)} answered HTTP {self.status} with a "
                f"Location that is not an http(s) URL ({redact_url(url)[:200]!r}); the server "
                "is misconfigured: report it to its administrators",
                url=self.url,
            )
        return url

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECT_STATUSES

    def text(self) -> str:
        charset = "utf-8"
        for param in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # unknown charset name
            return self.body.decode("utf-8", errors="replace")

    def looks_like_html(self) -> bool:
        if self.content_type in ("text/html", "application/xhtml+xml"):
            return True
        head = self.body[:256].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))


_ADVICE = {
    401: "Check the user name and token (password) given as auth.",
    403: "The operation is not allowed to this user, or not in the job's current phase "
    "(UWS §2.2): check the job's phase and your credentials.",
    404: "Check the job id and the job list URL; the job may have been deleted or destroyed, "
    "or belong to another user.",
    429: "The server is rate-limiting requests: wait a while and try again.",
}
_SERVER_ADVICE = (
    "The server failed. OPUS also answers 500 for client mistakes (wrong phase, bad value, "
    "unknown job list): read the server's message; if it is temporary, try again later."
)


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
        timeout: Timeout,
        retries: int,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
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
                prefix = _origin_prefix(service_url)
                session.mount(prefix, DeadlineAdapter(max_retries=retry))
        self.session = session
        self.auth = _build_auth(auth, session, self.origin)
        self._secrets: Tuple[str, ...] = tuple(getattr(self.auth, "secrets", ())) + (
            _header_secrets(session)
        )

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
        """Send one request (redirects are never followed by requests itself; with
        ``follow_redirects`` a GET follows up to 5 of them, auth staying origin-scoped)
        and read at most ``max_body`` bytes of a 2xx body (ParseError beyond; its message
        ends with ``too_large``, the advice on the setting that raises the limit).

        ``deadline`` (a :func:`time.monotonic` instant): the whole request, its retries,
        their sleeps, the redirects and the body, ends by then (see :mod:`uws_lite.deadline`),
        or raises :class:`RequestTimeout`."""
        timeouts = self.timeouts.with_read_at_least(read_timeout)
        for _ in range(MAX_GET_REDIRECTS + 1):
            if deadline is not None and time.monotonic() >= deadline:
                raise RequestTimeout(
                    f"{method} {redact_url(url)}: not sent, the deadline has passed. "
                    "Wait again with a larger timeout.",
                    url,
                )
            reply = self._send_once(
                method, url, data, files, timeouts, (max_body, too_large), deadline
            )
            if not (follow_redirects and method == "GET" and reply.is_redirect):
                return reply
            location = reply.location  # ParseError when malformed
            if not location:
                return reply
            url = location
        return reply

    def _send_once(
        self,
        method: str,
        url: str,
        data: Optional[Sequence[Tuple[str, str]]],
        files: Optional[List[Tuple[str, Any]]],
        timeouts: Timeouts,
        max_body: Tuple[int, Optional[str]],
        deadline: Optional[float] = None,
    ) -> Reply:
        headers = {"Accept": ACCEPT}
        if self.session.headers.get("User-Agent") in (None, default_user_agent()):
            headers["User-Agent"] = USER_AGENT
        timeout: Any = timeouts.as_tuple()
        if deadline is not None:
            timeout = DeadlineTimeout(timeouts.connect, timeouts.read, deadline)
        watchdog = Watchdog(deadline)
        try:
            with watchdog, deadline_scope(deadline):
                return self._exchange(
                    method, url, data, files, headers, timeout, max_body, watchdog
                )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if watchdog.fired:
                raise _cut_off(method, url) from exc
            raise self._transport_error(exc, method, url) from exc

    def _exchange(
        self,
        method: str,
        url: str,
        data: Optional[Sequence[Tuple[str, str]]],
        files: Optional[List[Tuple[str, Any]]],
        headers: Dict[str, str],
        timeout: Any,
        max_body: Tuple[int, Optional[str]],
        watchdog: Watchdog,
    ) -> Reply:
        body: Any = list(data) if data is not None else None
        if files:
            # Streamed from disk with a Content-Length, not read into memory (issue 12).
            body = MultipartBody(body or [], files)
            headers = {**headers, "Content-Type": body.content_type}
        with scoped.send(
            self.session,
            method,
            url,
            trusted=origin_of(url) == self.origin,
            data=body,
            headers=headers,
            auth=self.auth,
            timeout=timeout,
            stream=True,
        ) as response:
            watchdog.watch_response(response)
            ok = 200 <= response.status_code < 300
            limit = max_body[0] if ok else MAX_ERROR_BODY
            body, truncated = _read_limited(response, limit)
            if watchdog.fired:
                raise _cut_off(method, url)
            if truncated and ok:
                advice = max_body[1] or "no UWS document is that big: is the URL right?"
                raise ParseError(
                    f"{method} {redact_url(url)}: the answer is larger than {limit} bytes "
                    f"({limit / 2**20:g} MiB), the limit for this request; it was not read: "
                    f"{advice}",
                    url=url,
                )
            return Reply(
                method=method,
                url=url,
                status=response.status_code,
                reason=response.reason or "",
                headers=CaseInsensitiveDict(response.headers),
                body=body,
            )

    def _transport_error(self, exc: Exception, method: str, url: str) -> UWSErrorLike:
        where = f"{method} {redact_url(url)}"
        reason = self.scrub(_innermost(exc))
        if isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError)) or (
            "timed out" in reason.lower() or "timeout" in reason.lower()
        ):
            return RequestTimeout(
                f"{where}: no answer within the timeout ({reason}). The server is slow or "
                "unreachable: try again later, or pass a larger timeout=(connect, read).",
                url,
            )
        if isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidHeader,
            ),
        ):
            return InvalidRequest(f"{where}: the request cannot be sent ({reason}).")
        return ConnectionFailed(
            f"{where}: could not reach the server or the connection broke ({reason}). "
            "Check the URL and the network, then try again.",
            url,
        )

    # -- checking
    @property
    def secrets(self) -> Tuple[str, ...]:
        """The forms of the credentials in use that :meth:`scrub` removes."""
        return self._secrets

    def scrub(self, text: str) -> str:
        """Remove the credentials from a text shown to the user (server messages may echo)."""
        return redact(text, self._secrets)

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
            if error_document_ok:
                return
            # DaCHS refuses a request with HTTP 200 and a VOTable error document: a 2xx
            # is only a success when its body is not such a document.
            self._refuse_votable_error(reply, "a success answer")
            return
        if redirect_ok and reply.status in (301, 302, 303):
            return
        where = f"{reply.method} {redact_url(reply.url)}"
        server_message = self._server_message(reply)
        said = f" Server says: {_sentence(server_message)}" if server_message else ""
        status = f"HTTP {reply.status} {reply.reason}".rstrip()
        cls: Type[HTTPStatusError]
        if reply.is_redirect:
            cls = HTTPStatusError
            try:
                target = redact_url(reply.location)
            except MalformedLocation:
                target = "a malformed Location"
            advice = f"Unexpected redirect to {target}: check the URL (http/https, trailing path)."
        elif reply.status == 404:
            cls, advice = not_found, _ADVICE[404]
        elif reply.status == 401:
            cls, advice = AuthenticationError, _ADVICE[401]
        elif reply.status == 403:
            cls, advice = ForbiddenError, _ADVICE[403]
        elif reply.status >= 500:
            cls, advice = ServerError, _SERVER_ADVICE
        else:
            cls = HTTPStatusError
            advice = _ADVICE.get(reply.status, "Read the server's message and fix the request.")
        raise cls(
            self.scrub(f"{where} failed: {status}.{said} {advice}"),
            url=reply.url,
            status=reply.status,
            body_excerpt=self._excerpt(reply),
            server_message=server_message,
        )

    def xml_body(self, reply: Reply, what: str) -> bytes:
        """The body of a 2xx answer that should be a UWS XML document, refusing HTML pages
        and error documents (DaCHS: a VOTable with QUERY_STATUS=ERROR, even with HTTP 200)."""
        self._refuse_error_documents(reply, what)
        if reply.content_type in ("application/json", "text/json"):
            raise ParseError(
                f"{reply.method} {redact_url(reply.url)} answered JSON where {what} (XML) "
                "was expected: is the URL a UWS job list?",
                url=reply.url,
                excerpt=self._excerpt(reply),
            )
        return reply.body

    def text_body(self, reply: Reply, what: str) -> str:
        """The body of a 2xx text/plain answer, refusing HTML pages and error documents."""
        self._refuse_error_documents(reply, what)
        return reply.text()

    def _refuse_error_documents(self, reply: Reply, what: str) -> None:
        where = f"{reply.method} {redact_url(reply.url)}"
        if reply.looks_like_html():
            message = self._server_message(reply)
            said = f" The page says: {message}" if message else ""
            raise ServiceErrorDocument(
                self.scrub(
                    f"{where} answered HTTP {reply.status} with an HTML page instead of "
                    f"{what}.{said} Check that the URL is a UWS service (not a web page or a "
                    "login portal)."
                ),
                url=reply.url,
                status=reply.status,
                body_excerpt=self._excerpt(reply),
                server_message=message,
            )
        self._refuse_votable_error(reply, what)

    def _refuse_votable_error(self, reply: Reply, what: str) -> None:
        where = f"{reply.method} {redact_url(reply.url)}"
        if reply.body.lstrip()[:1] == b"<":
            message = votable_error(reply.body)
            if message is not None:
                message = self.scrub(message)
                raise ServiceErrorDocument(
                    self.scrub(
                        f"{where} answered HTTP {reply.status} with an error document instead "
                        f"of {what}: {message}"
                    ),
                    url=reply.url,
                    status=reply.status,
                    body_excerpt=self._excerpt(reply),
                    server_message=message,
                )

    def _server_message(self, reply: Reply) -> Optional[str]:
        try:
            message = error_message(reply.body, reply.headers.get("Content-Type"))
        except ParseError:
            message = None
        if message is None:
            return None
        message = " ".join(message.split())
        if len(message) > EXCERPT_CHARS:
            message = message[:EXCERPT_CHARS] + "..."
        return self.scrub(message) or None

    def _excerpt(self, reply: Reply) -> str:
        return self.scrub(reply.text()[:EXCERPT_CHARS])


UWSErrorLike = Union[TransportError, InvalidRequest]


def _read_limited(response: requests.Response, limit: int) -> Tuple[bytes, bool]:
    """At most ``limit`` bytes of the (decoded) body, and whether there was more."""
    chunks: List[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        if size + len(chunk) > limit:
            chunks.append(chunk[: limit - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _cut_off(method: str, url: str) -> RequestTimeout:
    return RequestTimeout(
        f"{method} {redact_url(url)}: the answer was not complete at the deadline (the "
        "server holds it or sends it too slowly); cut off.",
        url,
    )


def _innermost(exc: BaseException) -> str:
    """A short description of the root cause of a requests/urllib3 exception chain."""
    seen = 0
    inner: BaseException = exc
    while seen < 10:
        seen += 1
        nxt = getattr(inner, "reason", None)
        if (
            not isinstance(nxt, BaseException)
            and inner.args
            and isinstance(inner.args[0], BaseException)
        ):
            nxt = inner.args[0]
        if not isinstance(nxt, BaseException):
            break
        inner = nxt
    text = str(inner) or type(inner).__name__
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(inner).__name__}: {text}"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _origin_prefix(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _header_secrets(session: requests.Session) -> Tuple[str, ...]:
    """The secrets of a caller's session-wide ``Authorization`` header (Basic or a token)."""
    value = session.headers.get("Authorization")
    if not isinstance(value, str) or not value.strip():
        return ()
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip() or scheme
    forms = list(secret_forms(credentials))
    if scheme.lower() == "basic":
        try:
            user, sep, password = base64.b64decode(credentials).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            sep = ""
        if sep:
            forms += secret_forms(password, user)
    return tuple(forms)
