"""Reading UWS documents (job, job list, results, parameters) and server error bodies.

Every document from a server is untrusted. It is parsed by one hardened lxml parser: no
DTD at all (a DOCTYPE is refused outright, before and after parsing), no entity
resolution, no network, no external file (a resolver refuses every external reference),
default depth/size limits (no ``huge_tree``), and a byte limit checked before parsing.

Reading is namespace-correct (namespace URI + local name, so ``uws:``, ``u:`` and a
default namespace are all the same) and lenient with the quirks real servers have
(../shared/reference/uws-landscape.md §1.5, §4; opus-server.md). Each quirk is pinned by a
fixture in tests/data/. Elements in *no* namespace are accepted as UWS elements too: the
root's local name must still be right and a root in any *other* namespace (XHTML,
VOTable, ...) is refused, so this only forgives servers that forget the namespace
declaration, which costs nothing and loses nothing. :func:`validate` is the strict check.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import dataclasses
import re
import threading
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    cast,
)
from urllib.parse import unquote_plus, urljoin

from lxml import etree

from .errors import InvalidRequest, ParseError, redact_url
from .models import ErrorSummary, Job, JobList, JobRef, Parameter, Phase, Result

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_JOB_LIST_BYTES",
    "error_message",
    "make_parser",
    "parse_datetime",
    "parse_job",
    "parse_job_list",
    "parse_parameters",
    "parse_results",
    "validate",
    "votable_error",
]

MAX_DOCUMENT_BYTES: int = 16 * 1024 * 1024
# A guest job list holds every guest's jobs and only grows (100 000 jobs are ~21 MB).
MAX_JOB_LIST_BYTES: int = 256 * 1024 * 1024

UWS_NS = "http://www.ivoa.net/xml/UWS/v1.0"  # the same namespace for UWS 1.0 and 1.1 (§1.3)
XLINK_NS = "http://www.w3.org/1999/xlink"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XLINK_HREF = f"{{{XLINK_NS}}}href"
_XLINK_TYPE = f"{{{XLINK_NS}}}type"

# Tag -> local name for UWS elements, qualified or in no namespace. One dict lookup per
# element is the whole namespace check (much cheaper than QName or XPath per element).
_LOCAL_NAMES = (
    *("job", "jobId", "runId", "ownerId", "phase", "quote", "creationTime", "startTime"),
    *("endTime", "executionDuration", "destruction", "errorSummary", "message", "jobInfo"),
    *("jobs", "jobref", "parameters", "parameter", "results", "result"),
)
_UWS: Dict[object, str] = {f"{{{UWS_NS}}}{n}": n for n in _LOCAL_NAMES}
_UWS.update({n: n for n in _LOCAL_NAMES})

_EXCERPT_CHARS = 200
_MESSAGE_CHARS = 2000
_ERROR_BODY_BYTES = 1024 * 1024  # error bodies: only the start is looked at


# --- the hardened parser -----------------------------------------------------------


class _RefusedReference(Exception):
    """Raised by :class:`_DenyResolver`; turned into a ParseError."""


class _DenyResolver(etree.Resolver):
    """Refuse every external DTD, entity or file. With ``collect_ids=False`` some lxml
    builds load external parameter entities even without ``load_dtd`` (seen with lxml
    6.1 / libxml2 2.14), so the parser options alone are not trusted."""

    def resolve(  # type: ignore[override]  # lxml passes a context the stubs omit
        self, system_url: str, public_id: str, context: object
    ) -> None:
        raise _RefusedReference(f"external reference {system_url!r} refused")


def make_parser(*, recover: bool = False) -> etree.XMLParser:
    """A new hardened parser (one per thread: lxml parsers are not thread-safe)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        recover=recover,
    )
    parser.resolvers.add(_DenyResolver())
    return parser


_local = threading.local()


def _parser(recover: bool = False) -> etree.XMLParser:
    name = "recovering" if recover else "strict"
    parser: Optional[etree.XMLParser] = getattr(_local, name, None)
    if parser is None:
        parser = make_parser(recover=recover)
        setattr(_local, name, parser)
    return parser


