"""What an HTTP answer says: the :class:`Reply` read into memory, its ``Location``, and the one
table from a status to the typed error and the advice given with it, for API requests and
downloads alike (:meth:`uws_lite.transport.Transport.status_error`)."""

from __future__ import annotations

from typing import Callable, Dict, Mapping, NamedTuple, Optional, Tuple, Type
from urllib.parse import urljoin

from .errorbodies import error_message, votable_error
from .errors import (
    AuthenticationError,
    ForbiddenError,
    HTTPStatusError,
    MalformedLocation,
    NotFound,
    ParseError,
    ServerError,
    ServiceErrorDocument,
    redact_url,
)
from .urls import is_http_url, split_url

__all__ = [
    "EXCERPT_CHARS",
    "MAX_ERROR_BODY",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "Reply",
    "advice_for",
    "refuse_error_documents",
    "refuse_votable_error",
    "resolve_location",
    "status_error",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5  # hops followed by one GET (API request or download)
MAX_ERROR_BODY = 64 * 1024  # bytes of an error answer read for its message
EXCERPT_CHARS = 500

Scrub = Callable[[str], str]


def resolve_location(method: str, url: str, status: int, value: Optional[str]) -> Optional[str]:
    """A ``Location`` header resolved against the request URL (it may be relative); None when
    absent. Raises :class:`MalformedLocation` when it is no usable http(s) URL
    (``http://[::1``, a port that is not a number, ``file:``): a server's header never
    surfaces as a raw ``ValueError``, and never leads anywhere but http(s)."""
    if not value or not value.strip():
        return None
    where = f"{method} {redact_url(url)} answered HTTP {status} with"
    target: Optional[str]
    try:
        target = urljoin(url, value.strip())
    except ValueError:
        target = None
    if target is None or split_url(target) is None:
        raise MalformedLocation(
            f"{where} a malformed Location header (not a URL); the server is misconfigured: "
            "report it to its administrators",
            url=url,
        )
    if not is_http_url(target):
        raise MalformedLocation(
            f"{where} a Location that is not an http(s) URL ({redact_url(target)[:200]!r}); "
            "the server is misconfigured: report it to its administrators",
            url=url,
        )
    return target


class Reply(NamedTuple):
    """An HTTP answer read into memory (bounded): what the client parses."""

    method: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    redirects: int = 0  # how many redirects were followed to get here

    @property
    def content_type(self) -> Optional[str]:
        """The media type, lower case, without parameters (None when absent)."""
        value = self.headers.get("Content-Type")
        if not value:
            return None
        return value.split(";", 1)[0].strip().lower() or None

    @property
    def location(self) -> Optional[str]:
        """The ``Location`` header resolved against the request URL (see
        :func:`resolve_location`; raises :class:`MalformedLocation`)."""
        return resolve_location(self.method, self.url, self.status, self.headers.get("Location"))

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


# --- the one status table -------------------------------------------------------------------

_ADVICE: Dict[int, Tuple[Type[HTTPStatusError], str]] = {
    401: (AuthenticationError, "Check the user name and token (password) given as auth."),
    403: (
        ForbiddenError,
        "This user may not do this, or not in the job's current phase (UWS §2.2): check the "
        "job's phase and your credentials.",
    ),
    404: (
        NotFound,
        "Check the job id and the job list URL; the job or result may be gone (deleted or "
        "destroyed) or belong to another user: list the jobs, or the job's results, again.",
    ),
    410: (
        NotFound,
        "The job or result is gone (deleted or destroyed): list the jobs, or the job's "
        "results, again.",
    ),
    429: (HTTPStatusError, "The server is rate-limiting requests: wait a while and try again."),
}
_SERVER_ADVICE = (
    "The server failed. OPUS also answers 500 for client mistakes (wrong phase, bad value, "
    "unknown job list): read the server's message; if it is temporary, try again later."
)
_OTHER_ADVICE = "Read the server's message and fix the request."
_LOOP_ADVICE = (
    f"It redirected more than {MAX_REDIRECTS} times: the server is misconfigured (a redirect "
    "loop?); report it to its administrators."
)


def advice_for(reply: Reply) -> Tuple[Type[HTTPStatusError], str]:
    """The error class and the advice for an unsuccessful answer."""
    if reply.is_redirect:
        if reply.redirects >= MAX_REDIRECTS:
            return HTTPStatusError, _LOOP_ADVICE
        try:
            target = redact_url(reply.location)
        except MalformedLocation:
            target = "a malformed Location"
        return (
            HTTPStatusError,
            f"Unexpected redirect to {target}: check the URL (http/https, trailing path).",
        )
    if reply.status in _ADVICE:
        return _ADVICE[reply.status]
    if reply.status >= 500:
        return ServerError, _SERVER_ADVICE
    return HTTPStatusError, _OTHER_ADVICE


def status_error(
    reply: Reply, scrub: Scrub, *, not_found: Type[NotFound] = NotFound
) -> HTTPStatusError:
    """The typed error for an unsuccessful answer: what was asked, the status, the server's
    message, and what to do (credentials scrubbed)."""
    cls, advice = advice_for(reply)
    if cls is NotFound and reply.status == 404:
        cls = not_found
    message = server_message(reply, scrub)
    said = f" Server says: {_sentence(message)}" if message else ""
    status = f"HTTP {reply.status} {reply.reason}".rstrip()
    return cls(
        scrub(f"{reply.method} {redact_url(reply.url)} failed: {status}.{said} {advice}"),
        url=reply.url,
        status=reply.status,
        body_excerpt=excerpt(reply, scrub),
        server_message=message,
    )


# --- error documents ------------------------------------------------------------------------


def refuse_error_documents(reply: Reply, what: str, scrub: Scrub) -> None:
    """Raise :class:`ServiceErrorDocument` for an HTML page or a VOTable error document where
    ``what`` was expected."""
    if reply.looks_like_html():
        message = server_message(reply, scrub)
        said = f" The page says: {message}" if message else ""
        raise ServiceErrorDocument(
            scrub(
                f"{reply.method} {redact_url(reply.url)} answered HTTP {reply.status} with an "
                f"HTML page instead of {what}.{said} Check that the URL is a UWS service (not a "
                "web page or a login portal)."
            ),
            url=reply.url,
            status=reply.status,
            body_excerpt=excerpt(reply, scrub),
            server_message=message,
        )
    refuse_votable_error(reply, what, scrub)


def refuse_votable_error(reply: Reply, what: str, scrub: Scrub) -> None:
    """Raise :class:`ServiceErrorDocument` for a VOTable with ``QUERY_STATUS=ERROR`` (DaCHS
    refuses requests that way, even with HTTP 200)."""
    if reply.body.lstrip()[:1] != b"<":
        return
    message = votable_error(reply.body)
    if message is None:
        return
    message = scrub(message)
    raise ServiceErrorDocument(
        scrub(
            f"{reply.method} {redact_url(reply.url)} answered HTTP {reply.status} with an error "
            f"document instead of {what}: {message}"
        ),
        url=reply.url,
        status=reply.status,
        body_excerpt=excerpt(reply, scrub),
        server_message=message,
    )


def server_message(reply: Reply, scrub: Scrub) -> Optional[str]:
    """The message of an error body (HTML, VOTable, text) on one line, bounded, scrubbed."""
    try:
        message = error_message(reply.body, reply.headers.get("Content-Type"))
    except ParseError:
        message = None
    if message is None:
        return None
    message = " ".join(message.split())
    if len(message) > EXCERPT_CHARS:
        message = message[:EXCERPT_CHARS] + "..."
    return scrub(message) or None


def excerpt(reply: Reply, scrub: Scrub) -> str:
    """The start of the body, scrubbed."""
    return scrub(reply.text()[:EXCERPT_CHARS])


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."
