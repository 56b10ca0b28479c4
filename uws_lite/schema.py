"""Strict validation of a UWS document against the bundled XML schemas (``schemas/``).

The reading functions of :mod:`uws_lite.documents` are lenient on purpose; :func:`validate`
is the strict check, for testing a server. Nothing is fetched: the schemas' XLink import is
answered by the bundled ``xlink.xsd`` and every other external reference is refused.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Iterable, cast

from lxml import etree

from .errors import InvalidRequest, ParseError
from .text import for_terminal
from .xmlsafe import MAX_DOCUMENT_BYTES, RefusedReference, excerpt, read_document

__all__ = ["VERSIONS", "validate"]

VERSIONS = ("1.0", "1.1")  # the UWS versions with a bundled schema

_SCHEMAS = Path(__file__).resolve().parent / "schemas"
_XLINK_LOCATION = "http://www.ivoa.net/xml/Xlink/xlink.xsd"
_ERRORS_SHOWN = 10


class _SchemaResolver(etree.Resolver):
    """Answer the UWS schemas' XLink import with the bundled file; refuse anything else."""

    def resolve(  # type: ignore[override]  # lxml passes a context the stubs omit
        self, system_url: str, public_id: str, context: object
    ) -> object:
        if system_url == _XLINK_LOCATION:
            xlink = (_SCHEMAS / "xlink.xsd").read_bytes()
            return self.resolve_string(xlink, context, base_url=_XLINK_LOCATION)
        raise RefusedReference(f"schema reference {system_url!r} refused")


@cache
def _schema(version: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_SchemaResolver())
    path = _SCHEMAS / f"UWS-v{version}.xsd"
    return etree.XMLSchema(etree.fromstring(path.read_bytes(), parser, base_url=path.name))


def validate(data: bytes, *, version: str = "1.1") -> None:
    """Check ``data`` strictly against the bundled UWS ``version`` ("1.0" or "1.1") schema.

    Raises ParseError listing the errors (the same safety rules as the reading functions
    apply first), InvalidRequest for a version with no bundled schema.
    """
    if version not in VERSIONS:
        raise InvalidRequest(f"no bundled UWS schema for version {version!r}; use '1.0' or '1.1'")
    root = read_document(data, url=None, max_bytes=MAX_DOCUMENT_BYTES, what="UWS")
    schema = _schema(version)
    if schema.validate(root.getroottree()):
        return
    log = cast(Iterable[etree._LogEntry], schema.error_log)
    # The messages quote the document's values: shown safely.
    errors = [f"line {e.line}: {for_terminal(e.message)}" for e in log]
    more = f" (and {len(errors) - _ERRORS_SHOWN} more)" if len(errors) > _ERRORS_SHOWN else ""
    raise ParseError(
        f"the document is not valid against the UWS {version} schema: "
        + "; ".join(errors[:_ERRORS_SHOWN])
        + more,
        excerpt=excerpt(data),
    )
