"""UWS documents (job, job list, results, parameters) read into :mod:`uws_lite.models`.

The bytes are parsed by the hardened reader (:mod:`uws_lite.xmlsafe`); this module only
turns elements into models. Reading is namespace-correct (namespace URI + local name, so
``uws:``, ``u:`` and a default namespace are all the same) and lenient with the quirks
real servers have (../shared/reference/uws-landscape.md §1.5, §4; opus-server.md). Each
quirk is pinned by a fixture in tests/data/. Elements in *no* namespace are accepted as
UWS elements too: the root's local name must still be right and a root in any *other*
namespace (XHTML, VOTable, ...) is refused, so this only forgives servers that forget the
namespace declaration, which costs nothing and loses nothing.
:func:`uws_lite.schema.validate` is the strict check.
"""

from __future__ import annotations

import contextlib
import copy
import re
from datetime import datetime
from itertools import chain, repeat
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, cast
from urllib.parse import unquote_plus, urljoin

from lxml import etree

from ._fastnew import fast_new, fast_new_all
from .errors import ParseError, redact_url
from .models import ErrorSummary, Job, JobList, JobRef, Parameter, Phase, Result
from .text import for_terminal
from .times import parse_datetime
from .xmlsafe import (
    MAX_DOCUMENT_BYTES,
    MAX_JOB_LIST_BYTES,
    all_text,
    excerpt,
    read_children,
    read_document,
    where,
)

__all__ = [
    "UWS_NS",
    "parse_job",
    "parse_job_list",
    "parse_parameters",
    "parse_results",
]

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"  # the same namespace for UWS 1.0 and 1.1 (§1.3)
_XLINK_NS = "http://www.w3.org/1999/xlink"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XLINK_HREF = f"{{{_XLINK_NS}}}href"
_XLINK_TYPE = f"{{{_XLINK_NS}}}type"

# Tag -> local name for UWS elements, qualified or in no namespace. One dict lookup per
# element is the whole namespace check (much cheaper than QName or XPath per element).
_LOCAL_NAMES = (
    *("job", "jobId", "runId", "ownerId", "phase", "quote", "creationTime", "startTime"),
    *("endTime", "executionDuration", "destruction", "errorSummary", "message", "jobInfo"),
    *("jobs", "jobref", "parameters", "parameter", "results", "result"),
)
_UWS: Dict[object, str] = {f"{{{UWS_NS}}}{n}": n for n in _LOCAL_NAMES}
_UWS.update({n: n for n in _LOCAL_NAMES})


# --- the documents -----------------------------------------------------------------


