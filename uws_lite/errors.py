"""Every exception uws_lite raises, in one hierarchy.

Catch :class:`UWSError` for "anything went wrong with the service", or exactly the
case you can handle. Messages say what happened, to which URL, and what to do next;
they never contain credentials (URLs in messages are stripped of any user info).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Iterable, Optional, Tuple
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

if TYPE_CHECKING:
    from .models import Job

__all__ = [
    "AuthenticationError",
    "ConnectionFailed",
    "CreationInterrupted",
    "DownloadError",
    "DownloadTimeout",
    "ForbiddenError",
    "HTTPStatusError",
    "IntegrityError",
    "InsecureNetrc",
    "InvalidRequest",
    "JobAborted",
    "JobError",
    "JobFailed",
    "JobNotStarted",
    "JobHeld",
    "JobNotFound",
    "MalformedLocation",
    "NetrcError",
    "NotFound",
    "ParseError",
    "RequestTimeout",
    "ServerError",
    "ServiceErrorDocument",
    "TLSError",
    "TransportError",
    "UWSError",
    "UnsafeURL",
    "WaitTimeout",
    "WatcherClosed",
    "redact",
    "redact_url",
    "secret_forms",
]

REDACTED = "***"
_MIN_SECRET = 4  # shorter strings would blank out ordinary words


def redact_url(url: Optional[str]) -> str:
    """The URL without any ``user:password@`` part, safe to show."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def secret_forms(token: str, user: Optional[str] = None) -> Tuple[str, ...]:
    """Every form in which a server may echo ``token``: as is, URL-encoded (``%2F`` and
    ``+`` styles) or decoded, and with ``user`` the HTTP Basic credentials (base64 of
    ``user:token``, with and without padding, also URL-encoded). Longest first; none
    shorter than 4."""
    # unquote_plus: a token echoed raw into a field that the client URL-decodes (OPUS
    # parameter values) comes back with each "+" turned into a space.
    forms = {token, quote(token, safe=""), quote_plus(token, safe=""), unquote_plus(token)}
    if user is not None:
        basic = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        forms |= {basic, basic.rstrip("="), quote(basic, safe="")}
    return tuple(sorted((f for f in forms if len(f) >= _MIN_SECRET), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (see :func:`secret_forms`) replaced by ``***``.

    The one redaction of server-provided text (error summaries, error documents, HTML
    pages, parameter values, log lines) before it is shown, logged, returned or saved."""
    if not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, REDACTED)
    return text


class UWSError(Exception):
    """Base class of every error raised by uws_lite."""

    job_id: Optional[str] = None
    """The id of a job this failure leaves on the server, when one is known to exist: set by
    :meth:`uws_lite.Client.new_job` when the server created the job but a later step (the
    ``PHASE=RUN`` POST, or reading the job) failed. None otherwise. The job can be followed,
    listed or deleted by this id."""

    job_url: Optional[str] = None
    """The URL of that job (credentials removed), when :attr:`job_id` is set; else None."""


class InvalidRequest(UWSError, ValueError):
    """A local mistake found before anything was sent (bad argument, missing file, ...)."""


class NetrcError(InvalidRequest):
    """A ``.netrc`` file (``$NETRC`` or ``~/.netrc``) cannot be used: it cannot be read or
    parsed. The message names the file and the line, never the file's words (one may be a
    password)."""

    path: str
    """The file in question."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class InsecureNetrc(NetrcError):
    """A ``.netrc`` file holding a password is readable or writable by other users, or owned
    by another user: it is not used (the rule of Python's :mod:`netrc` for ``~/.netrc``,
    applied to every file read)."""


class CreationInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived after :meth:`uws_lite.Client.new_job` created the job, while it was
    starting or reading it: still a :class:`KeyboardInterrupt`, naming the job it leaves on
    the server."""

    job_id: Optional[str]
    """The id of the job created (None when its URL names no usable id)."""

    job_url: str
    """The URL of the job created (credentials removed)."""

    def __init__(self, job_url: str, job_id: Optional[str]) -> None:
        super().__init__()
        self.job_url = job_url
        self.job_id = job_id


# --- network ------------------------------------------------------------------------


class TransportError(UWSError):
    """The request did not get an HTTP answer (after any retries)."""

    url: str
    """The URL of the request (credentials removed)."""

    def __init__(self, message: str, url: Optional[str] = None) -> None:
        self.url = redact_url(url)
        super().__init__(message)


class ConnectionFailed(TransportError):
    """The server could not be reached, or the connection broke (DNS, refused, reset)."""


class TLSError(ConnectionFailed):
    """The TLS handshake failed (certificate, protocol): trying again will not help."""


class RequestTimeout(TransportError):
    """The server did not answer within the connect or read timeout, or the request's
    deadline passed."""


# --- HTTP status ----------------------------------------------------------------------


class HTTPStatusError(UWSError):
    """The server answered with an error status (or an error document)."""

    url: str
    """The URL that answered (credentials removed)."""

    status: int
    """The HTTP status of the answer."""

    body_excerpt: str
    """The start of the answer's body (scrubbed of credentials)."""

    server_message: Optional[str]
    """The message extracted from the body (HTML ``<pre>``, VOTable ``QUERY_STATUS`` INFO,
    or plain text), when there is one."""

    def __init__(
        self,
        message: str,
        *,
        url: Optional[str],
        status: int,
        body_excerpt: str = "",
        server_message: Optional[str] = None,
    ) -> None:
        self.url = redact_url(url)
        self.status = status
        self.body_excerpt = body_excerpt
        self.server_message = server_message
        super().__init__(message)


class NotFound(HTTPStatusError):
    """404: no such job, result or parameter (or the job list URL is wrong)."""


class JobNotFound(NotFound):
    """404 on a job: it was deleted, destroyed, never existed, or belongs to someone else."""


class AuthenticationError(HTTPStatusError):
    """401: credentials missing or wrong."""


class ForbiddenError(HTTPStatusError):
    """403: the operation is not allowed to this user, or not in the job's current phase."""


class ServerError(HTTPStatusError):
    """5xx. OPUS also answers 500 for most client mistakes (wrong phase, bad value)."""


class ServiceErrorDocument(HTTPStatusError):
    """A 2xx answer whose body is an error document (DaCHS: a VOTable with QUERY_STATUS=ERROR)."""


# --- documents ------------------------------------------------------------------------


class ParseError(UWSError):
    """A response could not be read as the expected UWS document (or was refused as unsafe)."""

    url: str
    """The URL of the document (credentials removed; "" when not known)."""

    excerpt: str
    """The start of the document, to show where it went wrong ("" when not known)."""

    def __init__(self, message: str, *, url: Optional[str] = None, excerpt: str = "") -> None:
        self.url = redact_url(url)
        self.excerpt = excerpt
        super().__init__(message)


class MalformedLocation(ParseError):
    """A redirect or creation answer whose ``Location`` header is no usable http(s) URL
    (``http://[::1``, a port that is not a number, another scheme)."""


# --- jobs -----------------------------------------------------------------------------


class JobError(UWSError):
    """Base of the errors about a job's outcome."""

    job: Job
    """The job as last seen."""

    def __init__(self, message: str, job: Job) -> None:
        self.job = job
        super().__init__(message)


class JobFailed(JobError):
    """The job ended in ERROR."""

    detail: Optional[str]
    """The text of ``<job>/error``, when it was fetched."""

    def __init__(self, message: str, job: Job, detail: Optional[str] = None) -> None:
        self.detail = detail
        super().__init__(message, job)


class JobAborted(JobError):
    """The job ended in ABORTED (by a user, or by the server, e.g. over its duration)."""


class JobHeld(JobError):
    """The job is HELD: the server will not run it until the client sends PHASE=RUN again."""


class JobNotStarted(JobError):
    """The job stays PENDING: it was never started (send PHASE=RUN)."""


class WaitTimeout(JobError):
    """The wait's total deadline passed before the job ended; ``job`` is the last state."""

    timeout: float
    """The deadline that passed, in seconds."""

    def __init__(self, message: str, job: Job, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(message, job)


class WatcherClosed(UWSError):
    """The :class:`~uws_lite.watch.JobWatcher` was closed while this wait was running, or
    is closed already: the wait ended, not the job, which keeps running on the server
    (follow it again with another watcher, or ``Client.wait``). The message names the job."""


# --- downloads ------------------------------------------------------------------------


class DownloadError(UWSError):
    """A result could not be downloaded completely; no file was left under the final name."""

    url: str
    """The URL of the result (credentials removed; "" when not known)."""

    status: Optional[int]
    """The HTTP status of the refusal, when the server refused the download; else None."""

    def __init__(
        self, message: str, *, url: Optional[str] = None, status: Optional[int] = None
    ) -> None:
        self.url = redact_url(url)
        self.status = status
        super().__init__(message)


class IntegrityError(DownloadError):
    """The downloaded bytes do not match the announced length or the server's SHA-1 hash."""


class UnsafeURL(DownloadError):
    """A result href that will not be fetched (not http(s), or no URL at all), or a download
    redirected to such a URL."""


class DownloadTimeout(DownloadError):
    """A download's total deadline (``timeout=`` of Client.download/download_many) passed
    before it was complete; no file was left under the final name."""
