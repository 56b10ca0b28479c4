"""What went wrong on the wire: requests/urllib3 exceptions turned into :mod:`uws_lite.errors`
types (none of theirs escapes uws_lite), with a short, scrubbed description of the cause."""

from __future__ import annotations

from http.client import HTTPException
from typing import Callable, Optional

import requests
import urllib3.exceptions

from .errors import (
    ConnectionFailed,
    InvalidRequest,
    RequestTimeout,
    TLSError,
    UWSError,
    redact_url,
)

__all__ = ["cut_off", "describe_break", "network_error"]


def network_error(exc: Exception, method: str, url: str, scrub: Callable[[str], str]) -> UWSError:
    """The typed error for a requests/urllib3 exception of ``method url``."""
    where = f"{method} {redact_url(url)}"
    reason = scrub(_innermost(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSError(
            f"{where}: TLS failed ({reason}); check the server's certificate and the "
            "system's CA bundle.",
            url,
        )
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


def cut_off(method: str, url: str) -> RequestTimeout:
    """The error for an exchange the deadline cut."""
    return RequestTimeout(
        f"{method} {redact_url(url)}: the answer was not complete at the deadline (the "
        "server holds it or sends it too slowly); cut off.",
        url,
    )


def _innermost(exc: BaseException) -> str:
    """A short description of the root cause of a requests/urllib3 exception chain."""
    inner = exc
    for _ in range(10):
        cause = _cause(inner)
        if cause is None:
            break
        inner = cause
    text = str(inner) or type(inner).__name__
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(inner).__name__}: {text}"


def _cause(exc: BaseException) -> Optional[BaseException]:
    # urllib3 wraps the cause in MaxRetryError.reason; requests in its first argument.
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return exc.reason
    if exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return None


def describe_break(exc: BaseException) -> str:
    """Why a download's connection broke, in a fixed phrase (resumed, then logged)."""
    # Only fixed phrases: exception texts from requests/urllib3 carry the URL's path and
    # query, which may hold a token (pre-signed URLs).
    if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, RequestTimeout)):
        return "the server stopped sending (read timeout)"
    if isinstance(exc, requests.ConnectTimeout):
        return "the server could not be reached (connect timeout)"
    if isinstance(
        exc,
        (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError, HTTPException),
    ):
        return f"the connection broke during the transfer ({type(exc).__name__})"
    return f"the connection failed ({type(exc).__name__})"