# A root start tag: "<" then a name character. Anything before it is the prolog.
_ROOT_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")
_DTD_MARKERS = tuple(
    m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)


def _has_dtd(data: bytes) -> bool:
    # A DOCTYPE can only stand in the prolog: looking there only means a "<!DOCTYPE" quoted
    # inside a CDATA section of the body is not mistaken for one. (UTF-16 has no ASCII
    # root start, so the whole document is searched; the post-parse check backs this up.)
    match = _ROOT_START.search(data)
    prolog = data if match is None else data[: match.start()]
    return any(marker in prolog for marker in _DTD_MARKERS)


def _where(url: Optional[str]) -> str:
    return redact_url(url) or "the server"


def _excerpt(data: bytes) -> str:
    text = data[: _EXCERPT_CHARS * 2].decode("utf-8", errors="replace")
    return _clean(" ".join(text.split()))[:_EXCERPT_CHARS]


def _check_size(data: bytes, url: Optional[str], max_bytes: int, what: str) -> None:
    if len(data) > max_bytes:
        raise ParseError(
            f"the {what} document from {_where(url)} is {len(data)} bytes, more than "
            f"the {max_bytes}-byte limit; it was not parsed (raise max_bytes if it is genuine)",
            url=url,
            excerpt=_excerpt(data),
        )


def _not_xml(data: bytes, url: Optional[str], what: str, exc: Exception) -> ParseError:
    return ParseError(
        f"the {what} document from {_where(url)} is not well-formed XML ({exc}); "
        "the server may have sent an error page or a truncated answer",
        url=url,
        excerpt=_excerpt(data),
    )


def _document(data: bytes, url: Optional[str], max_bytes: int, what: str) -> etree._Element:
    """Parse ``data`` safely and return its root element, or raise ParseError."""
    _check_size(data, url, max_bytes, what)
    if _has_dtd(data):
        raise _unsafe(data, url, what)
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError, _RefusedReference) as exc:
        raise _not_xml(data, url, what, exc) from None
    # Backstop for encodings the byte scan cannot read (the parse itself was made harmless
    # by the parser options and the resolver).
    if _parsed_doctype(root):
        raise _unsafe(data, url, what)
    return root


def _parsed_doctype(root: etree._Element) -> bool:
    """Whether the parsed document had a DOCTYPE (internal or external DTD)."""
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # missing from lxml-stubs
    # The stubs say the DTDs are never None; at run time they are None when absent.
    internal = cast(Optional[object], docinfo.internalDTD)
    external = cast(Optional[object], docinfo.externalDTD)
    return bool(doctype) or internal is not None or external is not None


def _unsafe(data: bytes, url: Optional[str], what: str) -> ParseError:
    return ParseError(
        f"the {what} document from {_where(url)} has a DOCTYPE or entity declaration; "
        "UWS documents never have one, so it was refused (it may be an XML attack)",
        url=url,
        excerpt=_excerpt(data),
    )


def _root(data: bytes, url: Optional[str], max_bytes: int, expected: str) -> etree._Element:
    root = _document(data, url, max_bytes, f"<uws:{expected}>")
    _check_root_name(root, data, url, expected)
    return root


def _check_root_name(root: etree._Element, data: bytes, url: Optional[str], expected: str) -> None:
    if _UWS.get(root.tag) != expected:
        raise ParseError(
            f"expected a UWS <{expected}> document (namespace {UWS_NS}) from "
            f"{_where(url)} but the root element is {_tag_text(root.tag)}; "
            "check that the URL is the UWS job list or job",
            url=url,
            excerpt=_excerpt(data),
        )


def _tag_text(tag: object) -> str:
    if not isinstance(tag, str):
        return "not an element"
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return f"<{local}> in namespace {namespace}"
    return f"<{tag}> in no namespace"


