"""Credentials: who they are for, the one rule that keeps them home, and ``.netrc``.

- :class:`BasicAuth`, :class:`OriginScopedAuth` and :class:`NoAuth` are what every request
  carries as ``auth=``; :func:`build_auth` picks one. Each adds credentials only to a request
  for the service's origin (scheme, host, port).
- :func:`send` is the one place a request leaves: to another origin it goes without any
  credential of the caller's session either (``Authorization``, ``Proxy-Authorization`` and
  ``Cookie`` headers, jar cookies: cookies are not port-scoped, so a jar cookie for
  ``localhost`` would reach any port). API requests and downloads, at every redirect hop.
- :func:`netrc_entry` is the one ``.netrc`` reader (``$NETRC`` or ``~/.netrc``), for both
  command lines and for :mod:`uws_call_expres`. It applies Python's rule for ``~/.netrc`` to
  every file it reads: a file holding a password must belong to the user and be readable and
  writable by nobody else, or it is refused (:class:`~uws_lite.errors.InsecureNetrc`).
"""

from __future__ import annotations

import base64
import os
import stat
import traceback
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

import requests
from requests.auth import AuthBase

from .errors import (
    InsecureNetrc,
    InvalidRequest,
    MalformedLocation,
    NetrcError,
    redact_url,
    secret_forms,
)
from .text import has_control
from .urls import origin_of

__all__ = [
    "CREDENTIAL_HEADERS",
    "BasicAuth",
    "NoAuth",
    "OriginScopedAuth",
    "basic_authorization",
    "build_auth",
    "header_secrets",
    "netrc_entry",
    "send",
]

CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


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
        if has_control(user + password):
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


def build_auth(auth: Any, session: requests.Session, origin: str) -> AuthBase:
    """The auth object for a service at ``origin``: ``(user, password)`` is HTTP Basic, a
    requests ``AuthBase`` (or callable) is scoped to the origin, None is the session's own
    auth if it has one (scoped too), else :class:`NoAuth`."""
    if auth is None:
        # A caller's session may carry its own auth: keep it, scoped to the service.
        if session.auth is not None:
            return build_auth(session.auth, session, origin)
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


def header_secrets(session: requests.Session) -> Tuple[str, ...]:
    """The secrets of a caller's session-wide ``Authorization`` header (Basic or a token),
    in every form a server may echo them (:func:`uws_lite.errors.secret_forms`)."""
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


# --- the one way out ---------------------------------------------------------------------


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    origin: str,
    auth: AuthBase,
    headers: Mapping[str, Optional[str]],
    timeout: Any,
    data: Any = None,
) -> requests.Response:
    """``session.request(...)`` streamed, with redirects off; to a URL whose origin is not
    ``origin`` (the service's), without any credential header of the session.

    Raises :class:`MalformedLocation` for a redirect whose ``Location`` is no URL: requests
    parses it even when it does not follow it, and would raise a raw ``ValueError``."""
    try:
        if origin_of(url) == origin != "":
            return session.request(
                method,
                url,
                data=data,
                headers=headers,
                auth=auth,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        return _send_elsewhere(session, method, url, auth, headers, timeout, data)
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


def _send_elsewhere(
    session: requests.Session,
    method: str,
    url: str,
    auth: AuthBase,
    headers: Mapping[str, Optional[str]],
    timeout: Any,
    data: Any,
) -> requests.Response:
    # Prepared with the session's settings as session.request would, then stripped.
    request = requests.Request(
        method=method.upper(), url=url, headers=dict(headers), data=data or {}, auth=auth
    )
    prepared = session.prepare_request(request)
    for name in CREDENTIAL_HEADERS:
        prepared.headers.pop(name, None)
    settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
    return session.send(prepared, timeout=timeout, allow_redirects=False, **settings)


# --- .netrc ------------------------------------------------------------------------------


def netrc_entry(host: str, env: Mapping[str, str]) -> Optional[Tuple[str, str]]:
    """``(login, password)`` of the ``.netrc`` entry for ``host`` (or its ``default``
    entry), or None: no file, no entry, or an entry without a password.

    The file is ``env["NETRC"]`` when set, else ``~/.netrc``. Raises
    :class:`~uws_lite.errors.InsecureNetrc` when the file holds a password and belongs to
    another user or has any group or other permission bit (POSIX; Python's rule for
    ``~/.netrc``, here for every file), and :class:`~uws_lite.errors.NetrcError` when it
    cannot be read or parsed; their messages never quote the file's words.
    """
    path = env.get("NETRC") or str(Path("~/.netrc").expanduser())
    if not host or not os.path.isfile(path):
        return None
    from . import netrcfile  # only when there is a file to read: a guest run never loads it

    try:
        with open(path, "rb") as file:
            hosts = netrcfile.read_netrc(file.read())
    except netrcfile.NetrcSyntaxError as exc:
        # The reader never quotes the file's words, which may be a password.
        raise NetrcError(
            f"{path} cannot be parsed (line {exc.line}: {exc.problem}): fix its syntax",
            path=path,
        ) from None
    except UnicodeDecodeError:
        raise NetrcError(
            f"{path} is not text (neither UTF-8 nor the locale's encoding)", path=path
        ) from None
    except OSError as exc:
        raise NetrcError(f"{path} cannot be read ({exc.strerror})", path=path) from None
    if any(entry.password for entry in hosts.values()):
        _check_private(path)
    found = netrcfile.authenticators(hosts, host)
    if found is None or not found.password:
        return None
    return (found.login, found.password)


def _check_private(path: str) -> None:
    if os.name != "posix":
        return  # no owner and mode bits to check (the stdlib skips it too)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise NetrcError(f"{path} cannot be read ({exc.strerror})", path=path) from None
    if info.st_uid != os.getuid():
        raise InsecureNetrc(
            f"{path} belongs to another user (uid {info.st_uid}), so it is not used: "
            f"use a file of your own, and run chmod 600 {path}",
            path=path,
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        raise InsecureNetrc(
            f"{path} can be read or changed by other users (mode {mode:04o}), so it is not "
            f"used: run chmod 600 {path}",
            path=path,
        )
