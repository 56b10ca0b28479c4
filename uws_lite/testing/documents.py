"""The documents OPUS writes: UWS XML (job, job list, parameters, results) and error pages.

Written with ElementTree exactly as OPUS's uws_classes.py does, which gives its quirks for free:
a ``uws:`` prefix declared as plain attributes, no ``version`` attribute, no XML declaration,
``xsi:nil="true"`` for every empty value, non-ASCII as character references. Parameter values
are URL-encoded (``quote_plus``), ``byReference`` is ``0``/``1``, results carry OPUS's ``name``
and ``hash`` attributes, and job references point to ``BASE/<list>/<id>`` (OPUS leaves out
``/rest`` there: the href is not a usable URL).
"""

from __future__ import annotations

import hashlib
import html
import xml.etree.ElementTree as ETree
from typing import Dict, Iterable, Optional
from urllib.parse import quote_plus, unquote_plus

from .state import DT_FMT, JobSnapshot, ResultEntry

__all__ = [
    "error_page",
    "hostile",
    "job_list_xml",
    "job_xml",
    "parameters_xml",
    "results_xml",
    "wrong_hash",
]

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"
_NAMESPACES = {
    "xmlns:uws": UWS_NS,
    "xmlns:xlink": "http://www.w3.org/1999/xlink",
    "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsi:schemaLocation": "http://www.ivoa.net/xml/UWS/v1.0 http://ivoa.net/xml/UWS/UWS-v1.0.xsd",
}
_NIL = {"xsi:nil": "true"}


def _text(value: object) -> str:
    if hasattr(value, "strftime"):
        return value.strftime(DT_FMT)  # type: ignore[no-any-return]
    return str(value)


def _add(parent: ETree.Element, tag: str, value: object) -> None:
    # OPUS's add_sub_elt: any false value (None, "", 0) is written as xsi:nil.
    if value:
        ETree.SubElement(parent, tag).text = _text(value)
    else:
        ETree.SubElement(parent, tag, attrib=dict(_NIL))


def _fill_parameters(parent: ETree.Element, job: JobSnapshot, base_url: str) -> None:
    for name in sorted(job.parameters):
        param = job.parameters[name]
        if not param.value:
            continue  # OPUS leaves out parameters without a value
        value = param.value
        if param.entity_id:
            value = f"{base_url}/store?ID={param.entity_id}"
        element = ETree.SubElement(
            parent,
            "uws:parameter",
            attrib={"id": name, "byReference": "1" if param.by_reference else "0"},
        )
        element.text = quote_plus(unquote_plus(value))


def _fill_results(parent: ETree.Element, results: Iterable[ResultEntry]) -> None:
    for result in results:
        attrib = {
            "id": result.id,
            "xlink:href": result.url,
            "mime-type": result.mime_type or "text/plain",
            "name": result.name,
            "hash": result.hash,
        }
        ETree.SubElement(parent, "uws:result", attrib=attrib)


def job_xml(
    job: JobSnapshot, base_url: str, results: Optional[Iterable[ResultEntry]] = None
) -> bytes:
    """``<uws:job>``; ``results`` replaces the job's own (for the hostile-ids fault)."""
    root = ETree.Element("uws:job", attrib=dict(_NAMESPACES))
    _add(root, "uws:jobId", job.job_id)
    _add(root, "uws:runId", job.run_id)
    _add(root, "uws:ownerId", job.owner)
    _add(root, "uws:phase", job.phase)
    _add(root, "uws:creationTime", job.creation_time)
    _add(root, "uws:startTime", job.start_time)
    _add(root, "uws:endTime", job.end_time)
    _add(root, "uws:quote", job.quote)
    _add(root, "uws:executionDuration", job.execution_duration)
    _add(root, "uws:destruction", job.destruction)
    _fill_parameters(ETree.SubElement(root, "uws:parameters"), job, base_url)
    _fill_results(
        ETree.SubElement(root, "uws:results"), job.results if results is None else results
    )
    _add(root, "uws:errorSummary", job.error)
    info = ETree.SubElement(root, "uws:jobInfo")
    _add(info, "process_id", str(job.process_id))  # str(None) == "None": OPUS writes it so
    return ETree.tostring(root)


