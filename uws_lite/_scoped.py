"""Requests to another origin carry no credentials, whatever their source.

``auth=`` objects are origin-scoped already (:mod:`uws_lite.transport`), but a caller's
session may hold credentials of its own: ``session.headers["Authorization"]``,
``Proxy-Authorization`` or ``Cookie`` headers, and cookies in ``session.cookies`` (cookies are
not port-scoped, so a jar cookie for ``localhost`` would reach any port). When the URL is
not the service's origin, the request is prepared with the session's settings as
``session.request`` would, and those headers are removed before it is sent.
"""

from __future__ import annotations

import traceback
from typing import Any, Mapping, Optional

import requests
from requests.auth import AuthBase

from .errors import MalformedLocation, redact_url

__all__ = ["CREDENTIAL_HEADERS", "send"]

CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    trusted: bool,
    headers: Mapping[str, Optional[str]],
    auth: AuthBase,
    timeout: Any,
    stream: bool,
    data: Any = None,
    files: Any = None,
) -> requests.Response:
    """``session.request(...)`` with redirects off; without any credential header unless
    ``trusted`` (the URL has the service's origin).

    Raises :class:`MalformedLocation` for a redirect whose ``Location`` is no URL: requests
    parses it even when it does not follow it, and would raise a raw ``ValueError``."""
    try:
        return _send(session, method, url, trusted, headers, auth, timeout, stream, data, files)
    except ValueError as exc:
        if isinstance(exc, requests.RequestException) or not any(
            frame.name == "resolve_redirects" for frame in traceback.extract_tb(exc.__traceback__)
        ):
            raise
        raise MalformedLocation(
            f"{method} {redact_url(url)} answered with a redirect whose Location header is "
            "malformed (not a URL); the server is misconfigured: report it to its administrators",
            url=url,
        ) from None


def _send(
    session: requests.Session,
    method: str,
    url: str,
    trusted: bool,
    headers: Mapping[str, Optional[str]],
    auth: AuthBase,
    timeout: Any,
    stream: bool,
    data: Any,
    files: Any,
) -> requests.Response:
    if trusted:
        return session.request(
            method,
            url,
            data=data,
            files=files,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
            stream=stream,
        )
    request = requests.Request(
        method=method.upper(),
        url=url,
        headers=dict(headers),
        data=data or {},
        files=files,
        auth=auth,
    )
    prepared = session.prepare_request(request)
    for name in CREDENTIAL_HEADERS:
        prepared.headers.pop(name, None)
    settings = session.merge_environment_settings(prepared.url, {}, stream, None, None)
    return session.send(prepared, timeout=timeout, allow_redirects=False, **settings)
