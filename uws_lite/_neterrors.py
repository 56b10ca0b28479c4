"""What went wrong on the wire: requests/urllib3 exceptions turned into :mod:`uws_lite.errors`
types (none of theirs escapes uws_lite), with a short, scrubbed description of the cause."""

from __future__ import annotations

from typing import Callable

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

__all__ = ["cut_off", "network_error"]


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