def job_list_xml(jobs: Iterable[JobSnapshot], base_url: str, list_name: str) -> bytes:
    root = ETree.Element("uws:jobs", attrib=dict(_NAMESPACES))
    for job in jobs:
        ref = ETree.SubElement(
            root,
            "uws:jobref",
            attrib={"id": job.job_id, "xlink:href": f"{base_url}/{list_name}/{job.job_id}"},
        )
        ETree.SubElement(ref, "uws:phase").text = job.phase
        ETree.SubElement(ref, "uws:runId").text = job.run_id
        ETree.SubElement(ref, "uws:creationTime").text = _text(job.creation_time)
    return ETree.tostring(root)


def parameters_xml(job: JobSnapshot, base_url: str) -> bytes:
    root = ETree.Element("uws:parameters", attrib=dict(_NAMESPACES))
    _fill_parameters(root, job, base_url)
    return ETree.tostring(root)


def results_xml(results: Iterable[ResultEntry]) -> bytes:
    root = ETree.Element("uws:results", attrib=dict(_NAMESPACES))
    _fill_results(root, results)
    return ETree.tostring(root)


# -- faults -------------------------------------------------------------------------------

_LAUGHS = "".join(f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10}">' for k in range(1, 10))
_DTDS: Dict[str, str] = {
    "entity": '<!DOCTYPE uws:job [<!ENTITY note "expanded by the parser">]>',
    "billion_laughs": f'<!DOCTYPE uws:job [<!ENTITY lol0 "lol">{_LAUGHS}]>',
    "external_entity": '<!DOCTYPE uws:job [<!ENTITY note SYSTEM "file:///etc/passwd">]>',
}
_REFS = {"entity": "&note;", "billion_laughs": "&lol9;", "external_entity": "&note;"}


def hostile(document: bytes, kind: str) -> bytes:
    """The job document with a DTD of the given kind, its entity used inside ``jobInfo``."""
    if kind not in _DTDS:
        raise ValueError(f"unknown hostile_xml kind {kind!r} (known: {', '.join(_DTDS)})")
    used = document.replace(
        b"<uws:jobInfo>", b"<uws:jobInfo><note>" + _REFS[kind].encode() + b"</note>", 1
    )
    return _DTDS[kind].encode() + b"\n" + used


def wrong_hash(value: str) -> str:
    """A SHA-1 that is not ``value`` (the hash_mismatch fault)."""
    other = hashlib.sha1(b"not the file " + value.encode())  # noqa: S324 (OPUS's hash is SHA-1)
    return other.hexdigest()


# -- HTML -------------------------------------------------------------------------------

_REASONS = {
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    416: "Requested Range Not Satisfiable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def reason(status: int) -> str:
    return _REASONS.get(status, "Error")


def error_page(status: int, url: str, message: str) -> bytes:
    """A bottle error page: the message is in ``<pre>``."""
    title = f"Error: {status} {reason(status)}"
    page = f"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html>
    <head>
        <title>{title}</title>
        <style type="text/css">
          html {{background-color: #eee; font-family: sans-serif;}}
          body {{background-color: #fff; border: 1px solid #ddd;
                padding: 15px; margin: 15px;}}
          pre {{background-color: #eee; border: 1px solid #ddd; padding: 5px;}}
        </style>
    </head>
    <body>
        <h1>{title}</h1>
        <p>Sorry, the requested URL <tt>{html.escape(repr(url))}</tt>
           caused an error:</p>
        <pre>{html.escape(message)}</pre>
    </body>
</html>
"""
    return page.encode("utf-8")


MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html><head><title>Service temporarily unavailable</title></head>
<body><h1>Maintenance</h1><p>The MASER services are being updated. Please come back later.</p>
</body></html>
"""
