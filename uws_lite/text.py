"""Text from a server, made safe to show; and the one control-character check for values we send.

Server-given text (job and result ids, error messages, phases of a hostile server) reaches
terminals, logs and notebooks. :func:`for_terminal` is the only sanitiser: C0 and C1 control
characters, DEL, and invisible or bidirectional format characters (which can reorder or hide
what a person reads) are shown escaped (``\\x1b``, ``\\u202e``), never passed through and
never silently dropped; tabs become spaces; with ``one_line`` (the default) line breaks and the
white space around them fold into one space.

:func:`has_control` is the one check for values that go into a request or a file name (a
token, a job id, a run id): they must not carry control characters.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["UNSAFE_CHARACTERS", "for_terminal", "has_control"]

# C0 (but tab and line breaks, handled apart), DEL, C1 (0x9b is CSI, like ESC [), and the
# invisible format characters: zero-width spaces and joiners, bidi marks, embeddings,
# overrides and isolates, word joiner and invisible operators, the byte-order mark.
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)[\s]*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def for_terminal(text: Optional[str], *, one_line: bool = True) -> str:
    """``text`` safe to print: unsafe characters escaped, tabs as spaces, and (``one_line``)
    line breaks folded into single spaces. None gives ``""``."""
    if not text:
        return ""
    text = text.replace("\t", " ")
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return UNSAFE_CHARACTERS.sub(_escaped, text)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a C0 or C1 control character or DEL (tab and newline included):
    such a value is refused before it is sent."""
    return _CONTROL.search(text) is not None
