"""A local, OPUS-compatible UWS server for tests and offline demos.

``OpusServer`` behaves like OPUS serving ExPRES (the production run-on-demand service) on
loopback: job lists, multipart creation, a simulated run, WAIT, results and downloads, users
and roles, OPUS's quirks, and switchable faults. ``python -m uws_lite.testing`` runs it as a
demo server; the pytest plugin (``uws_lite.testing.pytest_plugin``) provides fixtures.
``build_expres_cdf(config_bytes)`` makes the small ExPRES-shaped CDF a simulated run returns
(needs cdflib).
"""

from __future__ import annotations

from .expres_cdf import build as build_expres_cdf
from .faults import HOSTILE_XML_KINDS, Faults
from .payload import content as generated_content
from .payload import sha1_hex as generated_sha1
from .plan import RunPlan
from .requestlog import RecordedRequest
from .server import DEFAULT_LISTS, OpusServer
from .state import JobSnapshot, ResultEntry, UploadedFile

__all__ = [
    "OpusServer",
    "RunPlan",
    "Faults",
    "HOSTILE_XML_KINDS",
    "DEFAULT_LISTS",
    "JobSnapshot",
    "ResultEntry",
    "UploadedFile",
    "RecordedRequest",
    "generated_content",
    "generated_sha1",
    "build_expres_cdf",
]
