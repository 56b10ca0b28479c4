"""The ``.netrc`` grammar of Python 3.11+, read the same way on every supported Python.

Python 3.9 and 3.10's :mod:`netrc` refuse a whole file for a single entry without a password
(``machine host login me``), an entry 3.11 reads. :func:`uws_lite.auth.netrc_entry` (the one
``.netrc`` reader) parses with this module so a file means the same on 3.9 and on 3.13:

- tokens are separated by whitespace; a token may be ``"quoted"``; a backslash escapes the next
  character;
- ``#`` starts a comment;
- ``machine NAME`` and ``default`` start an entry of ``login`` (or ``user``), ``account`` and
  ``password`` values; ``macdef NAME`` starts a macro, whose body ends at an empty line.

:class:`NetrcSyntaxError` gives the line only: the offending word may be a password.
"""

from __future__ import annotations

import locale
from typing import Dict, List, NamedTuple, Optional

__all__ = ["NetrcEntry", "NetrcSyntaxError", "authenticators", "parse_netrc", "read_netrc"]

_WHITESPACE = "\n\t\r "
_TOP_LEVEL = ("", "machine", "default", "macdef")


class NetrcSyntaxError(ValueError):
    """The text is not ``.netrc`` syntax; ``line`` is where the reader stopped (1-based)."""

    def __init__(self, problem: str, line: int) -> None:
        super().__init__(f"{problem} (line {line})")
        self.problem = problem
        self.line = line


class NetrcEntry(NamedTuple):
    """One ``machine`` (or ``default``) entry; a value the file does not give is ``""``."""

    login: str
    account: str
    password: str


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.pushed: List[str] = []

    def _char(self) -> str:
        if self.pos >= len(self.text):
            return ""
        ch = self.text[self.pos]
        self.pos += 1
        if ch == "\n":
            self.line += 1
        return ch

    def rest_of_line(self) -> str:
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end + 1
        line = self.text[self.pos : end]
        self.pos = end
        self.line += line.endswith("\n")
        return line

    def token(self) -> str:
        if self.pushed:
            return self.pushed.pop()
        ch = self._char()
        while ch and ch in _WHITESPACE:
            ch = self._char()
        word: List[str] = []
        if ch == '"':
            ch = self._char()
            while ch and ch != '"':
                word.append(self._char() if ch == "\\" else ch)
                ch = self._char()
            return "".join(word)
        while ch and ch not in _WHITESPACE:
            word.append(self._char() if ch == "\\" else ch)
            ch = self._char()
        return "".join(word)

    def skip_comment(self, token: str, line_before: int, top_level: bool) -> None:
        """After a ``#`` token: the rest of its line is a comment, as Python 3.11 reads it
        (at top level only a lone ``#`` hides the words after it)."""
        if self.line == line_before and (len(token) == 1 or not top_level):
            self.rest_of_line()


def parse_netrc(text: str) -> Dict[str, NetrcEntry]:
    """The entries of a ``.netrc`` text by machine name (``"default"`` for the default
    entry); a later entry for the same name wins. Raises :class:`NetrcSyntaxError`."""
    lexer = _Lexer(text.replace("\r\n", "\n").replace("\r", "\n"))
    hosts: Dict[str, NetrcEntry] = {}
    while True:
        line_before = lexer.line
        keyword = lexer.token()
        if not keyword:
            return hosts
        if keyword.startswith("#"):
            lexer.skip_comment(keyword, line_before, top_level=True)
            continue
        if keyword == "macdef":
            _skip_macro(lexer)
            continue
        if keyword == "machine":
            name = lexer.token()
        elif keyword == "default":
            name = "default"
        else:
            raise NetrcSyntaxError("a word where machine, default or macdef belongs", lexer.line)
        if not name:
            raise NetrcSyntaxError(f"{keyword} without a name", lexer.line)
        hosts[name] = _entry(lexer)


def _skip_macro(lexer: _Lexer) -> None:
    lexer.token()  # its name
    while True:
        line = lexer.rest_of_line()
        if not line:
            raise NetrcSyntaxError("a macdef without the empty line that ends it", lexer.line)
        if line == "\n":
            return


def _entry(lexer: _Lexer) -> NetrcEntry:
    values = {"login": "", "account": "", "password": ""}
    while True:
        line_before = lexer.line
        word = lexer.token()
        if word.startswith("#"):
            lexer.skip_comment(word, line_before, top_level=False)
        elif word in _TOP_LEVEL:
            lexer.pushed.append(word)
            return NetrcEntry(**values)
        elif word in ("login", "user", "account", "password"):
            values["login" if word == "user" else word] = lexer.token()
        else:
            raise NetrcSyntaxError("a word an entry does not know", lexer.line)


def read_netrc(data: bytes) -> Dict[str, NetrcEntry]:
    """:func:`parse_netrc` of a file's bytes: UTF-8, else the locale's encoding (as Python
    3.11 reads it). Raises :class:`NetrcSyntaxError`, :class:`UnicodeDecodeError`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode(locale.getpreferredencoding(False))
    return parse_netrc(text)


def authenticators(hosts: Dict[str, NetrcEntry], host: str) -> Optional[NetrcEntry]:
    """The entry for ``host``, else the ``default`` entry, else None."""
    return hosts.get(host) or hosts.get("default")
