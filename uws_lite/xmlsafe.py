"""The hardened XML reader: every document from a server goes through here first.

A server's XML is untrusted. It is read by lxml with no DTD at all (a DOCTYPE is refused
outright, before parsing and again after it), no entity resolution, no network, no
external file (a resolver refuses every external reference), the default depth and size
limits (no ``huge_tree``), and a byte limit checked before parsing. Failures are
:class:`~uws_lite.errors.ParseError` with a short excerpt shown safely
(:func:`uws_lite.text.for_terminal`).

- :func:`read_document`: a whole document -> its root element (job, results, ...).
- :func:`read_children`: a document read incrementally, each top-level item handed over and
  freed as the parse goes (a 100 000-job list never becomes a whole tree in memory).
- :func:`read_error_xml` and :func:`read_html`: best-effort readers for error bodies.
- :func:`make_parser`: the hardened parser itself, for callers that parse on their own.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, cast

from lxml import etree

from .errors import ParseError, redact_url
from .text import for_terminal

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_JOB_LIST_BYTES",
    "RefusedReference",
    "all_text",
    "excerpt",
    "make_parser",
    "read_children",
    "read_document",
    "read_error_xml",
    "read_html",
    "texts",
    "where",
]

MAX_DOCUMENT_BYTES: int = 16 * 1024 * 1024
# A guest job list holds every guest's jobs and only grows (100 000 jobs are ~21 MB).
MAX_JOB_LIST_BYTES: int = 256 * 1024 * 1024

_EXCERPT_CHARS = 200
_FEED_BYTES = 1024 * 1024  # incremental reading: bytes fed to the parser at a time

# The options of every XML parser made here (whole-document and incremental).
_HARDENED: Dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "strip_cdata": True,
}


class RefusedReference(Exception):
    """Raised by a resolver that refused an external DTD, entity or file; the readers
    here turn it into a ParseError."""


class _DenyResolver(etree.Resolver):
    """Refuse every external DTD, entity or file. With ``collect_ids=False`` some lxml
    builds load external parameter entities even without ``load_dtd`` (seen with lxml
    6.1 / libxml2 2.14), so the parser options alone are not trusted."""

    def resolve(  # type: ignore[override]  # lxml passes a context the stubs omit
        self, system_url: str, public_id: str, context: object
    ) -> None:
        raise RefusedReference(f"external reference {system_url!r} refused")


def make_parser(*, recover: bool = False) -> etree.XMLParser:
    """A new hardened parser (one per thread: lxml parsers are not thread-safe)."""
    parser = etree.XMLParser(recover=recover, **_HARDENED)
    parser.resolvers.add(_DenyResolver())
    return parser


_local = threading.local()


def _parser(recover: bool = False) -> etree.XMLParser:
    """This thread's hardened parser (strict or recovering), made once."""
    name = "recovering" if recover else "strict"
    parser: Optional[etree.XMLParser] = getattr(_local, name, None)
    if parser is None:
        parser = make_parser(recover=recover)
        setattr(_local, name, parser)
    return parser


def _pull_parser(tags: Tuple[str, ...]) -> etree.XMLPullParser:
    """A new hardened incremental parser reporting the end of each element in ``tags``."""
    parser = etree.XMLPullParser(events=("end",), tag=tags, recover=False, **_HARDENED)
    parser.resolvers.add(_DenyResolver())
    return parser


# --- refusing a DTD --------------------------------------------------------------------

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


def _parsed_doctype(root: etree._Element) -> bool:
    """Whether the parsed document had a DOCTYPE (internal or external DTD): the backstop
    for encodings the byte scan cannot read (the parse itself was made harmless by the
    parser options and the resolver)."""
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # missing from lxml-stubs
    # The stubs say the DTDs are never None; at run time they are None when absent.
    internal = cast(Optional[object], docinfo.internalDTD)
    external = cast(Optional[object], docinfo.externalDTD)
    return bool(doctype) or internal is not None or external is not None


# --- errors ----------------------------------------------------------------------------


def where(url: Optional[str]) -> str:
    """``url`` as an error message names it: credentials removed, or "the server"."""
    return redact_url(url) or "the server"


def excerpt(data: bytes) -> str:
    """The start of ``data`` for a ParseError: one line, at most 200 characters, shown
    safely (control and bidi characters escaped)."""
    text = data[: _EXCERPT_CHARS * 2].decode("utf-8", errors="replace")
    return for_terminal(" ".join(text.split()))[:_EXCERPT_CHARS]


def _too_big(data: bytes, url: Optional[str], max_bytes: int, what: str) -> ParseError:
    return ParseError(
        f"the {what} document from {where(url)} is {len(data)} bytes, more than "
        f"the {max_bytes}-byte limit; it was not parsed (raise max_bytes if it is genuine)",
        url=url,
        excerpt=excerpt(data),
    )


