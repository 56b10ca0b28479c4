"""uws_lite: a small, typed, hardened client for IVOA UWS 1.0/1.1 job services.

Example::

    from uws_lite import Client
    with Client("https://voparis-uws-maser.obspm.fr/rest/ExPRES") as client:
        job = client.new_job({"runId": "demo"}, files={"config": "example.json"}, run=True)
        job = client.wait(job.job_id, timeout=600)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    ConnectionFailed,
    CreationInterrupted,
    DownloadError,
    DownloadTimeout,
    ForbiddenError,
    HTTPStatusError,
    InsecureNetrc,
    IntegrityError,
    InvalidRequest,
    JobAborted,
    JobError,
    JobFailed,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    MalformedLocation,
    NetrcError,
    NotFound,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    TLSError,
    TransportError,
    UnsafeURL,
    UWSError,
    WaitTimeout,
    WatcherClosed,
)
from .models import ErrorSummary, Job, JobList, JobRef, Parameter, Phase, Result

if TYPE_CHECKING:
    from .client import Client
    from .download import DownloadItem, DownloadOutcome, DownloadReport, DownloadStatus
    from .naming import safe_filename
    from .wait import WaitPolicy
    from .watch import JobWatcher

from ._version import __version__

__all__ = [
    "Client",
    "JobWatcher",
    "WaitPolicy",
    "DownloadItem",
    "DownloadOutcome",
    "DownloadReport",
    "DownloadStatus",
    "safe_filename",
    # models
    "ErrorSummary",
    "Job",
    "JobList",
    "JobRef",
    "Parameter",
    "Phase",
    "Result",
    # errors
    "AuthenticationError",
    "ConnectionFailed",
    "CreationInterrupted",
    "DownloadError",
    "DownloadTimeout",
    "ForbiddenError",
    "HTTPStatusError",
    "InsecureNetrc",
    "IntegrityError",
    "InvalidRequest",
    "JobAborted",
    "JobError",
    "JobFailed",
    "JobHeld",
    "JobNotFound",
    "MalformedLocation",
    "JobNotStarted",
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
    "__version__",
]

# The client, the watcher and downloads load requests (and the parser lxml): they are imported
# on first use (PEP 562), so that `python -m uws_lite --help` and the models/errors start fast.
_LAZY = {
    "Client": ".client",
    "DownloadItem": ".download",
    "DownloadOutcome": ".download",
    "DownloadReport": ".download",
    "DownloadStatus": ".download",
    "safe_filename": ".naming",
    "WaitPolicy": ".wait",
    "JobWatcher": ".watch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