# --- small readers -----------------------------------------------------------------


def _text(el: etree._Element) -> Optional[str]:
    """Stripped text of a simple element; None when xsi:nil, empty or blank."""
    if el.get(_XSI_NIL) in ("true", "1"):
        return None
    text = el.text if len(el) == 0 else _all_text(el)
    if text is None:
        return None
    return text.strip() or None


def _texts(el: etree._Element) -> Iterator[str]:
    return cast(Iterator[str], el.itertext())  # always str for a parsed tree


def _all_text(el: etree._Element) -> str:
    return "".join(_texts(el))


def _bool(value: Optional[str], default: bool = False) -> bool:
    # xs:boolean is "true|false|1|0"; OPUS writes 0/1, others true/false.
    if value is None:
        return default
    value = value.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    return default


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


# ISO 8601 as real servers write it: T or space, optional seconds and fraction (any digits),
# Z / UTC / GMT / +hh / +hhmm / +hh:mm, or no zone at all (OPUS: local time, kept naive).
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_ZONES: Dict[Tuple[str, str, Optional[str]], timezone] = {}


def parse_datetime(text: Optional[str]) -> Optional[datetime]:
    """Read a UWS time leniently; None for nothing, "-1" or anything unreadable.

    Aware when the text gives a zone (kept as given, not converted), naive when it does
    not. Fractions longer than microseconds are truncated.
    """
    if not text:
        return None
    # Fast path for the two common forms (OPUS naive, DaCHS/UWS 1.1 "Z"): C-speed
    # fromisoformat, only on a shape that every Python >= 3.9 reads the same way.
    size = len(text)
    if (size == 19 or (size == 20 and text[19] in "Zz")) and (
        text[4] == "-" and text[7] == "-" and text[10] in "Tt " and text[13] == ":"
    ):
        try:
            value = datetime.fromisoformat(text[:19])
        except ValueError:
            return None
        return value.replace(tzinfo=timezone.utc) if size == 20 else value
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, utc, sign, zh, zm = match.groups()
    tz: Optional[timezone] = None
    try:
        if utc:
            tz = timezone.utc
        elif sign:
            key = (sign, zh, zm)
            tz = _ZONES.get(key)
            if tz is None:
                offset = timedelta(hours=int(zh), minutes=int(zm or 0))
                tz = timezone(-offset if sign == "-" else offset) if offset else timezone.utc
                _ZONES[key] = tz
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
            tz,
        )
    except ValueError:
        return None


def _time(el: etree._Element) -> Optional[datetime]:
    return parse_datetime(_text(el))


def _duration(el: etree._Element) -> Optional[int]:
    return _int(_text(el))


# --- documents ---------------------------------------------------------------------


_T = TypeVar("_T")


def _fast_new(cls: Type[_T]) -> Callable[..., _T]:
    """A constructor for a frozen dataclass that skips its ``__init__``.

    The generated frozen ``__init__`` calls ``object.__setattr__`` once per field, which is
    most of the cost of reading a 1000-result job or a 10 000-job list. Callers pass every
    field by name. If the model ever gets ``__slots__``, ``__post_init__`` or other fields,
    the normal constructor is used instead.
    """
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    expected = {"Result": _RESULT_FIELDS, "JobRef": _JOBREF_FIELDS}.get(cls.__name__)
    if fields != expected or hasattr(cls, "__slots__") or hasattr(cls, "__post_init__"):
        return cls
    new = object.__new__

    def make(**values: object) -> _T:
        obj = new(cls)
        obj.__dict__.update(values)
        return obj

    return make