def _unsafe(data: bytes, url: Optional[str], what: str) -> ParseError:
    return ParseError(
        f"the {what} document from {where(url)} has a DOCTYPE or entity declaration; "
        "UWS documents never have one, so it was refused (it may be an XML attack)",
        url=url,
        excerpt=excerpt(data),
    )


def _not_xml(data: bytes, url: Optional[str], what: str, exc: Exception) -> ParseError:
    reason = for_terminal(str(exc))  # lxml's message may quote the document
    return ParseError(
        f"the {what} document from {where(url)} is not well-formed XML ({reason}); "
        "the server may have sent an error page or a truncated answer",
        url=url,
        excerpt=excerpt(data),
    )


_PARSE_FAILURES = (etree.LxmlError, ValueError, RefusedReference)


def _check_bytes(data: bytes, url: Optional[str], max_bytes: int, what: str) -> None:
    """Refuse, before any parsing, a document over ``max_bytes`` or with a DTD."""
    if len(data) > max_bytes:
        raise _too_big(data, url, max_bytes, what)
    if _has_dtd(data):
        raise _unsafe(data, url, what)


# --- the readers -----------------------------------------------------------------------


def read_document(data: bytes, *, url: Optional[str], max_bytes: int, what: str) -> etree._Element:
    """Parse ``data`` safely and return its root element, or raise ParseError naming the
    ``what`` document from ``url``."""
    _check_bytes(data, url, max_bytes, what)
    try:
        root = etree.fromstring(data, _parser())
    except _PARSE_FAILURES as exc:
        raise _not_xml(data, url, what, exc) from None
    if _parsed_doctype(root):
        raise _unsafe(data, url, what)
    return root


_OnChild = Callable[[etree._Element], None]
_CheckRoot = Callable[[etree._Element], None]


def read_children(
    data: bytes,
    tags: Tuple[str, ...],
    on_child: _OnChild,
    *,
    check_root: _CheckRoot,
    url: Optional[str],
    max_bytes: int,
    what: str,
) -> etree._Element:
    """Parse ``data`` incrementally and return its root, emptied.

    ``on_child`` gets each child of the root whose tag is in ``tags`` as soon as its end
    is read; the child (and anything before it) is freed right after, so the tree never
    grows. ``check_root`` (which raises ParseError) sees the root when the first such
    child is read, so a wrong document is refused early, and again at the end. The same
    hardening as :func:`read_document` applies.
    """
    _check_bytes(data, url, max_bytes, what)

    def check(root: etree._Element) -> None:
        if _parsed_doctype(root):
            raise _unsafe(data, url, what)
        check_root(root)

    parser = _pull_parser(tags)
    root: Optional[etree._Element] = None
    try:
        for start in range(0, max(len(data), 1), _FEED_BYTES):
            parser.feed(data[start : start + _FEED_BYTES])
            root = _hand_over(parser.read_events(), root, on_child, check)
        final = parser.close()
        _hand_over(parser.read_events(), root, on_child, check)
    except _PARSE_FAILURES as exc:
        raise _not_xml(data, url, what, exc) from None
    check(final)
    return final


def _hand_over(
    events: Iterable[Tuple[str, Any]],
    root: Optional[etree._Element],
    on_child: _OnChild,
    check: _CheckRoot,
) -> Optional[etree._Element]:
    """Give the finished top-level children to ``on_child``, then free them (and anything
    before them); returns the root element once seen."""
    for _, el in events:  # "end" events of the wanted tags: always an element
        if root is None:
            root = el.getroottree().getroot()
            check(root)  # refused at the first child, not at the end
        if el.getparent() is not root:
            continue  # a nested element of that name: not a top-level child
        on_child(el)
        el.clear()
        while el.getprevious() is not None:
            del root[0]
    return root


def read_error_xml(data: bytes) -> Optional[etree._Element]:
    """The root of an XML error body read leniently (recovering from errors), or None when
    it has a DTD (refused as in :func:`read_document`). May raise lxml's errors."""
    if _has_dtd(data):
        return None
    root: Optional[etree._Element] = etree.fromstring(data, _parser(recover=True))
    return root


def read_html(data: bytes) -> Optional[etree._Element]:
    """The root of an HTML page (error bodies), read leniently without network, comments
    or processing instructions; None when there is nothing to read."""
    parser = etree.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, recover=True, huge_tree=False
    )
    root: Optional[etree._Element] = etree.fromstring(data, parser)
    return root


def texts(el: etree._Element) -> Iterator[str]:
    """The text pieces of ``el`` and its descendants, in document order."""
    return cast(Iterator[str], el.itertext())  # always str for a parsed tree


def all_text(el: etree._Element) -> str:
    """The text of ``el`` and its descendants, joined."""
    return "".join(texts(el))
