"""What the fake OPUS (fake_opus.py) holds, jobs and their results, and the documents it
writes from them, shaped like OPUS's: UWS 1.0 namespace, no ``version``, naive times,
quote_plus-encoded parameter values with ``byReference`` 0/1, ``xsi:nil`` for empty values,
results with OPUS's ``name`` and SHA-1 ``hash`` (both empty for logs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import quote_plus, unquote_plus
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "NS",
    "FakeJob",
    "FakeResult",
    "job_xml",
    "list_xml",
    "parameters_xml",
    "results_xml",
    "store_id",
]

NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.ivoa.net/xml/UWS/v1.0 http://ivoa.net/xml/UWS/UWS-v1.0.xsd"'
)
LOGS = ("stdout", "stderr", "provjson", "provxml", "provsvg")  # OPUS: name="" hash=""


@dataclass
class FakeResult:
    id: str
    content: bytes
    mime_type: str = "application/octet-stream"
    status: int = 200  # what the store answers (404, 500: a broken file)
    size: Optional[int] = None  # a ``size`` attribute (OPUS sends none)
    sha1: Optional[str] = None  # the ``hash``; None: the file's own ("" for logs); "": none
    href: Optional[str] = None  # None: a store URL on the fake's host


@dataclass
class FakeJob:
    job_id: str
    phase: str = "PENDING"
    job_list: str = "ExPRES"
    run_id: Optional[str] = None
    owner: str = "anonymous"
    creation: str = "2026-11-24T22:39:01"
    parameters: Dict[str, str] = field(default_factory=dict)
    uploads: Dict[str, Tuple[str, bytes]] = field(default_factory=dict)  # name -> (file, bytes)
    results: List[FakeResult] = field(default_factory=list)
    error: Optional[str] = None  # the errorSummary
    error_detail: str = ""  # what <job>/error answers
    duration: int = 600  # executionDuration
    destruction: str = "2026-12-24T22:39:01"
    script: List[str] = field(default_factory=lambda: ["QUEUED", "EXECUTING", "COMPLETED"])
    """The phases ahead, one step at a time (see FakeOpus); "503" answers one GET with 503."""
    gets: int = 0  # GETs of the job document


def store_id(job: FakeJob, result: FakeResult) -> str:
    """A 6-hex store id, like OPUS's entity ids."""
    return hashlib.md5(f"{job.job_id}/{result.id}".encode()).hexdigest()[:6]  # noqa: S324


def job_xml(job: FakeJob, parameters: str, results: str) -> str:
    """``<uws:job>`` with the given ``<uws:parameter>`` and ``<uws:result>`` elements."""
    summary = f"<uws:errorSummary>{escape(job.error)}</uws:errorSummary>" if job.error else ""
    return (
        f"<uws:job {NS}><uws:jobId>{job.job_id}</uws:jobId>{_nil('runId', job.run_id)}"
        f"<uws:ownerId>{job.owner}</uws:ownerId><uws:phase>{job.phase}</uws:phase>"
        f"<uws:creationTime>{job.creation}</uws:creationTime>"
        '<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/><uws:quote xsi:nil="true"/>'
        f"<uws:executionDuration>{job.duration}</uws:executionDuration>"
        f"<uws:destruction>{job.destruction}</uws:destruction>"
        f"<uws:parameters>{parameters}</uws:parameters><uws:results>{results}</uws:results>"
        f"{summary or _nil('errorSummary', None)}<uws:jobInfo/></uws:job>"
    )


def parameters_xml(job: FakeJob, host: str) -> str:
    """The ``<uws:parameter>`` elements: values quote_plus-encoded as OPUS writes them (after
    decoding them: a "+" sent comes back as a space), uploads by reference to a store URL."""
    values = [(name, value, "0") for name, value in job.parameters.items()]
    values += [(name, f"{host}/store?ID=up-{name}", "1") for name in job.uploads]
    return "".join(
        f'<uws:parameter id={quoteattr(name)} byReference="{by_ref}">'
        f"{quote_plus(unquote_plus(value))}</uws:parameter>"
        for name, value, by_ref in values
    )


def results_xml(job: FakeJob, href: Callable[[FakeJob, FakeResult], str]) -> str:
    """The ``<uws:result>`` elements, each with OPUS's ``name`` and ``hash``."""
    items = []
    for r in job.results:
        attributes = f"id={quoteattr(r.id)} xlink:href={quoteattr(href(job, r))} "
        attributes += f'mime-type="{r.mime_type}"'
        if r.size is not None:
            attributes += f' size="{r.size}"'
        own_file = r.id not in LOGS and r.href is None  # logs and links elsewhere: empty
        name = f"{store_id(job, r)}_{r.id}" if own_file else ""
        digest = r.sha1
        if digest is None:
            digest = hashlib.sha1(r.content).hexdigest() if own_file else ""  # noqa: S324
        items.append(f'<uws:result {attributes} name={quoteattr(name)} hash="{digest}"/>')
    return "".join(items)


def list_xml(jobs: List[FakeJob], job_url: Callable[[FakeJob], str], *, times: bool) -> str:
    """``<uws:jobs>``; ``times`` False leaves out creationTime (DaCHS)."""
    refs = "".join(
        f'<uws:jobref id="{j.job_id}" xlink:href="{job_url(j)}">'
        f"<uws:phase>{j.phase}</uws:phase>{_nil('runId', j.run_id)}"
        + (f"<uws:creationTime>{j.creation}</uws:creationTime>" if times else "")
        + "</uws:jobref>"
        for j in jobs
    )
    return f"<uws:jobs {NS}>{refs}</uws:jobs>"


def _nil(tag: str, value: Optional[str]) -> str:
    """OPUS writes any empty value as ``xsi:nil``."""
    return f"<uws:{tag}>{escape(value)}</uws:{tag}>" if value else f'<uws:{tag} xsi:nil="true"/>'
