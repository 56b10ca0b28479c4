"""uws_lite.netrcfile reads ``.netrc`` as Python 3.11+ does, on every supported Python.

On 3.11+ each text is also read by the stdlib and the two must agree (CI runs 3.11-3.13); on
3.9 and 3.10 the stdlib refuses a file with an entry without a password, the reason this
reader exists.
"""

from __future__ import annotations

import netrc
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from uws_lite.netrcfile import (
    NetrcEntry,
    NetrcSyntaxError,
    authenticators,
    parse_netrc,
    read_netrc,
)

Hosts = Dict[str, Tuple[str, str, str]]

READABLE: Dict[str, Tuple[str, Hosts]] = {
    "one line": (
        "machine h login alice password tok\n",
        {"h": ("alice", "", "tok")},
    ),
    "no password": ("machine h login carol\n", {"h": ("carol", "", "")}),
    "spread over lines, user, account": (
        "machine h\n\tuser bob\n\taccount acc\n\tpassword p\n",
        {"h": ("bob", "acc", "p")},
    ),
    "default and machine": (
        "machine a login x password 1\ndefault login d password 2\n",
        {"a": ("x", "", "1"), "default": ("d", "", "2")},
    ),
    "quoted and escaped": (
        'machine h login "al ice" password "p\\"w d"\nmachine g login a\\ b password q\n',
        {"h": ("al ice", "", 'p"w d'), "g": ("a b", "", "q")},
    ),
    "comments": (
        "# my hosts\nmachine h login a password p # trailing words\n#\nmachine g login b\n",
        {"h": ("a", "", "p"), "g": ("b", "", "")},
    ),
    "macdef then machine": (
        "macdef init\ncd /pub\nbinary\n\nmachine h login a password p\n",
        {"h": ("a", "", "p")},
    ),
    "later entry wins": (
        "machine h login a password 1\nmachine h login b password 2\n",
        {"h": ("b", "", "2")},
    ),
    "windows line ends": ("machine h\r\nlogin a\r\npassword p\r\n", {"h": ("a", "", "p")}),
    "empty": ("", {}),
    "only a comment": ("# nothing\n", {}),
}

UNREADABLE = {
    "unknown word in an entry": "machine h login a password p extra\n",
    "top-level word": "login a password p\n",
    "machine without a name": "machine",
    "macdef without its empty line": "macdef m\ncd /\n",
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_readable_texts(name: str) -> None:
    text, expected = READABLE[name]
    assert parse_netrc(text) == expected


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_texts_say_where_without_quoting(name: str) -> None:
    with pytest.raises(NetrcSyntaxError) as info:
        parse_netrc(UNREADABLE[name])
    assert info.value.line >= 1
    assert "extra" not in str(info.value)
    assert "cd /" not in str(info.value)


STDLIB_311 = pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="Python 3.11 rewrote netrc's grammar; this reader follows 3.11's, not 3.9's shlex one",
)


@STDLIB_311
@pytest.mark.parametrize("name", sorted(READABLE))
def test_the_stdlib_reads_the_same(name: str, tmp_path: Path) -> None:
    text, _expected = READABLE[name]
    path = tmp_path / "netrc"
    path.write_bytes(text.encode())
    assert netrc.netrc(str(path)).hosts == parse_netrc(text)


@STDLIB_311
@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_the_stdlib_refuses_what_this_reader_refuses(name: str, tmp_path: Path) -> None:
    path = tmp_path / "netrc"
    path.write_text(UNREADABLE[name])
    with pytest.raises(netrc.NetrcParseError):
        netrc.netrc(str(path))


def test_why_this_reader_exists(tmp_path: Path) -> None:
    path = tmp_path / "netrc"
    path.write_text("machine h login carol\n")
    if sys.version_info >= (3, 11):
        assert netrc.netrc(str(path)).hosts == {"h": ("carol", "", "")}
    else:  # the whole file is refused for one entry without a password
        with pytest.raises(netrc.NetrcParseError):
            netrc.netrc(str(path))
    assert parse_netrc(path.read_text()) == {"h": ("carol", "", "")}


def test_bytes_are_utf8_else_the_locale_encoding() -> None:
    assert read_netrc("machine h login é password p\n".encode()) == {"h": ("é", "", "p")}
    latin1 = "machine h login \xe9 password p\n".encode("latin-1")
    try:
        expected = latin1.decode(__import__("locale").getpreferredencoding(False))
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            read_netrc(latin1)
    else:
        assert read_netrc(latin1) == parse_netrc(expected)


def test_authenticators_falls_back_to_default() -> None:
    hosts = parse_netrc("machine a login x password 1\ndefault login d password 2\n")
    assert authenticators(hosts, "a") == NetrcEntry("x", "", "1")
    assert authenticators(hosts, "b") == NetrcEntry("d", "", "2")
    assert authenticators(parse_netrc("machine a login x\n"), "b") is None
