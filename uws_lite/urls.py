"""The one place that decides what a URL is: http(s) checks, service URLs, origins.

Every URL the package fetches or shows comes through here: a result's href and a redirect's
Location are server-given (untrusted), a service URL is the user's. Nothing here raises a raw
``ValueError`` for a malformed URL (``http://[::1``, a port that is no number).
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import SplitResult, urlsplit

from .errors import InvalidRequest, redact_url

__all__ = ["DEFAULT_PORTS", "check_service_url", "is_http_url", "origin_of", "split_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}


def split_url(url: object) -> Optional[SplitResult]:
    """``urlsplit(url)`` with its port checked, or None when ``url`` is no URL at all."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return None
    return parts


def is_http_url(url: object) -> bool:
    """Whether ``url`` (often server-given) is an absolute http(s) URL with a host; never
    raises."""
    parts = split_url(url)
    return parts is not None and parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit, lower case; ``""`` for
    what is no http(s) URL. Two URLs share credentials only when their origins are equal."""
    parts = split_url(url)
    if parts is None:
        return ""
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def check_service_url(url: object, what: str = "the job list URL") -> str:
    """A service URL given by the user, checked before any request: a non-empty http(s) URL
    with a host, no credentials in it, no query or fragment. Returns it stripped, without a
    trailing ``/``; raises :class:`InvalidRequest` saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidRequest(f"{what} must be a non-empty string")
    url = url.strip()
    parts = split_url(url)
    if parts is None:
        raise InvalidRequest(f"{what} is not a valid URL: {redact_url(url)!r}")
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidRequest(f"{what} must be http(s)://host/..., not {redact_url(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest(
            f"credentials in the URL {redact_url(url)!r} are refused: pass auth=(user, password)"
        )
    if parts.query or parts.fragment:
        raise InvalidRequest(f"{what} {redact_url(url)!r} must not have a query or fragment")
    return url.rstrip("/")
