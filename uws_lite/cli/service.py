"""Where ``uws-lite`` finds the service and the credentials for it.

The job list URL comes from ``--url`` or ``UWS_URL`` (checked with :mod:`uws_lite.urls`);
the login from ``--login``, ``UWS_LOGIN`` or ``~/.netrc``; the token from ``UWS_TOKEN``,
``~/.netrc``, ``EXPRES_TOKEN`` (uws-call-expres's variable, for an ExPRES job list only) or
a prompt, never from the command line. ``~/.netrc`` (or ``$NETRC``) is read by
:func:`uws_lite.auth.netrc_entry`, as uws-call-expres reads it: a file others can read is
refused the same way.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Mapping, Optional, Tuple

from ..errors import redact_url
from ..urls import is_http_url, split_url
from .flags import EXAMPLE_DACHS, EXAMPLE_OPUS, Flag
from .usage import CLIError

__all__ = ["EXPRES_JOB_LISTS", "Credentials", "service"]

# The job lists EXPRES_TOKEN (uws-call-expres's variable) is a token for; it is never sent
# to any other service.
EXPRES_JOB_LISTS = ("ExPRES", "ExPRES-dev")
Credentials = Tuple[str, str]  # (login, token) for HTTP Basic
_log = logging.getLogger(__name__)


def service(args: argparse.Namespace, env: Mapping[str, str]) -> Tuple[str, Optional[Credentials]]:
    """The job list URL (without a trailing ``/``) and the credentials for it (None: a
    guest), from the command line and the environment; raises :class:`CLIError` before any
    request when either cannot be used."""
    url = (args.url or env.get("UWS_URL") or "").strip()
    if not url:
        raise CLIError(
            "no job list URL",
            hint=f"Pass {Flag.URL} URL or set UWS_URL, e.g. {Flag.URL} {EXAMPLE_OPUS}",
        )
    parts = split_url(url)
    if parts is None or not is_http_url(url):
        raise CLIError(
            f"{redact_url(url)!r} is not an http(s) URL",
            hint=f"Give the job list URL, e.g. {EXAMPLE_OPUS} or {EXAMPLE_DACHS}",
        )
    if parts.username is not None or parts.password is not None:
        raise CLIError(
            f"the URL {redact_url(url)} carries credentials, which would leak into logs",
            hint=f"Use {Flag.LOGIN} NAME with UWS_TOKEN or ~/.netrc instead.",
        )
    _check_job_list_url(url, _segments(url))
    return url.rstrip("/"), _credentials(url, args.login, env)


def _segments(url: str) -> List[str]:
    parts = split_url(url)
    return [s for s in parts.path.split("/") if s] if parts is not None else []


def _check_job_list_url(url: str, segments: List[str]) -> None:
    """Refuse, before any request, a URL that is clearly not a job list: OPUS's base URL
    (``.../rest/``, what uws-call-expres's --server takes) or an ExPRES job's URL."""
    shown = redact_url(url)
    if segments and segments[-1] == "rest":
        raise CLIError(
            f"{shown} is the service's base URL, not a job list URL",
            hint=f"Add the job list, e.g. {Flag.URL} {shown.rstrip('/')}/ExPRES",
        )
    if len(segments) >= 3 and segments[-3] == "rest" and segments[-2] in EXPRES_JOB_LISTS:
        job_list = shown.rstrip("/").rsplit("/", 1)[0]
        raise CLIError(
            f"{shown} is the URL of job {segments[-1]!r}, not of a job list",
            hint=f"Give {Flag.URL} {job_list} and the job id to the command.",
        )


def _credentials(url: str, login: Optional[str], env: Mapping[str, str]) -> Optional[Credentials]:
    """HTTP Basic credentials for ``url``, or None for a guest.

    The token is never read from the command line (other local users see it in ``ps``
    and ``/proc``, and shell history keeps it): it comes from ``UWS_TOKEN``, from
    ``~/.netrc``, or from a prompt when stdin is a terminal.
    """
    parts = split_url(url)
    host = (parts.hostname if parts is not None else None) or ""
    login = login or env.get("UWS_LOGIN") or None
    token = env.get("UWS_TOKEN") or None
    expres = _expres_token(url, env)
    entry = None
    if token is None or login is None:
        # uws_lite.auth loads requests: imported here so that --help starts fast. Its
        # errors (an unreadable, unparsable or world-readable file) are usage errors (2).
        from ..auth import netrc_entry

        entry = netrc_entry(host, env)
    if token is not None:
        return _with_token(login or (entry[0] if entry else None), token, expres)
    if entry is not None:
        netrc_login, password = entry
        if login is None and netrc_login:
            return (netrc_login, password)
        if login is not None and netrc_login == login:
            return (login, password)
    if login is None:
        return None  # guest: no Authorization header at all
    if expres is not None:
        return (login, expres)
    if entry is not None:
        # A token belongs to one login: never send another user's token.
        raise CLIError(
            f"~/.netrc has login {entry[0]!r} for {host}, not {login!r}",
            hint=f"Set UWS_TOKEN to {login}'s token, or fix the ~/.netrc entry.",
        )
    return _prompted(login, host)


def _with_token(login: Optional[str], token: str, expres: Optional[str]) -> Credentials:
    """UWS_TOKEN's credentials: it needs a login (given, or the ~/.netrc one)."""
    if not login:
        raise CLIError(
            "UWS_TOKEN is set but no login name is known",
            hint=f"Pass {Flag.LOGIN} NAME (or set UWS_LOGIN).",
        )
    if expres is not None and expres != token.strip():
        _log.warning(
            "UWS_TOKEN and EXPRES_TOKEN are both set, to different tokens: using "
            "UWS_TOKEN; unset one of them if that is not the one you meant."
        )
    return (login, token)


def _prompted(login: str, host: str) -> Credentials:
    """The token typed at a prompt (stdin a terminal), else an error saying where it goes."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(f"Token for {login} at {host}: ")
        if secret:
            return (login, secret)
    raise CLIError(
        f"no token for login {login!r} at {host}",
        hint=f"Set UWS_TOKEN, or add 'machine {host} login {login} password TOKEN' to ~/.netrc.",
    )


def _expres_token(url: str, env: Mapping[str, str]) -> Optional[str]:
    """EXPRES_TOKEN, when set and ``url`` is an ExPRES job list (else None)."""
    segments = _segments(url)
    if not segments or segments[-1] not in EXPRES_JOB_LISTS:
        return None
    return env.get("EXPRES_TOKEN", "").strip() or None
