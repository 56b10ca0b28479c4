"""The routing table and the token sources (uws_call_expres.access): no network at all."""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from uws_call_expres.access import (
    AUTHENTICATED_MAX_DURATION,
    DEFAULT_SERVER,
    GUEST_MAX_DURATION,
    resolve_access,
)
from uws_call_expres.errors import AccessError
from uws_lite.errors import InsecureNetrc, NetrcError

# -- the routing table, row by row -------------------------------------------------------


@pytest.mark.parametrize(
    ("job_list", "branch", "warned"),
    [
        (None, None, 0),
        ("ExPRES", "master", 0),
        ("ExPRES-dev", None, 1),
        (None, "develop", 1),
        ("ExPRES-dev", "develop", 2),
    ],
)
def test_guest_row_always_expres_master(
    job_list: str | None, branch: str | None, warned: int
) -> None:
    access = resolve_access(job_list=job_list, branch=branch)
    assert access.job_list == "ExPRES"
    assert access.branch == "master"
    assert access.auth is None
    assert access.login is None
    assert not access.authenticated
    assert access.max_duration == GUEST_MAX_DURATION == 600
    assert len(access.warnings) == warned
    assert access.list_url == "https://voparis-uws-maser.obspm.fr/rest/ExPRES"


def test_guest_warning_says_why() -> None:
    access = resolve_access(job_list="ExPRES-dev", branch="develop")
    text = " ".join(access.warnings)
    assert "Guests can only use" in text
    assert "ExPRES-dev" in text
    assert "develop" in text
    assert "LOGIN" in text


@pytest.mark.parametrize(
    ("job_list", "branch", "expected_list", "expected_branch"),
    [
        (None, None, "ExPRES", "master"),
        (None, "master", "ExPRES", "master"),
        (None, "develop", "ExPRES-dev", "develop"),
        (None, "feature-x", "ExPRES", "feature-x"),
        ("ExPRES-dev", None, "ExPRES-dev", "master"),
        ("ExPRES", "develop", "ExPRES", "develop"),
        ("MyList", "develop", "MyList", "develop"),
    ],
)
def test_authenticated_row(
    job_list: str | None, branch: str | None, expected_list: str, expected_branch: str
) -> None:
    access = resolve_access(job_list=job_list, branch=branch, login="jdoe", token="tok")
    assert (access.job_list, access.branch) == (expected_list, expected_branch)
    assert access.auth == ("jdoe", "tok")
    assert access.authenticated
    assert access.max_duration == AUTHENTICATED_MAX_DURATION == 10_800
    assert access.warnings == ()
    assert access.list_url.endswith("/rest/" + expected_list)


def test_login_without_any_token_is_a_clear_error() -> None:
    with pytest.raises(AccessError) as info:
        resolve_access(login="jdoe", environ={})
    message = str(info.value)
    assert "jdoe" in message
    assert "EXPRES_TOKEN" in message
    assert ".netrc" in message


def test_token_without_login_is_refused_not_run_as_guest() -> None:
    with pytest.raises(AccessError, match="without LOGIN"):
        resolve_access(token="tok")


def test_empty_login_and_token_mean_guest() -> None:
    access = resolve_access(login="", token="")
    assert access.auth is None


# -- token sources, first found wins -------------------------------------------------------


