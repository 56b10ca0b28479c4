"""Request bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data`` forms.

Only what the server needs: text fields and file parts (a part with a ``filename``), split as
bottle does (``request.forms`` / ``request.files``). File names are reduced the way bottle's
``FileUpload.filename`` does, since OPUS keeps that sanitised basename.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl

__all__ = ["Form", "FormError", "UploadedPart", "parse_form", "sanitise_filename"]


class FormError(ValueError):
    """The body is not a readable form."""


@dataclass(frozen=True)
class UploadedPart:
    field_name: str
    raw_filename: str
    content: bytes = field(repr=False)
    content_type: Optional[str] = None

    @property
    def filename(self) -> str:
        return sanitise_filename(self.raw_filename)


@dataclass(frozen=True)
class Form:
    """Text fields (all values, in order) and file parts by field name (the last one wins)."""

    fields: Tuple[Tuple[str, str], ...] = ()
    files: Mapping[str, UploadedPart] = field(default_factory=dict)

    def get(self, name: str) -> Optional[str]:
        """The last value of a text field (bottle's ``forms.get``), or None."""
        value: Optional[str] = None
        for key, item in self.fields:
            if key == name:
                value = item
        return value

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.fields)

    def as_dict(self) -> Dict[str, str]:
        return {key: value for key, value in self.fields}


def sanitise_filename(raw: str) -> str:
    """Bottle's ``FileUpload.filename``: ASCII letters, digits, ``-_.``, no directories."""
    name = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    name = os.path.basename(name.replace("\\", "/"))
    name = re.sub(r"[^a-zA-Z0-9-_.\s]", "", name).strip()
    name = re.sub(r"[-\s]+", "-", name).strip(".-")
    return name[:255] or "empty"


def _content_type(header: str) -> Message:
    return HeaderParser().parsestr(f"Content-Type: {header}\r\n\r\n")


def parse_form(content_type: Optional[str], body: bytes) -> Form:
    """The form in ``body``; an empty form for other content types (bottle ignores them)."""
    if not content_type:
        return Form()
    message = _content_type(content_type)
    kind = message.get_content_type()
    if kind == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormError(f"form body is not UTF-8: {exc}") from exc
        return Form(tuple(parse_qsl(text, keep_blank_values=True)))
    if kind == "multipart/form-data":
        boundary = message.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise FormError("multipart/form-data without a boundary")
        return _parse_multipart(body, boundary.encode("latin-1"))
    return Form()


def _parse_multipart(body: bytes, boundary: bytes) -> Form:
    delimiter = b"--" + boundary
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise FormError("multipart body is not terminated by its closing boundary")
    fields: List[Tuple[str, str]] = []
    files: Dict[str, UploadedPart] = {}
    for piece in pieces[1:-1]:
        # Each part is CRLF, headers, CRLF CRLF, content, CRLF (RFC 7578 / RFC 2046).
        if not piece.startswith(b"\r\n") or not piece.endswith(b"\r\n"):
            raise FormError("malformed multipart part (missing CRLF around the boundary)")
        head, sep, content = piece[2:-2].partition(b"\r\n\r\n")
        if not sep:
            head, content = piece[2:-2].rstrip(b"\r\n"), b""
        headers = HeaderParser().parsestr(head.decode("utf-8", "replace") + "\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise FormError("multipart part without a name")
        filename = headers.get_filename()
        if filename is not None and filename != "":
            files[name] = UploadedPart(name, filename, content, headers.get("Content-Type"))
        else:
            fields.append((name, content.decode("utf-8", "replace")))
    return Form(tuple(fields), files)
