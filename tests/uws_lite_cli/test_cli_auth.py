"""Where the credentials come from, where they go, and that the token is never shown."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

TOKEN = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
HOST = "uws.example.org"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _netrc(text: str, mode: int = 0o600) -> Path:
    path = Path(os.environ["HOME"]) / ".netrc"
    path.write_text(text)
    path.chmod(mode)
    return path


def _secrets(*texts: str) -> bool:
    blob = "".join(texts)
    return TOKEN in blob or base64.b64encode(f"alice:{TOKEN}".encode()).decode() in blob


def test_guest_sends_no_authorization_header(
    cli: Callable[..., Any], job_done: Any, uws: Any
) -> None:
    assert cli("show", "2a3490").code == 0
    assert all("Authorization" not in r.headers for r in uws.requests)


def test_token_from_the_environment_with_login(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    run = cli("--login", "alice", "show", "2a3490")
    assert run.code == 0, run.err
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)
    monkeypatch.setenv("UWS_LOGIN", "bob")
    assert cli("show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("bob", TOKEN)


def test_token_without_any_login_is_a_usage_error(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    run = cli("list")
    assert run.code == 2
    assert "--login" in run.err
    assert not _secrets(run.out, run.err)
    assert uws.requests == []


def test_netrc_entry_for_the_host(cli: Callable[..., Any], job_done: Any, uws: Any) -> None:
    _netrc(
        f"machine other.org login eve password nope\nmachine {HOST} login alice password {TOKEN}\n"
    )
    assert cli("show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)
    assert cli("--login", "alice", "show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)


def test_netrc_login_with_the_token_from_the_environment(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _netrc(f"machine {HOST} login alice password old-token\n")
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    assert cli("show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)


def test_netrc_entry_of_another_login_is_never_sent(cli: Callable[..., Any], uws: Any) -> None:
    _netrc(f"machine {HOST} login alice password {TOKEN}\n")
    run = cli("--login", "bob", "list")
    assert run.code == 2
    assert "'alice'" in run.err
    assert "'bob'" in run.err
    assert "UWS_TOKEN" in run.err
    assert not _secrets(run.out, run.err)
    assert uws.requests == []


def test_netrc_from_the_NETRC_variable(
    cli: Callable[..., Any],
    job_done: Any,
    uws: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = tmp_path / "my-netrc"
    path.write_text(f"machine {HOST} login carol password {TOKEN}\n")
    path.chmod(0o600)  # the permission rule holds for $NETRC too
    monkeypatch.setenv("NETRC", str(path))
    assert cli("show", "2a3490").code == 0
    assert uws.requests[-1].headers["Authorization"] == _basic("carol", TOKEN)


def test_netrc_readable_by_others_is_refused(cli: Callable[..., Any], uws: Any) -> None:
    path = _netrc(f"machine {HOST} login alice password {TOKEN}\n", mode=0o644)
    run = cli("list")
    assert run.code == 2
    assert f"chmod 600 {path}" in run.err
    assert not _secrets(run.out, run.err)
    assert uws.requests == []


def test_a_NETRC_file_readable_by_others_is_refused_too(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Before: Python's check covers ~/.netrc only, so $NETRC was used whatever its mode.
    path = tmp_path / "my-netrc"
    path.write_text(f"machine {HOST} login carol password {TOKEN}\n")
    path.chmod(0o644)
    monkeypatch.setenv("NETRC", str(path))
    run = cli("list")
    assert run.code == 2
    assert f"uws-lite: {path} can be read or changed by other users (mode 0644)" in run.err
    assert f"chmod 600 {path}" in run.err
    assert not _secrets(run.out, run.err)
    assert uws.requests == []


def test_unparsable_netrc_never_quotes_its_words(cli: Callable[..., Any], uws: Any) -> None:
    # The stdlib's message would quote the offending word: here, the token.
    _netrc(f"machine {HOST} login alice password\n{TOKEN} trailing\n")
    run = cli("list")
    assert run.code == 2
    assert "cannot be parsed (line" in run.err
    assert not _secrets(run.out, run.err)


def test_login_without_token_prompts_on_a_terminal(
    cli: Callable[..., Any], job_done: Any, uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    asked = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return TOKEN

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    run = cli("--login", "alice", "show", "2a3490")
    assert run.code == 0, run.err
    assert asked == [f"Token for alice at {HOST}: "]
    assert uws.requests[-1].headers["Authorization"] == _basic("alice", TOKEN)


def test_login_without_token_and_no_terminal_says_where_to_put_it(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    run = cli("--login", "alice", "list")
    assert run.code == 2
    assert "UWS_TOKEN" in run.err
    assert "~/.netrc" in run.err
    assert f"machine {HOST} login alice password TOKEN" in run.err


@pytest.mark.parametrize("debug", [[], ["--debug"]])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_token_never_in_output_even_when_the_server_echoes_it(
    cli: Callable[..., Any],
    job_done: Any,
    uws: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    debug: list[str],
    json_flag: list[str],
) -> None:
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    echoed = base64.b64encode(f"alice:{TOKEN}".encode()).decode()
    uws.echo = f" (Authorization: Basic {echoed}, password {TOKEN})"
    failed = uws.add(uws.job_class("e1", phase="ERROR"))
    failed.error = f"failed for alice:{TOKEN}"
    failed.error_detail = f"token was {TOKEN}"
    running = uws.add(uws.job_class("r1", phase="EXECUTING"))
    del running
    commands = [
        ["list"],
        ["show", "2a3490"],
        ["show", "e1"],
        ["show", "nope"],  # 404 page echoing the credentials
        ["run", "r1"],  # 500 page echoing the credentials
        ["error", "e1"],
        ["results", "2a3490"],
        ["download", "2a3490", "-o", str(tmp_path / "out")],
        ["new", "runId=x"],
    ]
    for command in commands:
        run = cli("--login", "alice", *debug, *json_flag, *command)
        assert not _secrets(run.out, run.err), (command, run.out, run.err)
        if json_flag:
            json.loads(run.out)
    assert any("Authorization" in r.headers for r in uws.requests)


def test_credentials_are_not_sent_to_another_host(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import responses

    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    result = uws.result_class("data.bin", b"x" * 10, href="https://elsewhere.example.com/data.bin")
    uws.add(uws.job_class("o1", phase="COMPLETED", results=[result]))
    seen = []

    def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
        seen.append(dict(request.headers))
        return 200, {"Content-Length": "10"}, b"x" * 10

    uws.rsps.add_callback(responses.GET, "https://elsewhere.example.com/data.bin", callback=answer)
    run = cli("--login", "alice", "download", "o1", "-o", str(tmp_path))
    assert run.code == 0, run.err
    assert len(seen) == 1
    assert "Authorization" not in seen[0]
    assert (tmp_path / "data.bin").read_bytes() == b"x" * 10


@pytest.mark.parametrize("flags", [[], ["--debug"], ["--quiet"]])
def test_log_records_are_scrubbed_too(
    cli: Callable[..., Any], uws: Any, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    import logging

    import uws_lite.client

    def noisy(*args: object, **kwargs: object) -> None:
        logging.getLogger("uws_lite.client").error("the server said %s", TOKEN)
        raise RuntimeError("stop")

    monkeypatch.setattr(uws_lite.client.Client, "get_job_list", noisy)
    monkeypatch.setenv("UWS_TOKEN", TOKEN)
    run = cli("--login", "alice", *flags, "list")
    assert run.code == 4
    assert "uws_lite.client: ERROR: the server said ***" in run.err
    assert not _secrets(run.out, run.err)
    assert logging.getLogger("uws_lite").handlers == []  # logging left as it was