_RESULT_FIELDS = {"id", "href", "size", "mime_type", "attributes"}
_JOBREF_FIELDS = {"job_id", "phase", "run_id", "owner_id", "creation_time", "href"}
_new_result = _fast_new(Result)
_new_jobref = _fast_new(JobRef)


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
            f"the <uws:job> document from {_where(url)} has no <jobId>",
            url=url,
            excerpt=_excerpt(data),
        )
    return job


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
    params: List[Parameter] = []
    for child in el:
        if _UWS.get(child.tag) != "parameter":
            continue
        by_ref_text = child.get("byReference")
        by_reference = _bool(by_ref_text)
        if child.get(_XSI_NIL) in ("true", "1"):
            value: Optional[str] = None
        else:
            value = child.text if len(child) == 0 else _all_text(child)
            value = value or ""
            if by_reference:
                value = value.strip()  # a URL; the spec example wraps it over lines
            if by_ref_text is not None and by_ref_text.strip() in ("0", "1"):
                # OPUS (the only server known to write byReference as 0/1) stores values
                # quote_plus-encoded. Standard servers write true/false, and their values
                # must never be altered ("a+b" is a real ADQL value).
                value = unquote_plus(value)
        params.append(
            Parameter(
                id=child.get("id", ""),
                value=value,
                by_reference=by_reference,
                is_post=_bool(child.get("isPost")),
            )
        )
    return tuple(params)


_RESULT_TAGS = (f"{{{UWS_NS}}}result", "result")
_Attributes = List[Tuple[str, str]]  # what Element.items() gives for a parsed tree
# A reference with a scheme is absolute (RFC 3986 §4.3): kept exactly as written.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HTTP = ("http://", "https://")  # the common case, tested before the regex


def _results(el: etree._Element, url: Optional[str]) -> Tuple[Result, ...]:
    # Tight loop with locals: reading a 1000-result job is a benchmark figure.
    results: List[Result] = []
    append, new, absolute = results.append, _new_result, _ABSOLUTE.match
    xlink_href, xlink_type = _XLINK_HREF, _XLINK_TYPE
    for child in el.iterchildren(_RESULT_TAGS):  # filtered in C, no tag strings built
        result_id = ""
        href = plain_href = mime_type = None
        size: Optional[int] = None
        extra: Dict[str, str] = {}
        attributes: _Attributes = child.items()  # type: ignore[assignment]  # (no cast() call)
        for key, value in attributes:
            if key == xlink_href:
                href = value
            elif key == "id":
                result_id = value
            elif key == "mime-type":
                mime_type = value or None
            elif key == "size":
                size = _int(value)
                if size is not None and size < 0:
                    size = None
            elif key == "href":
                plain_href = value  # unqualified: a server that forgot the xlink prefix
            elif key != xlink_type:
                # By local name: OPUS's name/hash, urn:uwscustom attributes, ...
                extra[key.rpartition("}")[2] if key[0] == "{" else key] = value
        href = (href if href is not None else plain_href or "").strip()
        if url and href and not href.startswith(_HTTP) and not absolute(href):
            # Relative hrefs (CEFCA, pyvo #191) resolve against the document's URL.
            # Non-HTTP references such as "uws:executing:10" (Rubin) have a scheme.
            with contextlib.suppress(ValueError):  # "//[x": kept; downloads refuse it
                href = urljoin(url, href)
        append(
            new(id=result_id, href=href or None, size=size, mime_type=mime_type, attributes=extra)
        )
    return tuple(results)


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


def parse_job_list(
    data: bytes, *, url: Optional[str] = None, max_bytes: int = MAX_JOB_LIST_BYTES
) -> JobList:
    """Read a ``<uws:jobs>`` document, keeping document order.

    Read incrementally: each job is turned into a JobRef and its elements are freed as the
    parse goes, so a 100 000-job list never becomes a whole tree in memory. The same
    hardening as every other document applies (no DTD, entities, network or files).
    ESA TAP+ lists full ``<uws:job>`` elements instead of jobrefs; they become JobRefs.
    """
    what = "<uws:jobs>"
    _check_size(data, url, max_bytes, what)
    if _has_dtd(data):
        raise _unsafe(data, url, what)
    parser = _make_pull_parser()
    refs: List[JobRef] = []
    root: Optional[etree._Element] = None
    try:
        for start in range(0, max(len(data), 1), _FEED_BYTES):
            parser.feed(data[start : start + _FEED_BYTES])
            root = _read_jobs(parser.read_events(), root, refs, data, url)
        final = parser.close()
        root = _read_jobs(parser.read_events(), root, refs, data, url)
    except (etree.LxmlError, ValueError, _RefusedReference) as exc:
        raise _not_xml(data, url, what, exc) from None
    _check_jobs_root(final, data, url)
    return JobList(jobs=tuple(refs), version=final.get("version"))


