"""uws_lite: a small, typed, hardened client for IVOA UWS 1.0/1.1 job services.

    from uws_lite import Client
    with Client("https://voparis-uws-maser.obspm.fr/rest/ExPRES") as client:
        job = client.new_job({"runId": "demo"}, files={"config": "example.json"}, run=True)
        job = client.wait(job.job_id, timeout=600)
"""

from __future__ import annotations

from .client import Client
from .download import DownloadItem, download_file, download_many
from .errors import (
    AuthenticationError,
    ConnectionFailed,
    DownloadError,
    ForbiddenError,
    HTTPStatusError,
    IntegrityError,
    InvalidRequest,
    JobAborted,
    JobError,
    JobFailed,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    NotFound,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    TransportError,
    UnsafeURL,
    UWSError,
    WaitTimeout,
)
from .models import ErrorSummary, Job, JobList, JobRef, Parameter, Phase, Result
from .naming import safe_filename
from .wait import WaitPolicy

__version__ = "1.0.0"

__all__ = [
    "Client",
    "WaitPolicy",
    "DownloadItem",
    "download_file",
    "download_many",
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
    "DownloadError",
    "ForbiddenError",
    "HTTPStatusError",
    "IntegrityError",
    "InvalidRequest",
    "JobAborted",
    "JobError",
    "JobFailed",
    "JobHeld",
    "JobNotFound",
    "JobNotStarted",
    "NotFound",
    "ParseError",
    "RequestTimeout",
    "ServerError",
    "ServiceErrorDocument",
    "TransportError",
    "UWSError",
    "UnsafeURL",
    "WaitTimeout",
    "__version__",
]
