"""uws_lite.auth: origin-scoped credentials, and the one .netrc reader."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPDigestAuth

from uws_lite.auth import (
    BasicAuth,
    NoAuth,
    OriginScopedAuth,
    basic_authorization,
    build_auth,
    netrc_entry,
)
from uws_lite.errors import InsecureNetrc, InvalidRequest, NetrcError
from uws_lite.urls import origin_of

URL = "https://uws.example.org/rest/ExPRES"


# --- origins and auth ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://Host.org/x", "https://host.org:443/y", True),
        ("http://host.org/x", "http://host.org:80", True),
        ("https://host.org/x", "http://host.org/x", False),
        ("https://host.org/x", "https://host.org:8443/x", False),
        ("https://host.org/x", "https://evil.org/x", False),
        ("https://host.org.evil.org/", "https://host.org/", False),
    ],
)
def test_origin_of(a: str, b: str, same: bool) -> None:
    assert (origin_of(a) == origin_of(b)) is same


def test_origin_of_bad_port_is_empty() -> None:
    assert origin_of("https://host:notaport/") == ""


def _decode(header: str) -> str:
    scheme, _, token = header.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(token, validate=True).decode()


def test_basic_header_long_credentials_have_no_newline() -> None:
    # uws-client used base64.encodestring: a newline every 76 chars -> "Invalid header value".
    user, token = "someone.with.a.long.login@example.org", "0b5e7f8a-6d2c-4c1e-9a3b-1f2e3d4c5b6a"
    header = basic_authorization(user, token)
    assert len(f"{user}:{token}") > 57
    assert "\n" not in header
    assert _decode(header) == f"{user}:{token}"


def test_basic_header_non_ascii_is_utf8() -> None:
    header = basic_authorization("zoë", "pässwörd€")
    assert _decode(header) == "zoë:pässwörd€"


@pytest.mark.parametrize(
    ("user", "password"), [("a:b", "x"), ("a", "x\r\ny"), ("a\n", "x"), (1, "x")]
)
def test_basic_auth_refuses_bad_credentials(user: Any, password: Any) -> None:
    with pytest.raises(InvalidRequest):
        BasicAuth(user, password, origin_of(URL))


def _prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


def test_basic_auth_only_for_its_origin() -> None:
    auth = BasicAuth("alice", "s3cret-token", origin_of(URL))
    assert "Authorization" in auth(_prepared(URL + "/abc")).headers
    assert "Authorization" in auth(_prepared("https://uws.example.org:443/store?ID=1")).headers
    for other in (
        "http://uws.example.org/rest/ExPRES",  # downgrade to http
        "https://files.example.org/store",
        "https://uws.example.org:8443/x",
    ):
        assert "Authorization" not in auth(_prepared(other)).headers


def test_auth_reprs_hide_secrets() -> None:
    auth = BasicAuth("alice", "s3cret-token", origin_of(URL))
    scoped = OriginScopedAuth(HTTPDigestAuth("alice", "s3cret-token"), origin_of(URL))
    for text in (repr(auth), repr(scoped), repr(NoAuth())):
        assert "s3cret" not in text
        assert "alice" not in text


def test_caller_auth_is_origin_scoped() -> None:
    calls: list[str] = []

    def bearer(r: requests.PreparedRequest) -> requests.PreparedRequest:
        calls.append(r.url or "")
        r.headers["Authorization"] = "Bearer tok"
        return r

    scoped = OriginScopedAuth(bearer, origin_of(URL))
    assert scoped(_prepared(URL)).headers["Authorization"] == "Bearer tok"
    assert "Authorization" not in scoped(_prepared("https://cdn.example.org/f")).headers
    assert calls == [URL]


def test_build_auth_choices() -> None:
    origin = origin_of(URL)
    session = requests.Session()
    assert isinstance(build_auth(None, session, origin), NoAuth)
    assert isinstance(build_auth(("u", "p"), session, origin), BasicAuth)
    assert isinstance(build_auth(HTTPDigestAuth("u", "p"), session, origin), OriginScopedAuth)
    session.auth = ("u", "p")
    assert isinstance(build_auth(None, session, origin), BasicAuth)
    session.auth = HTTPDigestAuth("u", "p")
    assert isinstance(build_auth(None, session, origin), OriginScopedAuth)
    with pytest.raises(InvalidRequest):
        build_auth(("u", "p", "x"), requests.Session(), origin)
    with pytest.raises(InvalidRequest):
        build_auth(42, requests.Session(), origin)


# --- .netrc ---------------------------------------------------------------------------


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_netrc_entry_from_NETRC_or_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert netrc_entry("uws.example.org", {}) is None  # no file at all
    _write(home / ".netrc", "machine uws.example.org login alice password tok-1\n")
    assert netrc_entry("uws.example.org", {}) == ("alice", "tok-1")
    assert netrc_entry("other.example.org", {}) is None
    assert netrc_entry("", {}) is None
    mine = _write(tmp_path / "mine", "default login bob password tok-2\n")
    assert netrc_entry("other.example.org", {"NETRC": str(mine)}) == ("bob", "tok-2")
    assert netrc_entry("x", {"NETRC": str(tmp_path / "missing")}) is None
    nopassword = _write(tmp_path / "nopw", "machine uws.example.org login carol\n", 0o644)
    assert netrc_entry("uws.example.org", {"NETRC": str(nopassword)}) is None


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604, 0o602, 0o700 | 0o010])
@pytest.mark.parametrize("where", ["NETRC", "HOME"])
def test_netrc_with_a_password_others_may_read_or_change_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, where: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = _write(tmp_path / ".netrc", "machine h login alice password tok-1234\n", mode)
    env = {"NETRC": str(path)} if where == "NETRC" else {}
    with pytest.raises(InsecureNetrc) as info:
        netrc_entry("h", env)
    assert isinstance(info.value, InvalidRequest)  # a local mistake: nothing was sent
    assert info.value.path == str(path)
    assert f"(mode {mode:04o}), so it is not used: run chmod 600 {path}" in str(info.value)
    assert "tok-1234" not in str(info.value)


def test_unparsable_netrc_is_named_without_its_words(tmp_path: Path) -> None:
    path = _write(tmp_path / "netrc", "machine h login alice password\ns3cr3t-word extra\n")
    with pytest.raises(NetrcError) as info:
        netrc_entry("h", {"NETRC": str(path)})
    assert not isinstance(info.value, InsecureNetrc)
    assert str(path) in str(info.value)
    assert "cannot be parsed (line" in str(info.value)
    assert "s3cr3t" not in str(info.value)