_FEED_BYTES = 1024 * 1024
_LIST_ITEM_TAGS = (f"{{{UWS_NS}}}jobref", f"{{{UWS_NS}}}job", "jobref", "job")


def _make_pull_parser() -> etree.XMLPullParser:
    """A new hardened incremental parser (the options of :func:`make_parser`) reporting
    the end of each ``jobref`` / ``job`` element (UWS namespace or none)."""
    parser = etree.XMLPullParser(
        events=("end",),
        tag=_LIST_ITEM_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        recover=False,
    )
    parser.resolvers.add(_DenyResolver())
    return parser


def _read_jobs(
    events: Iterable[Tuple[str, Any]],
    root: Optional[etree._Element],
    refs: List[JobRef],
    data: bytes,
    url: Optional[str],
) -> Optional[etree._Element]:
    """Turn the finished top-level items into JobRefs, then free them (and anything
    before them) so the tree never grows; returns the root element."""
    for _, el in events:  # "end" events of the item tags: always an element
        if root is None:
            root = el.getroottree().getroot()
            _check_jobs_root(root, data, url)  # refused at the first job, not at the end
        if el.getparent() is not root:
            continue  # a nested element of that name: not a list item
        if _UWS.get(el.tag) == "jobref":
            refs.append(_jobref(el))
        else:
            job = _job(el, None)
            if job is not None:
                refs.append(
                    JobRef(
                        job_id=job.job_id,
                        phase=job.phase,
                        run_id=job.run_id,
                        owner_id=job.owner_id,
                        creation_time=job.creation_time,
                    )
                )
        el.clear()
        while el.getprevious() is not None:
            del root[0]
    return root


def _check_jobs_root(root: etree._Element, data: bytes, url: Optional[str]) -> None:
    if _parsed_doctype(root):
        raise _unsafe(data, url, "<uws:jobs>")
    _check_root_name(root, data, url, "jobs")


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


# --- strict validation -------------------------------------------------------------

_SCHEMAS = Path(__file__).resolve().parent / "schemas"
_XLINK_LOCATION = "http://www.ivoa.net/xml/Xlink/xlink.xsd"


class _SchemaResolver(etree.Resolver):
    """Answer the UWS schemas' XLink import with the bundled file; refuse anything else."""

    def resolve(  # type: ignore[override]  # lxml passes a context the stubs omit
        self, system_url: str, public_id: str, context: object
    ) -> object:
        if system_url == _XLINK_LOCATION:
            xlink = (_SCHEMAS / "xlink.xsd").read_bytes()
            return self.resolve_string(xlink, context, base_url=_XLINK_LOCATION)
        raise _RefusedReference(f"schema reference {system_url!r} refused")


@cache
def _schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_SchemaResolver())
    path = _SCHEMAS / f"UWS-v{version}.xsd"
    return etree.XMLSchema(etree.fromstring(path.read_bytes(), parser, base_url=path.name))


def validate(data: bytes, *, version: str = "1.1") -> None:
    """Check ``data`` strictly against the bundled UWS ``version`` ("1.0" or "1.1") schema.

    Raises ParseError listing the errors (the same safety rules as the parse functions
    apply first). Nothing is fetched: XLink is answered by the bundled ``xlink.xsd``.
    """
    if version not in ("1.0", "1.1"):
        raise InvalidRequest(f"no bundled UWS schema for version {version!r}; use '1.0' or '1.1'")
    root = _document(data, None, MAX_DOCUMENT_BYTES, "UWS")
    schema = _schema(version)
    if schema.validate(root.getroottree()):
        return
    log = cast(Iterable[etree._LogEntry], schema.error_log)
    errors = [f"line {e.line}: {e.message}" for e in log]
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    raise ParseError(
        f"the document is not valid against the UWS {version} schema: "
        + "; ".join(errors[:10])
        + more,
        excerpt=_excerpt(data),
    )


