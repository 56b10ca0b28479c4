"""Who runs the job, where, on which branch: the routing table and the token sources.

Everything here is decided locally, before any request, from the documented rules of the
ExPRES run-on-demand service (guests: job list ``ExPRES``, branch ``master``, 10 minutes;
authenticated users: any branch, 3 hours).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

from uws_lite import Client
from uws_lite.numbers import check_seconds
from uws_lite.text import has_control
from uws_lite.transport import DEFAULT_TIMEOUT
from uws_lite.urls import is_http_url, split_url

from .errors import AccessError
from .flags import DEFAULT_SERVER, DEV_JOB_LIST, MAIN_JOB_LIST
from .words import PYTHON, Vocabulary

if TYPE_CHECKING:
    import requests

__all__ = [
    "AUTHENTICATED_MAX_DURATION",
    "DEFAULT_BRANCH",
    "DEFAULT_SERVER",
    "DEV_JOB_LIST",
    "GUEST_MAX_DURATION",
    "MAIN_JOB_LIST",
    "TOKEN_ENV",
    "UWS_TOKEN_ENV",
    "Access",
    "open_client",
    "resolve_access",
    "split_server",
]

DEFAULT_BRANCH = "master"
TOKEN_ENV = "EXPRES_TOKEN"  # noqa: S105 (the variable's name, not a secret)
# uws-lite's variable, read too (after ~/.netrc, so that what worked before still does).
UWS_TOKEN_ENV = "UWS_TOKEN"  # noqa: S105 (the variable's name, not a secret)
# The service's documented limits. OPUS does not enforce executionDuration itself: a longer
# run is simply killed, so the limits are checked here, before submitting.
GUEST_MAX_DURATION = 600
AUTHENTICATED_MAX_DURATION = 10_800

# A job list is one path segment of the server URL; an id like "ExPRES-dev" or "tap_async".
_JOB_LIST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
# Job lists recognised at the end of a server URL that has no "rest" segment.
_KNOWN_JOB_LISTS = (MAIN_JOB_LIST, DEV_JOB_LIST)


@dataclass(frozen=True)
class Access:
    """The resolved access: job list URL, branch, credentials and per-request timeout.

    ``token`` is excluded from ``repr`` and never logged; ``token_source`` says where it came
    from ("TOKEN argument", "environment variable EXPRES_TOKEN", "~/.netrc" or "environment
    variable UWS_TOKEN") for messages. ``request_timeout``: seconds to wait for each answer
    of the server (None: the client's default).
    """

    server: str
    job_list: str
    branch: str
    login: Optional[str] = None
    token: Optional[str] = field(default=None, repr=False)
    token_source: Optional[str] = None
    warnings: Tuple[str, ...] = ()
    request_timeout: Optional[float] = None

    @property
    def authenticated(self) -> bool:
        return self.login is not None

    @property
    def max_duration(self) -> int:
        """The longest run this access allows, in seconds."""
        return AUTHENTICATED_MAX_DURATION if self.authenticated else GUEST_MAX_DURATION

    @property
    def list_url(self) -> str:
        """The UWS job list URL, e.g. ``https://host/rest/ExPRES``."""
        return self.server + quote(self.job_list, safe="")

    @property
    def auth(self) -> Optional[Tuple[str, str]]:
        """HTTP Basic credentials, or None for a guest (no Authorization header at all:
        OPUS maps "no credentials" to its anonymous user)."""
        if self.login is None or self.token is None:
            return None
        return (self.login, self.token)


def resolve_access(
    *,
    server: str = DEFAULT_SERVER,
    job_list: Optional[str] = None,
    branch: Optional[str] = None,
    login: Optional[str] = None,
    token: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    words: Vocabulary = PYTHON,
    request_timeout: Optional[float] = None,
) -> Access:
    """Apply the routing table and find the token; raise :class:`AccessError` on a mistake.

    - no LOGIN: job list ``ExPRES``, branch ``master`` (a warning if others were asked for),
      no credentials;
    - LOGIN + token: ``job_list`` if given, else ``ExPRES-dev`` for branch develop, else
      ``ExPRES``; the branch given, or master; HTTP Basic LOGIN:token.

    ``server`` is the service's base URL (``https://host/rest/``) or a job list URL
    (``https://host/rest/ExPRES``, see :func:`split_server`); a job list named there and a
    different ``job_list`` is a contradiction, refused.

    The token is the first found of: ``token``, the environment variable ``EXPRES_TOKEN``,
    the ``~/.netrc`` (or ``$NETRC``) entry for the server's host with this login, the
    environment variable ``UWS_TOKEN`` (uws-lite's). When both variables are set and differ,
    ``EXPRES_TOKEN`` is used and a warning says so.
    Messages name the settings in ``words`` (Python parameters, or command-line options).
    """
    env = os.environ if environ is None else environ
    base, url_job_list = split_server(server, words)
    timeout = _check_request_timeout(request_timeout, words)
    _check_text(words.name("branch"), branch)
    _check_login(login, words)
    job_list = _named_job_list(job_list, url_job_list, base, words)
    login = None if login == "" else login
    token = None if token == "" else token
    if login is None:
        return _guest_access(base, job_list, branch, token, timeout, words)
    token, source = _find_token(login, token, base, env)
    if token is None:
        raise AccessError(
            f"{words.name('login')} {login!r} was given but no token was found: "
            f"{words.give_token()} "
            f"'machine {urlsplit(base).hostname} login {login} password <token>'. "
            "Your token is on your account page of the run-on-demand web site."
        )
    branch = DEFAULT_BRANCH if branch is None else branch
    if job_list is None:
        job_list = DEV_JOB_LIST if branch == "develop" else MAIN_JOB_LIST
    warnings = _token_warnings(base, token, source, env)
    return Access(base, job_list, branch, login, token, source, warnings, timeout)


def _named_job_list(
    job_list: Optional[str], url_job_list: Optional[str], base: str, words: Vocabulary
) -> Optional[str]:
    """The job list asked for (``job_list``, or the one the server URL names), checked."""
    if job_list is not None:
        _check_job_list(job_list, words)
        if url_job_list is not None and job_list != url_job_list:
            name = words.name("job_list")
            raise AccessError(
                f"The server URL names the job list {url_job_list!r} but {name} is "
                f"{job_list!r}: give the base URL {base} with {name}, or drop {name}."
            )
    return job_list if url_job_list is None else url_job_list


def _guest_access(
    base: str,
    job_list: Optional[str],
    branch: Optional[str],
    token: Optional[str],
    timeout: Optional[float],
    words: Vocabulary,
) -> Access:
    """A guest's access: the main job list and branch whatever was asked (with a warning)."""
    if token is not None:
        # Running as a guest instead would publish the run to everybody: refuse.
        raise AccessError(
            "TOKEN was given without LOGIN: give LOGIN as well (your MASER user name), "
            "or drop TOKEN to run as a guest."
        )
    warnings = []
    login_name = words.name("login")
    if job_list is not None and job_list != MAIN_JOB_LIST:
        warnings.append(
            f"Guests can only use the {MAIN_JOB_LIST} job list: ignoring "
            f"{words.setting('job_list', job_list)} (give {login_name} for authenticated "
            "access)."
        )
    if branch is not None and branch != DEFAULT_BRANCH:
        warnings.append(
            f"Guests can only use the {DEFAULT_BRANCH} branch: ignoring "
            f"{words.setting('branch', branch)} (give {login_name} for authenticated "
            "access)."
        )
    return Access(
        base, MAIN_JOB_LIST, DEFAULT_BRANCH, warnings=tuple(warnings), request_timeout=timeout
    )


def _token_warnings(
    base: str, token: str, source: Optional[str], env: Mapping[str, str]
) -> Tuple[str, ...]:
    """What may be wrong with how the token is sent, or which token was picked."""
    warnings = []
    if _plain_http_to_remote(base):
        warnings.append("The server URL is plain http: your token travels unencrypted; use https.")
    other = env.get(UWS_TOKEN_ENV, "").strip()
    if source == f"environment variable {TOKEN_ENV}" and other and other != token:
        warnings.append(
            f"{TOKEN_ENV} and {UWS_TOKEN_ENV} are both set, to different tokens: using "
            f"{TOKEN_ENV}; unset one of them if that is not the one you meant."
        )
    return tuple(warnings)


def _find_token(
    login: str, token: Optional[str], base: str, env: Mapping[str, str]
) -> Tuple[Optional[str], Optional[str]]:
    if token is not None:
        return _clean_token(token, "TOKEN"), "TOKEN argument"
    from_env = env.get(TOKEN_ENV, "").strip()
    if from_env:
        return _clean_token(from_env, TOKEN_ENV), f"environment variable {TOKEN_ENV}"
    from_netrc = _netrc_token(login, urlsplit(base).hostname or "", env)
    if from_netrc:
        return _clean_token(from_netrc, "~/.netrc"), "~/.netrc"
    shared = env.get(UWS_TOKEN_ENV, "").strip()
    if shared:
        return _clean_token(shared, UWS_TOKEN_ENV), f"environment variable {UWS_TOKEN_ENV}"
    return None, None


def _clean_token(token: str, where: str) -> str:
    if not isinstance(token, str):
        raise AccessError(f"{where} must be a string.")
    token = token.strip()
    if has_control(token):
        raise AccessError(f"The token from {where} contains control characters; check it.")
    return token


def _netrc_token(login: str, host: str, env: Mapping[str, str]) -> Optional[str]:
    # The one .netrc reader, as uws-lite's: a file others can read is refused (InsecureNetrc),
    # a broken one named without quoting its words (NetrcError); both are usage errors.
    from uws_lite.auth import netrc_entry

    entry = netrc_entry(host, env)
    if entry is None:
        return None
    entry_login, password = entry
    # An entry for another user of the same host is not this user's token.
    if entry_login and entry_login != login:
        return None
    return password or None


def split_server(server: str, words: Vocabulary = PYTHON) -> Tuple[str, Optional[str]]:
    """The service's base URL and the job list named in ``server``, if any.

    ``https://host/rest/`` gives ``("https://host/rest/", None)``; a job list URL such as
    ``https://host/rest/ExPRES-dev`` gives ``("https://host/rest/", "ExPRES-dev")``. A job's
    URL (``.../rest/ExPRES/2a3490``) or anything else below ``/rest/`` is refused with an
    :class:`AccessError`, before any request. A URL without a ``rest`` segment is a base URL,
    unless it ends with ``ExPRES`` or ``ExPRES-dev``.
    """
    name = words.name("server")
    if not isinstance(server, str) or not server.strip():
        raise AccessError(f"{name} must be the service's base URL, e.g. {DEFAULT_SERVER}")
    text = server.strip()
    parts = split_url(text)
    if parts is None or not is_http_url(text):
        raise AccessError(
            f"{name} {server!r} is not an http(s) URL; the default is {DEFAULT_SERVER}"
        )
    if parts.username is not None or parts.password is not None:
        # Never echo this URL: it holds credentials.
        via = f"{TOKEN_ENV} or ~/.netrc" if words.cli else f"TOKEN, {TOKEN_ENV} or ~/.netrc"
        raise AccessError(
            f"The server URL must not contain credentials: give {words.name('login')}, and "
            f"the token via {via}."
        )
    if parts.query or parts.fragment:
        raise AccessError(f"{name} {server!r} must not have a query or fragment.")
    segments = [s for s in parts.path.split("/") if s]
    if "rest" in segments:
        root = len(segments) - segments[::-1].index("rest")
    elif segments and segments[-1] in _KNOWN_JOB_LISTS:
        root = len(segments) - 1
    elif len(segments) > 1 and segments[-2] in _KNOWN_JOB_LISTS:
        root = len(segments) - 2
    else:
        root = len(segments)
    prefix = f"{parts.scheme.lower()}://{parts.netloc}/"
    base = prefix + "".join(s + "/" for s in segments[:root])
    tail = segments[root:]
    if not tail:
        return base, None
    if len(tail) == 1 and _JOB_LIST_RE.match(tail[0]):
        return base, tail[0]
    if len(tail) == 2 and _JOB_LIST_RE.match(tail[0]):
        raise AccessError(
            f"{name} {server!r} is the URL of job {tail[1]!r}, not of the service: give the "
            f"base URL {base} (or the job list URL {base}{tail[0]}), and the job id to "
            "attach, abort or delete."
        )
    raise AccessError(
        f"{name} {server!r} is neither the service's base URL ({base}) nor a job list URL "
        f"({base}{MAIN_JOB_LIST}); e.g. {DEFAULT_SERVER}"
    )


def _check_request_timeout(timeout: Optional[float], words: Vocabulary) -> Optional[float]:
    if timeout is None:
        return None
    return check_seconds(timeout, words.name("request_timeout"), error=AccessError)


def _check_job_list(job_list: str, words: Vocabulary) -> None:
    if not isinstance(job_list, str) or not _JOB_LIST_RE.match(job_list):
        raise AccessError(
            f"{words.name('job_list')} {job_list!r} is not a job list name (letters, digits, "
            f"'.', '_', '-'; e.g. {MAIN_JOB_LIST!r} or {DEV_JOB_LIST!r})."
        )


def _check_text(name: str, value: Optional[str]) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise AccessError(f"{name} must be a string, not {type(value).__name__}.")
    if has_control(value) or value != value.strip():
        raise AccessError(f"{name} {value!r} contains spaces or control characters.")


def _check_login(login: Optional[str], words: Vocabulary) -> None:
    _check_text(words.name("login"), login)
    if login and ":" in login:
        # HTTP Basic joins user and password with ":" (RFC 7617 §2): a login cannot hold one.
        raise AccessError(
            f"{words.name('login')} {login!r} contains ':', which HTTP Basic cannot carry."
        )


def _plain_http_to_remote(base: str) -> bool:
    parts = urlsplit(base)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def open_client(access: Access, *, session: Optional[requests.Session] = None) -> Client:
    """A client for the access's job list, with its credentials and request timeout (over
    ``session`` when given: see :class:`uws_lite.Client`)."""
    timeout = DEFAULT_TIMEOUT
    if access.request_timeout is not None:
        timeout = DEFAULT_TIMEOUT._replace(read=access.request_timeout)
    return Client(access.list_url, auth=access.auth, timeout=timeout, session=session)