def _netrc(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def test_token_argument_wins_over_environment_and_netrc(tmp_path: Path) -> None:
    netrc = _netrc(
        tmp_path / "netrc", "machine voparis-uws-maser.obspm.fr login jdoe password fromnetrc\n"
    )
    env = {"EXPRES_TOKEN": "fromenv", "NETRC": str(netrc)}
    access = resolve_access(login="jdoe", token="fromarg", environ=env)
    assert access.token == "fromarg"
    assert access.token_source == "TOKEN argument"


def test_environment_wins_over_netrc(tmp_path: Path) -> None:
    netrc = _netrc(
        tmp_path / "netrc", "machine voparis-uws-maser.obspm.fr login jdoe password fromnetrc\n"
    )
    access = resolve_access(
        login="jdoe", environ={"EXPRES_TOKEN": " fromenv\n", "NETRC": str(netrc)}
    )
    assert access.token == "fromenv"
    assert access.token_source == "environment variable EXPRES_TOKEN"


def test_netrc_entry_for_the_server_host(tmp_path: Path) -> None:
    netrc = _netrc(
        tmp_path / "netrc",
        "machine example.org login jdoe password other\n"
        "machine voparis-uws-maser.obspm.fr login jdoe password fromnetrc\n",
    )
    access = resolve_access(login="jdoe", environ={"NETRC": str(netrc)})
    assert access.token == "fromnetrc"
    assert access.token_source == "~/.netrc"


def test_netrc_entry_of_another_host_or_user_is_not_used(tmp_path: Path) -> None:
    netrc = _netrc(
        tmp_path / "netrc",
        "machine example.org login jdoe password other\n"
        "machine voparis-uws-maser.obspm.fr login someone-else password theirs\n",
    )
    with pytest.raises(AccessError, match="no token was found"):
        resolve_access(login="jdoe", environ={"NETRC": str(netrc)})


def test_netrc_host_follows_the_server_option(tmp_path: Path) -> None:
    netrc = _netrc(tmp_path / "netrc", "machine 127.0.0.1 login jdoe password local\n")
    access = resolve_access(
        server="http://127.0.0.1:8080/rest", login="jdoe", environ={"NETRC": str(netrc)}
    )
    assert access.token == "local"
    assert access.list_url == "http://127.0.0.1:8080/rest/ExPRES"


def test_broken_netrc_error_does_not_quote_its_content(tmp_path: Path) -> None:
    # Python's parser would say: bad follower token 's3cr3t'.
    netrc = _netrc(
        tmp_path / "netrc", "machine voparis-uws-maser.obspm.fr login jdoe password x s3cr3t\n"
    )
    with pytest.raises(NetrcError) as info:  # an InvalidRequest, as AccessError is
        resolve_access(login="jdoe", environ={"NETRC": str(netrc)})
    assert "s3cr3t" not in str(info.value)
    assert f"{netrc} cannot be parsed (line " in str(info.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_netrc_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    # Before: the path was passed to the netrc module, which then checks nothing, and the
    # token of a world-readable file was used silently.
    netrc = _netrc(
        tmp_path / "netrc", "machine voparis-uws-maser.obspm.fr login jdoe password fromnetrc\n"
    )
    os.chmod(netrc, mode)
    with pytest.raises(InsecureNetrc) as info:
        resolve_access(login="jdoe", environ={"NETRC": str(netrc)})
    assert str(info.value) == (
        f"{netrc} can be read or changed by other users (mode {mode:04o}), so it is not used: "
        f"run chmod 600 {netrc}"
    )
    assert "fromnetrc" not in str(info.value)


def test_netrc_without_a_password_may_be_readable(tmp_path: Path) -> None:
    netrc = _netrc(tmp_path / "netrc", "machine voparis-uws-maser.obspm.fr login jdoe\n")
    os.chmod(netrc, 0o644)
    with pytest.raises(AccessError, match="no token was found"):
        resolve_access(login="jdoe", environ={"NETRC": str(netrc)})


def test_token_is_not_in_repr(kit: SimpleNamespace) -> None:
    access = resolve_access(login="jdoe", token=kit.TOKEN)
    assert kit.TOKEN not in repr(access)
    assert kit.TOKEN not in str(access)


# -- server URL and names ------------------------------------------------------------------


def test_server_default_and_normalisation() -> None:
    assert resolve_access().server == DEFAULT_SERVER
    assert resolve_access(server="https://h.example/rest").server == "https://h.example/rest/"


@pytest.mark.parametrize(
    "server", ["ftp://h/rest/", "not a url", "", "https://h/rest/?x=1", "https:///rest"]
)
def test_bad_server_url(server: str) -> None:
    with pytest.raises(AccessError):
        resolve_access(server=server)


def test_server_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(AccessError) as info:
        resolve_access(server="https://jdoe:hunter2@h.example/rest/")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("job_list", ["../admin", "a/b", "", " ExPRES", "Ex PRES"])
def test_bad_job_list_name(job_list: str) -> None:
    with pytest.raises(AccessError):
        resolve_access(job_list=job_list, login="jdoe", token="t")


def test_login_with_colon_is_refused() -> None:
    with pytest.raises(AccessError, match="':'"):
        resolve_access(login="jd:oe", token="t")


def test_plain_http_to_a_remote_host_warns_when_authenticated() -> None:
    remote = resolve_access(server="http://uws.example.org/rest/", login="jdoe", token="t")
    local = resolve_access(server="http://127.0.0.1:9/rest/", login="jdoe", token="t")
    assert any("unencrypted" in w for w in remote.warnings)
    assert local.warnings == ()


def test_the_same_insecure_netrc_is_refused_the_same_way_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # One reader (uws_lite.auth.netrc_entry) for uws_call_expres, uws-call-expres and
    # uws-lite: the same world-readable $NETRC is refused by each, in the same words,
    # before any request (nothing listens on port 9).
    from uws_call_expres.cli import main as expres_main
    from uws_lite.cli import main as uws_lite_main

    netrc = _netrc(tmp_path / "netrc", "machine 127.0.0.1 login jdoe password tok-1234\n")
    os.chmod(netrc, 0o644)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.delenv("EXPRES_TOKEN", raising=False)
    monkeypatch.delenv("UWS_TOKEN", raising=False)
    said = (
        f"{netrc} can be read or changed by other users (mode 0644), so it is not used: "
        f"run chmod 600 {netrc}"
    )
    with pytest.raises(InsecureNetrc) as info:
        resolve_access(server="http://127.0.0.1:9/rest/", login="jdoe")
    assert str(info.value) == said
    code = expres_main(["--list", "--server", "http://127.0.0.1:9/rest/", "--login", "jdoe"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"uws-call-expres: error: {said}" in err
    out, errs = io.StringIO(), io.StringIO()
    code = uws_lite_main(
        ["--url", "http://127.0.0.1:9/rest/ExPRES", "list"], stdout=out, stderr=errs
    )
    assert code == 2
    assert f"uws-lite: {said}" in errs.getvalue()
    for text in (err, errs.getvalue(), out.getvalue()):
        assert "tok-1234" not in text