def parse_job(
    data: bytes, *, url: Optional[str] = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Job:
    """Read a ``<uws:job>`` document. ``url`` is the job's URL: it becomes ``Job.url`` and
    relative result hrefs are resolved against it."""
    root = _root(data, url, max_bytes, "job")
    # Never carry user:password@ into Job.url or into result hrefs joined onto it.
    job = _job(root, redact_url(url) or None)
    if job is None:
        raise ParseError(
            f"the <uws:job> document from {where(url)} has no <jobId>",
            url=url,
            excerpt=excerpt(data),
        )
    return job


def parse_job_list(
    data: bytes, *, url: Optional[str] = None, max_bytes: int = MAX_JOB_LIST_BYTES
) -> JobList:
    """Read a ``<uws:jobs>`` document, keeping document order.

    Read incrementally (:func:`uws_lite.xmlsafe.read_children`): each job becomes a JobRef
    and its elements are freed as the parse goes, so a 100 000-job list never becomes a
    whole tree in memory. ESA TAP+ lists full ``<uws:job>`` elements instead of jobrefs;
    they become JobRefs.
    """
    refs: List[JobRef] = []

    def on_item(el: etree._Element) -> None:
        ref = _jobref(el) if _UWS.get(el.tag) == "jobref" else _job_as_ref(el)
        if ref is not None:
            refs.append(ref)

    root = read_children(
        data,
        _LIST_ITEM_TAGS,
        on_item,
        check_root=lambda root: _check_root_name(root, data, url, "jobs"),
        url=url,
        max_bytes=max_bytes,
        what="<uws:jobs>",
    )
    return JobList(jobs=tuple(refs), version=root.get("version"))


_LIST_ITEM_TAGS = (f"{{{UWS_NS}}}jobref", f"{{{UWS_NS}}}job", "jobref", "job")


def parse_results(
    data: bytes, *, url: Optional[str] = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Tuple[Result, ...]:
    """Read a ``<uws:results>`` document (``<job>/results``); relative hrefs are resolved
    against ``url``, the URL the document came from."""
    return _results(_root(data, url, max_bytes, "results"), redact_url(url) or None)


def parse_parameters(
    data: bytes, *, url: Optional[str] = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Tuple[Parameter, ...]:
    """Read a ``<uws:parameters>`` document (``<job>/parameters``)."""
    return _parameters(_root(data, url, max_bytes, "parameters"))


def _root(data: bytes, url: Optional[str], max_bytes: int, expected: str) -> etree._Element:
    root = read_document(data, url=url, max_bytes=max_bytes, what=f"<uws:{expected}>")
    _check_root_name(root, data, url, expected)
    return root


def _check_root_name(root: etree._Element, data: bytes, url: Optional[str], expected: str) -> None:
    if _UWS.get(root.tag) != expected:
        raise ParseError(
            f"expected a UWS <{expected}> document (namespace {UWS_NS}) from "
            f"{where(url)} but the root element is {_tag_text(root.tag)}; "
            "check that the URL is the UWS job list or job",
            url=url,
            excerpt=excerpt(data),
        )


def _tag_text(tag: object) -> str:
    # The namespace is any text the server chose: shown safely.
    if not isinstance(tag, str):
        return "not an element"
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return for_terminal(f"<{local}> in namespace {namespace}")
    return for_terminal(f"<{tag}> in no namespace")


# The models built per result / per job list item: without their __init__ (speed).
_new_results = fast_new_all(Result, "id", "href", "size", "mime_type", "attributes")
_new_jobref = fast_new(JobRef, "job_id", "phase", "run_id", "owner_id", "creation_time", "href")


# --- small readers -----------------------------------------------------------------


def _text(el: etree._Element) -> Optional[str]:
    """Stripped text of a simple element; None when xsi:nil, empty or blank."""
    if el.get(_XSI_NIL) in ("true", "1"):
        return None
    text = el.text if len(el) == 0 else all_text(el)
    if text is None:
        return None
    return text.strip() or None


def _bool(value: Optional[str]) -> bool:
    # xs:boolean is "true|false|1|0"; OPUS writes 0/1, others true/false. Absent or
    # anything else: false.
    return value is not None and value.strip().lower() in ("true", "1")


def _int(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return None


_PHASES = {p.value: p for p in Phase}


def _phase(el: etree._Element) -> Phase:
    text = el.text
    if text is None:
        return Phase.UNKNOWN
    return _PHASES.get(text) or Phase.parse(text)  # exact match first: the common case


def _time(el: etree._Element) -> Optional[datetime]:
    return parse_datetime(_text(el))


def _duration(el: etree._Element) -> Optional[int]:
    return _int(_text(el))


# --- jobs and job list items -------------------------------------------------------


def _job(root: etree._Element, url: Optional[str]) -> Optional[Job]:
    # Any order is accepted (OPUS writes quote after endTime); elements that are not in
    # the table, such as ESA's locationId and name, are skipped.
    fields: Dict[str, Any] = {}
    for child in root:
        name = _UWS.get(child.tag)
        if name == "results":
            fields["results"] = _results(child, url)
        else:
            reader = _JOB_CHILDREN.get(name)
            if reader is not None:
                fields[reader[0]] = reader[1](child)
    job_id = fields.pop("job_id", None)
    if job_id is None:
        return None
    return Job(
        job_id=job_id,
        phase=fields.pop("phase", Phase.UNKNOWN),
        quote=parse_datetime(fields.get("quote_text")),
        version=root.get("version"),
        url=url,
        **fields,
    )


def _job_as_ref(el: etree._Element) -> Optional[JobRef]:
    """A full ``<job>`` in a job list (ESA TAP+) as a JobRef; None without a jobId."""
    job = _job(el, None)
    if job is None:
        return None
    return JobRef(
        job_id=job.job_id,
        phase=job.phase,
        run_id=job.run_id,
        owner_id=job.owner_id,
        creation_time=job.creation_time,
    )


def _jobref(el: etree._Element) -> JobRef:
    # The hot loop of a 10 000-job list: a plain if-chain is the fastest form here.
    phase = Phase.UNKNOWN
    run_id = owner_id = creation_time = None
    for child in el:
        name = _UWS.get(child.tag)
        if name == "phase":
            phase = _phase(child)
        elif name == "creationTime":
            creation_time = _time(child)
        elif name == "runId":
            run_id = _text(child)
        elif name == "ownerId":
            owner_id = _text(child)
    return _new_jobref(
        job_id=el.get("id", ""),
        phase=phase,
        run_id=run_id,
        owner_id=owner_id,
        creation_time=creation_time,
        href=el.get(_XLINK_HREF) or None,
    )


def _job_info(el: etree._Element) -> Tuple[etree._Element, ...]:
    # Copies: each is a standalone element (namespaces reconciled by lxml), so holding a
    # Job does not keep the whole document tree alive.
    infos = []
    for child in el:
        if isinstance(child.tag, str):
            info = copy.deepcopy(child)
            info.tail = None
            infos.append(info)
    return tuple(infos)


def _error_summary(el: etree._Element) -> Optional[ErrorSummary]:
    if el.get(_XSI_NIL) in ("true", "1"):
        return None  # OPUS and ESA write a nil errorSummary when there is no error
    messages = [m for m in (_text(c) for c in el if _UWS.get(c.tag) == "message") if m]
    # OPUS (and the server in pyvo #431) put the text directly in errorSummary.
    message = "\n".join(messages) if messages else (el.text or "").strip()
    kind = (el.get("type") or "").strip().lower() or None
    # ESA TAP+ writes "hasDetails".
    has_detail = _bool(el.get("hasDetail", el.get("hasDetails")))
    if not message and kind is None and not has_detail:
        return None
    return ErrorSummary(message=message, type=kind, has_detail=has_detail)


def _parameters(el: etree._Element) -> Tuple[Parameter, ...]:
    return tuple(_parameter(c) for c in el if _UWS.get(c.tag) == "parameter")


def _parameter(el: etree._Element) -> Parameter:
    by_ref_text = el.get("byReference")
    by_reference = _bool(by_ref_text)
    if el.get(_XSI_NIL) in ("true", "1"):
        value: Optional[str] = None
    else:
        value = (el.text if len(el) == 0 else all_text(el)) or ""
        if by_reference:
            value = value.strip()  # a URL; the spec example wraps it over lines
        if by_ref_text is not None and by_ref_text.strip() in ("0", "1"):
            # OPUS (the only server known to write byReference as 0/1) stores values
            # quote_plus-encoded. Standard servers write true/false, and their values
            # must never be altered ("a+b" is a real ADQL value).
            value = unquote_plus(value)
    return Parameter(
        id=el.get("id", ""), value=value, by_reference=by_reference, is_post=_bool(el.get("isPost"))
    )


_RESULT_TAGS = (f"{{{UWS_NS}}}result", "result")
_KNOWN_ATTRIBUTES = frozenset({"id", "href", "size", "mime-type", _XLINK_HREF, _XLINK_TYPE})
# A reference with a scheme is absolute (RFC 3986 §4.3): kept exactly as written.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HTTP = ("http://", "https://")  # the common case, tested before the regex
# lxml's own methods, mapped over the results (no Python call per result). For a parsed
# tree they give str (the stubs also allow bytes).
_names_of = cast(Callable[[etree._Element], List[str]], etree._Element.keys)
_values_of = cast(Callable[[etree._Element], List[str]], etree._Element.values)


def _results(el: etree._Element, url: Optional[str]) -> Tuple[Result, ...]:
    # Reading a 1000-result job is a benchmark figure, so results are read by column: lxml
    # gives each result's attribute names and values in one call each (mapped in C), all
    # the results of a document normally have the same attributes in the same order (then
    # the values, flattened, are sliced into one column per attribute), and each column is
    # converted in one pass. Nothing runs Python code once per result except the
    # comprehensions that build the Results' dicts.
    items = list(el.iterchildren(_RESULT_TAGS))  # filtered in C: no tag strings built
    if not items:
        return ()
    names = _names_of(items[0])
    if all(map(names.__eq__, map(_names_of, items))):
        flat = list(chain.from_iterable(map(_values_of, items)))
        columns = [flat[i :: len(names)] for i in range(len(names))]
        return _results_from_columns(names, columns, len(items), url)
    # Results with different attributes (never seen from a real server): one at a time.
    return tuple(
        result
        for item in items
        for result in _results_from_columns(_names_of(item), list(zip(_values_of(item))), 1, url)
    )


def _results_from_columns(
    names: List[str], columns: Sequence[Sequence[str]], count: int, url: Optional[str]
) -> Tuple[Result, ...]:
    """The ``count`` results whose attributes ``names`` have the values ``columns``."""
    where = dict(zip(names, columns))
    ids = where.get("id") or ("",) * count
    # xlink:href, or a plain href from a server that forgot the xlink prefix.
    hrefs = _hrefs(where.get(_XLINK_HREF) or where.get("href") or ("",) * count, url)
    mime_types: Sequence[Optional[str]] = where.get("mime-type") or (None,) * count
    if "" in mime_types:
        mime_types = [m or None for m in mime_types]
    sizes: Sequence[Optional[int]] = (None,) * count
    if "size" in where:
        sizes = [_size(s) for s in where["size"]]
    # Any other attribute by its local name: OPUS's name/hash, urn:uwscustom attributes, ...
    extra = [(n.rpartition("}")[2], c) for n, c in where.items() if n not in _KNOWN_ATTRIBUTES]
    fields = zip(ids, hrefs, sizes, mime_types, _dicts(extra, count))
    return tuple(
        _new_results(
            [
                {"id": i, "href": h, "size": s, "mime_type": m, "attributes": a}
                for i, h, s, m, a in fields
            ]
        )
    )


def _dicts(columns: Sequence[Tuple[str, Sequence[str]]], rows: int) -> List[Dict[str, str]]:
    """One dict per row of the named ``columns`` (repeated names: the last one wins)."""
    if not columns:
        return [{} for _ in range(rows)]
    if len(columns) == 2:  # OPUS's name and hash: a dict display is 3x faster than dict()
        (first, firsts), (second, seconds) = columns
        return [{first: a, second: b} for a, b in zip(firsts, seconds)]
    names = [name for name, _ in columns]
    return [dict(zip(names, row)) for row in zip(*(values for _, values in columns))]


def _size(value: str) -> Optional[int]:
    size = _int(value)
    return None if size is None or size < 0 else size


def _hrefs(column: Sequence[str], url: Optional[str]) -> Sequence[Optional[str]]:
    """The hrefs of ``column`` stripped, relative ones resolved against ``url``, "" None."""
    hrefs = list(map(str.strip, column))
    if url and not all(map(str.startswith, hrefs, repeat(_HTTP))):
        hrefs = [_resolve(href, url) for href in hrefs]
    return [h or None for h in hrefs] if "" in hrefs else hrefs


def _resolve(href: str, url: str) -> str:
    if href and not href.startswith(_HTTP) and not _ABSOLUTE.match(href):
        # Relative hrefs (CEFCA, pyvo #191) resolve against the document's URL.
        # Non-HTTP references such as "uws:executing:10" (Rubin) have a scheme.
        with contextlib.suppress(ValueError):  # "//[x": kept; downloads refuse it
            return urljoin(url, href)
    return href


# <job> child local name -> (Job field, reader). <results> needs the URL: see _job.
_JOB_CHILDREN: Dict[Optional[str], Tuple[str, Callable[[etree._Element], object]]] = {
    "jobId": ("job_id", _text),
    "phase": ("phase", _phase),
    "runId": ("run_id", _text),
    "ownerId": ("owner_id", _text),
    # Not always a time: OPUS writes seconds ("120"), ESA "-1". The text is kept.
    "quote": ("quote_text", _text),
    "creationTime": ("creation_time", _time),
    "startTime": ("start_time", _time),
    "endTime": ("end_time", _time),
    "executionDuration": ("execution_duration", _duration),
    "destruction": ("destruction", _time),
    "parameters": ("parameters", _parameters),
    "errorSummary": ("error_summary", _error_summary),
    "jobInfo": ("job_info", _job_info),
}
