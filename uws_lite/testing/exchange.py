"""The values passed between the socket side (handler.py) and the routes (routes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import parse_qsl

from .failures import ClientMistake
from .forms import Form, FormError, parse_form
from .identity import Identity

__all__ = [
    "HTML",
    "TEXT",
    "XML",
    "Chunk",
    "FileBody",
    "Request",
    "Response",
    "see_other",
    "text_response",
    "xml_response",
]

TEXT = "text/plain; charset=UTF-8"
XML = "text/xml; charset=UTF-8"
HTML = "text/html; charset=UTF-8"
Chunk = Union[bytes, memoryview]


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded, repeated slashes merged, no trailing slash
    query: str  # raw query string
    headers: Mapping[str, str]  # lower-case names
    body: bytes = field(repr=False)
    identity: Identity
    url: str

    def arg(self, name: str) -> Optional[str]:
        """The last value of a query parameter (bottle's ``request.query.get``)."""
        value: Optional[str] = None
        for key, item in parse_qsl(self.query, keep_blank_values=True):
            if key == name:
                value = item
        return value

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    @property
    def line(self) -> str:
        """``"METHOD /path"`` or ``"METHOD /path?query"`` (raw query), what
        ``Faults.request_filter`` is searched in."""
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    def form(self) -> Form:
        try:
            return parse_form(self.header("content-type"), self.body)
        except FormError as exc:
            raise ClientMistake(f"cannot read the POSTed form: {exc}") from exc


@dataclass(frozen=True)
class FileBody:
    """A file answer: ``chunks(start, end)`` yields its bytes; ``reset_at`` (an offset in the
    body sent) is where the connection is cut by the reset_download_at fault."""

    size: int
    chunks: Callable[[int, int], Iterator[Chunk]]
    start: int = 0
    end: int = 0
    reset_at: Optional[int] = None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: Optional[str] = HTML
    headers: List[Tuple[str, str]] = field(default_factory=list)
    is_xml: bool = False
    file: Optional[FileBody] = None


def xml_response(document: bytes) -> Response:
    return Response(body=document, content_type=XML, is_xml=True)


def text_response(text: str) -> Response:
    return Response(body=text.encode("utf-8"), content_type=TEXT)


def see_other(location: str) -> Response:
    # bottle's redirect(): empty body, text/html content type.
    return Response(status=303, headers=[("Location", location)])
