"""The UWS client: one method per UWS resource (UWS 1.1 §2.2.1).

CONTRACT STUB written by the lead; the helper implementing the client replaces the
bodies (signatures and documented behaviour are the contract other modules use).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, Callable, Iterable, Mapping, Optional, Tuple, Union

import requests
from requests.auth import AuthBase

from .models import Job, JobList, Parameter, Phase, Result

# A form value: text (an "@path" string means "upload this file", uws-client's convention),
# a number, or a local path (Path) which is uploaded as a file part.
FormValue = Union[str, int, float, Path]
# A file part: a path, or (filename, content bytes or binary file object).
FilePart = Union[str, Path, Tuple[str, Union[bytes, IO[bytes]]]]
Auth = Union[Tuple[str, str], AuthBase, None]
Timeout = Union[float, Tuple[float, float]]
OnChange = Callable[[Job], None]
Progress = Callable[[int, Optional[int]], None]

DEFAULT_TIMEOUT: Tuple[float, float] = (10.0, 90.0)  # (connect, read) seconds
DEFAULT_RETRIES = 4


class Client:
    """A UWS job list at ``url`` (e.g. ``https://host/rest/ExPRES``).

    ``auth``: (user, password) for pre-emptive HTTP Basic, or any requests ``AuthBase``;
    None means guest (no Authorization header at all, ``~/.netrc`` is *not* consulted).
    Credentials are only ever sent to the origin (scheme, host, port) of ``url``.
    ``session``: a ``requests.Session`` to use (not closed by :meth:`close`).
    ``timeout``: seconds, or (connect, read). ``retries``: how many times idempotent
    requests (GET/DELETE, and nothing that creates a job) are retried on connection
    errors, 502/503/504 and 429 (honouring ``Retry-After``).
    """

    def __init__(
        self,
        url: str,
        *,
        auth: Auth = None,
        session: Optional[requests.Session] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        raise NotImplementedError

    # -- lifecycle
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *exc: object) -> None: ...

    # -- URLs
    @property
    def url(self) -> str:
        """The job list URL (no trailing slash)."""
        raise NotImplementedError

    def job_url(self, job_id: str) -> str:
        """The job's URL: the creation 303's Location when this client created it, else
        ``<list url>/<job id>`` (a jobref's href is never trusted)."""
        raise NotImplementedError

    # -- job list
    def get_job_list(
        self,
        phases: Optional[Iterable[Union[Phase, str]]] = None,
        after: Union[datetime, str, None] = None,
        last: Optional[int] = None,
    ) -> JobList:
        """GET the job list; PHASE parameters go last in the query (OPUS parses them by regex)."""
        raise NotImplementedError

    # -- creation
    def new_job(
        self,
        parameters: Optional[Mapping[str, FormValue]] = None,
        *,
        files: Optional[Mapping[str, FilePart]] = None,
        run: bool = False,
    ) -> Job:
        """POST a new job (multipart when there are files, urlencoded otherwise), never
        retried; follow the 303's Location with one GET and return the job. With
        ``run=True`` a ``PHASE=RUN`` is POSTed to ``<job>/phase`` afterwards (explicitly:
        servers ignore ``PHASE=RUN`` in the creation form)."""
        raise NotImplementedError

    create_job = new_job

    # -- the job and its phase
    def get_job(
        self, job_id: str, wait: Optional[int] = None, phase: Union[Phase, str, None] = None
    ) -> Job:
        """GET the job; ``wait``/``phase`` send UWS 1.1 ``WAIT``/``PHASE`` (blocking)."""
        raise NotImplementedError

    def get_phase(self, job_id: str) -> Phase:
        raise NotImplementedError

    def run_job(self, job_id: str) -> Job:
        """POST ``PHASE=RUN`` to ``<job>/phase``; return the job as it is afterwards."""
        raise NotImplementedError

    def abort_job(self, job_id: str) -> Job:
        """POST ``PHASE=ABORT`` to ``<job>/phase``; return the job as it is afterwards."""
        raise NotImplementedError

    def delete_job(self, job_id: str) -> None:
        """DELETE the job (falling back to POST ``ACTION=DELETE``); the 303 to the job
        list is never followed."""
        raise NotImplementedError

    # -- job sub-resources
    def get_parameters(self, job_id: str) -> Tuple[Parameter, ...]:
        raise NotImplementedError

    def get_parameter(self, job_id: str, name: str) -> str:
        raise NotImplementedError

    def set_parameters(self, job_id: str, parameters: Mapping[str, FormValue]) -> None:
        raise NotImplementedError

    def get_execution_duration(self, job_id: str) -> Optional[int]:
        raise NotImplementedError

    def set_execution_duration(self, job_id: str, seconds: int) -> None:
        raise NotImplementedError

    def get_destruction(self, job_id: str) -> Optional[datetime]:
        raise NotImplementedError

    def set_destruction(self, job_id: str, when: Union[datetime, str]) -> None:
        raise NotImplementedError

    def get_error(self, job_id: str) -> str:
        """The ``<job>/error`` document reduced to readable text ("" when empty)."""
        raise NotImplementedError

    def get_quote(self, job_id: str) -> Optional[str]:
        raise NotImplementedError

    def get_owner(self, job_id: str) -> Optional[str]:
        raise NotImplementedError

    def get_results(self, job_id: str) -> Tuple[Result, ...]:
        raise NotImplementedError

    # -- waiting
    def wait(
        self,
        job_id: str,
        *,
        timeout: Optional[float] = None,
        on_change: Optional[OnChange] = None,
    ) -> Job:
        """Block until the job reaches a terminal phase and return it (ERROR and ABORTED
        are returned, not raised). Raises WaitTimeout, JobHeld, JobNotStarted."""
        raise NotImplementedError

    # -- downloads
    def download(
        self,
        result: Union[Result, str],
        dest: Union[str, Path],
        *,
        progress: Optional[Progress] = None,
        overwrite: bool = False,
    ) -> Path:
        """Stream a result (or an href) to ``dest``, atomically, resumably, verified."""
        raise NotImplementedError