# --- error bodies ------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    # Server text ends up on terminals and in logs: no control characters (ANSI escapes).
    return _CONTROL.sub("", text)


def _bounded(text: str) -> Optional[str]:
    text = _clean(text).strip()
    if not text:
        return None
    if len(text) > _MESSAGE_CHARS:
        text = text[: _MESSAGE_CHARS - 1].rstrip() + "…"
    return text


def _fold(text: str) -> str:
    return " ".join(text.split())


def votable_error(body: bytes) -> Optional[str]:
    """The message of a VOTable error document (``<INFO name="QUERY_STATUS"
    value="ERROR">``), else None. DaCHS sends these with HTTP 200. Never raises."""
    try:
        head = body[:_ERROR_BODY_BYTES]
        if b"QUERY_STATUS" not in head or b"VOTABLE" not in head or _has_dtd(head):
            return None  # not a VOTable error; a DOCTYPE is refused as in the parsers
        root = etree.fromstring(head, _parser(recover=True))
        if root is None or not isinstance(root.tag, str) or not root.tag.endswith("VOTABLE"):
            return None
        for el in root.iter():
            tag = el.tag
            if (
                isinstance(tag, str)
                and tag.rpartition("}")[2] == "INFO"
                and el.get("name") == "QUERY_STATUS"
                and (el.get("value") or "").strip().upper() == "ERROR"
            ):
                message = _all_text(el).strip()
                return _bounded(message) or "the service reported an error without a message"
    except Exception:  # noqa: S110 - "never raises" is the contract; None = not an error doc
        pass
    return None


def error_message(body: bytes, content_type: Optional[str] = None) -> Optional[str]:
    """A readable message from an error response body, at most ~2000 characters.

    OPUS (bottle) HTML pages: the text of ``<pre>``; other HTML: the body text (or the
    title), white space folded; a VOTable with QUERY_STATUS=ERROR (DaCHS): its message;
    anything else: the text itself. None if the body is empty. Never raises.
    """
    try:
        head = body[:_ERROR_BODY_BYTES]
        if not head.strip():
            return None
        ctype = (content_type or "").lower()
        start = head.lstrip()[:100].lower()
        if "html" in ctype or start.startswith((b"<!doctype html", b"<html")):
            return _html_message(head)
        if start.startswith(b"<") or "xml" in ctype:
            message = votable_error(head)
            if message is not None:
                return message
            return _html_message(head)
        return _bounded(head.decode(_charset(ctype), errors="replace"))
    except Exception:
        try:
            return _bounded(body[:_MESSAGE_CHARS].decode("utf-8", errors="replace"))
        except Exception:
            return None


def _charset(content_type: str) -> str:
    match = re.search(r"charset=\"?([\w.:-]+)", content_type)
    if match:
        try:
            return codecs.lookup(match.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def _html_message(body: bytes) -> Optional[str]:
    parser = etree.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, recover=True, huge_tree=False
    )
    root = etree.fromstring(body, parser)
    if root is None:
        return _bounded(body.decode("utf-8", errors="replace"))
    for pre in root.iter("pre"):
        # bottle's error page: the message is the first <pre> (in debug mode further
        # <pre>s hold the exception and traceback).
        message = _bounded(_all_text(pre))
        if message:
            return message
    titles = [_fold(_all_text(t)) for t in root.iter("title")]
    etree.strip_elements(root, "script", "style", "head", "title", with_tail=False)
    text = _fold(" ".join(_texts(root)))
    return _bounded(text or " ".join(t for t in titles if t))
