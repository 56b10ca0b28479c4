"""Readable messages from a server's error bodies: HTML pages, plain text, VOTable errors.

What a server says when something went wrong (an OPUS/bottle error page, a proxy's HTML,
DaCHS's VOTable with ``QUERY_STATUS=ERROR``, plain text) becomes one short message. The
message is for a person, so it is made safe to show here, once, by the shared sanitiser
(:func:`uws_lite.text.for_terminal`: control and bidi characters escaped, line breaks kept).
Only the start of a body is read; these functions never raise.
"""

from __future__ import annotations

import codecs
import re
from typing import Optional

from lxml import etree

from .text import for_terminal
from .xmlsafe import all_text, read_error_xml, read_html, texts

__all__ = ["error_message", "votable_error"]

_MESSAGE_CHARS = 2000
_ERROR_BODY_BYTES = 1024 * 1024  # error bodies: only the start is looked at
_NO_MESSAGE = "the service reported an error without a message"


def error_message(body: bytes, content_type: Optional[str] = None) -> Optional[str]:
    """A readable message from an error response body, at most 2000 characters.

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
        return _shown(head.decode(_charset(ctype), errors="replace"))
    except Exception:
        try:
            return _shown(body[:_MESSAGE_CHARS].decode("utf-8", errors="replace"))
        except Exception:
            return None


def votable_error(body: bytes) -> Optional[str]:
    """The message of a VOTable error document (``<INFO name="QUERY_STATUS"
    value="ERROR">``), else None. DaCHS sends these with HTTP 200. Never raises."""
    try:
        head = body[:_ERROR_BODY_BYTES]
        if b"QUERY_STATUS" not in head or b"VOTABLE" not in head:
            return None  # not a VOTable error
        root = read_error_xml(head)  # None: a DOCTYPE, refused as in the document readers
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
                return _shown(all_text(el)) or _NO_MESSAGE
    except Exception:  # noqa: S110 - "never raises" is the contract; None = not an error doc
        pass
    return None


def _shown(text: str) -> Optional[str]:
    """``text`` made safe to show (line breaks kept), stripped and cut to 2000
    characters; None when nothing is left."""
    text = for_terminal(text, one_line=False).strip()
    if not text:
        return None
    if len(text) > _MESSAGE_CHARS:
        text = text[: _MESSAGE_CHARS - 1].rstrip() + "…"
    return text


def _fold(text: str) -> str:
    return " ".join(text.split())


def _charset(content_type: str) -> str:
    match = re.search(r"charset=\"?([\w.:-]+)", content_type)
    if match:
        try:
            return codecs.lookup(match.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def _html_message(body: bytes) -> Optional[str]:
    root = read_html(body)
    if root is None:
        return _shown(body.decode("utf-8", errors="replace"))
    for pre in root.iter("pre"):
        # bottle's error page: the message is the first <pre> (in debug mode further
        # <pre>s hold the exception and traceback).
        message = _shown(all_text(pre))
        if message:
            return message
    titles = [_fold(all_text(t)) for t in root.iter("title")]
    etree.strip_elements(root, "script", "style", "head", "title", with_tail=False)
    text = _fold(" ".join(texts(root)))
    return _shown(text or " ".join(t for t in titles if t))
