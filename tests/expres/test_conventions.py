"""One convention across the two CLIs (issue 14, point 7), uws_call_expres's side.

The aliases shared with uws-lite (--url, --output, --wait-timeout, --request-timeout, a bare
--overwrite), a job list URL given as --server (or ``server=``), and UWS_TOKEN; the old
spellings keep working.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any, List, Optional

import pytest
import responses

from uws_call_expres.access import DEFAULT_SERVER, open_client, resolve_access, split_server
from uws_call_expres.cli import main
from uws_call_expres.cli.parser import OVERWRITE_CHOICES, bare_overwrite, build_parser
from uws_call_expres.errors import AccessError
from uws_lite.deadline import DeadlineTimeout

HOST = "https://voparis-uws-maser.obspm.fr"
NETRC_LINE = "machine voparis-uws-maser.obspm.fr login jdoe password fromnetrc\n"


def _parse(*argv: str) -> Any:
    return build_parser().parse_args(bare_overwrite(list(argv), OVERWRITE_CHOICES))


def _posts(rsps: responses.RequestsMock) -> List[str]:
    return [c.request.url for c in rsps.calls if c.request.method == "POST"]


def _user(rsps: responses.RequestsMock) -> Optional[str]:
    header = rsps.calls[0].request.headers.get("Authorization")
    return None if header is None else base64.b64decode(header.split()[1]).decode()


# -- a job list URL where the base URL is expected ----------------------------------------


@pytest.mark.parametrize(
    ("server", "base", "job_list"),
    [
        (DEFAULT_SERVER, DEFAULT_SERVER, None),
        (f"{HOST}/rest", f"{HOST}/rest/", None),
        (f"{HOST}/rest/ExPRES", f"{HOST}/rest/", "ExPRES"),
        (f"{HOST}/rest/ExPRES-dev/", f"{HOST}/rest/", "ExPRES-dev"),
        (f"{HOST}/rest/MyList", f"{HOST}/rest/", "MyList"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/", None),
        ("http://127.0.0.1:8000/opus/ExPRES", "http://127.0.0.1:8000/opus/", "ExPRES"),
        ("https://example.org/custom/", "https://example.org/custom/", None),
    ],
)
def test_split_server(server: str, base: str, job_list: Optional[str]) -> None:
    assert split_server(server) == (base, job_list)


@pytest.mark.parametrize(
    ("server", "says"),
    [
        (f"{HOST}/rest/ExPRES/2a3490", "job '2a3490'"),
        (f"{HOST}/rest/ExPRES/ExPRES", "URL of job"),
        ("http://127.0.0.1:8000/x/ExPRES-dev/2a3490", "job '2a3490'"),
        (f"{HOST}/rest/ExPRES/2a3490/results", "neither"),
        (f"{HOST}/rest/a b", "neither"),
    ],
)
def test_split_server_refuses_a_job_url_or_junk(server: str, says: str) -> None:
    with pytest.raises(AccessError, match=says) as info:
        split_server(server)
    assert f"{HOST}/rest/" in str(info.value) or "127.0.0.1" in str(info.value)


@pytest.mark.parametrize(
    "server", ["http://[::1/rest/", "http://example.org:99999/rest/", "ftp://example.org/rest/"]
)
def test_split_server_refuses_a_malformed_url_as_an_access_error(server: str) -> None:
    # The shared URL check (uws_lite.urls): a bad IPv6 host or port is a local mistake,
    # never a ValueError, nor a URL accepted to fail at the first request.
    with pytest.raises(AccessError, match=r"is not an http\(s\) URL"):
        split_server(server)


def test_cli_malformed_server_url_exits_2_before_any_request(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", "--server", "http://[::1/rest/"]) == 2
    assert len(rsps.calls) == 0
    err = capsys.readouterr().err
    assert "--server 'http://[::1/rest/' is not an http(s) URL" in err
    assert "Traceback" not in err


def test_python_server_keyword_takes_a_job_list_url() -> None:
    access = resolve_access(server=f"{HOST}/rest/ExPRES-dev", login="jdoe", token="tok")
    assert (access.server, access.job_list) == (f"{HOST}/rest/", "ExPRES-dev")
    assert access.list_url == f"{HOST}/rest/ExPRES-dev"
    # The same job list twice is no contradiction.
    same = resolve_access(
        server=f"{HOST}/rest/ExPRES-dev", job_list="ExPRES-dev", login="jdoe", token="tok"
    )
    assert same.list_url == access.list_url


def test_python_server_job_list_contradiction_refused() -> None:
    with pytest.raises(AccessError, match="'ExPRES-dev' but Job_List is 'ExPRES'"):
        resolve_access(server=f"{HOST}/rest/ExPRES-dev", job_list="ExPRES", login="j", token="t")


def test_guest_with_dev_job_list_url_is_warned_and_routed_to_expres() -> None:
    access = resolve_access(server=f"{HOST}/rest/ExPRES-dev")
    assert access.list_url == f"{HOST}/rest/ExPRES"
    assert any("ExPRES-dev" in w for w in access.warnings)


def test_cli_job_list_url_as_server_posts_to_the_job_list(
    workdir: Path, opus: Any, rsps: responses.RequestsMock
) -> None:
    assert main(["example.json", "--server", f"{HOST}/rest/ExPRES", "-o", "out", "-q"]) == 0
    assert _posts(rsps)[0] == f"{HOST}/rest/ExPRES"
    assert not any("/ExPRES/ExPRES" in c.request.url for c in rsps.calls)
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["expres_run.cdf", "stdout"]


@pytest.mark.parametrize(
    "argv",
    [
        ["example.json", "--server", f"{HOST}/rest/ExPRES-dev", "--job-list", "ExPRES"],
        ["--list", "--server", f"{HOST}/rest/ExPRES", "--job-list", "ExPRES-dev"],
        ["--attach", "2a3490", "--url", f"{HOST}/rest/ExPRES", "--job-list", "ExPRES-dev"],
        ["example.json", "--server", f"{HOST}/rest/ExPRES/2a3490"],
        ["--list", "--url", f"{HOST}/rest/"],
        ["--list", "--url", f"{HOST}/rest/ExPRES", "--server", f"{HOST}/rest/"],
    ],
)
def test_cli_contradiction_or_job_url_exit_2_without_request(
    workdir: Path,
    rsps: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: List[str],
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", "tok")
    assert main([*argv, "--login", "jdoe"]) == 2
    assert len(rsps.calls) == 0
    err = capsys.readouterr().err
    assert "error:" in err
    assert "Traceback" not in err


def test_cli_url_is_the_job_list_url(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", "tok")
    args = ["--url", f"{HOST}/rest/ExPRES-dev", "--login", "jdoe"]
    assert main(["example.json", "--no-wait", "-q", *args]) == 0
    assert _posts(rsps)[0] == f"{HOST}/rest/ExPRES-dev"
    (job,) = opus.jobs.values()
    assert job.job_list == "ExPRES-dev"
    rsps.calls.reset()
    assert main(["--list", "-q", *args]) == 0
    assert rsps.calls[0].request.url.startswith(f"{HOST}/rest/ExPRES-dev")


# -- the aliases, parse level ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "name", "value"),
    [
        (["x.json", "--output", "d"], "output_dir", "d"),
        (["x.json", "--output-dir", "d"], "output_dir", "d"),
        (["x.json", "-o", "d"], "output_dir", "d"),
        (["x.json", "--wait-timeout", "12"], "timeout", 12.0),
        (["x.json", "--timeout", "12"], "timeout", 12.0),
        (["x.json", "--request-timeout", "7"], "request_timeout", 7.0),
        (["x.json"], "request_timeout", None),
        (["--list", "--url", f"{HOST}/rest/ExPRES"], "url", f"{HOST}/rest/ExPRES"),
        (["x.json"], "overwrite", None),  # not given: main() makes it rename (--grid: always)
        (["x.json", "--overwrite"], "overwrite", "always"),
        (["--overwrite", "x.json"], "overwrite", "always"),
        (["--overw", "x.json"], "overwrite", "always"),
        (["--overwrite", "never", "x.json"], "overwrite", "never"),
        (["--overwrite=rename", "x.json"], "overwrite", "rename"),
    ],
)
def test_aliases_parse(argv: List[str], name: str, value: Any) -> None:
    assert getattr(_parse(*argv), name) == value


def test_bare_overwrite_keeps_the_config_and_words_after_double_dash() -> None:
    assert _parse("--overwrite", "x.json").configs == ["x.json"]
    assert bare_overwrite(["a", "--", "--overwrite"], OVERWRITE_CHOICES) == [
        "a",
        "--",
        "--overwrite",
    ]


@pytest.mark.parametrize("option", ["--request-timeout", "--wait-timeout", "--timeout"])
def test_timeouts_must_be_positive(
    workdir: Path, rsps: responses.RequestsMock, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["example.json", option, "0"]) == 2
    assert len(rsps.calls) == 0
    assert option.lstrip("-") in capsys.readouterr().err


def test_help_names_every_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no line breaks inside option names
    text = build_parser().format_help()
    for word in ("--url", "--output", "--wait-timeout", "--request-timeout", "UWS_TOKEN"):
        assert word in text
    assert "--timeout is the old name of --wait-timeout" in " ".join(text.split())


# -- the aliases, end to end ------------------------------------------------------------------


def test_output_alias_saves_there(workdir: Path, opus: Any) -> None:
    assert main(["example.json", "--output", "elsewhere", "-q"]) == 0
    assert sorted(p.name for p in (workdir / "elsewhere").iterdir()) == [
        "expres_run.cdf",
        "stdout",
    ]


def test_wait_timeout_alias_exit_3(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED"] + ["EXECUTING"] * 10_000
    assert main(["example.json", "--wait-timeout", "0.3"]) == 3
    assert "--attach" in capsys.readouterr().err


def test_request_timeout_reaches_every_request(
    workdir: Path, opus: Any, rsps: responses.RequestsMock
) -> None:
    assert main(["example.json", "--request-timeout", "7", "-q", "-o", "out"]) == 0
    assert len(rsps.calls) > 3
    for call in rsps.calls:
        timeout = call.request.req_kwargs["timeout"]  # type: ignore[attr-defined]
        if isinstance(timeout, DeadlineTimeout):  # a wait's request: also cut to the time left
            timeout = timeout.as_tuple()
        # the read timeout is 7 s, or a WAIT long-poll's own (longer) one
        assert timeout[0] == 10.0
        assert timeout[1] == 7.0 or "WAIT=" in call.request.url


def test_request_timeout_default_and_python_keyword() -> None:
    assert open_client(resolve_access()).timeout == (10.0, 90.0)
    assert open_client(resolve_access(request_timeout=5)).timeout == (10.0, 5.0)
    with pytest.raises(AccessError, match="request_timeout"):
        resolve_access(request_timeout=0)


def _spoil(folder: Path) -> None:
    """Make every file in ``folder`` someone else's (a run into it then finds other content)."""
    for path in folder.iterdir():
        path.write_bytes(b"someone else's file")


def test_bare_overwrite_replaces_instead_of_renaming(workdir: Path, opus: Any) -> None:
    assert main(["example.json", "-o", "out", "-q"]) == 0
    _spoil(workdir / "out")
    assert main(["example.json", "-o", "out", "-q"]) == 0  # default rename: new names
    assert len(list((workdir / "out").iterdir())) == 4
    assert main(["example.json", "--overwrite", "-o", "again", "-q"]) == 0
    _spoil(workdir / "again")
    assert main(["--overwrite", "example.json", "-o", "again", "-q"]) == 0
    assert sorted(p.name for p in (workdir / "again").iterdir()) == ["expres_run.cdf", "stdout"]
    assert all(p.read_bytes() != b"someone else's file" for p in (workdir / "again").iterdir())


# -- the two token variables ------------------------------------------------------------------


def _netrc(path: Path) -> Path:
    path.write_text(NETRC_LINE)
    os.chmod(path, 0o600)
    return path


def test_uws_token_is_read_when_expres_token_is_not_set() -> None:
    access = resolve_access(login="jdoe", environ={"UWS_TOKEN": " shared\n"})
    assert access.token == "shared"
    assert access.token_source == "environment variable UWS_TOKEN"
    assert access.warnings == ()


def test_expres_token_wins_and_a_different_uws_token_is_warned() -> None:
    env = {"EXPRES_TOKEN": "mine", "UWS_TOKEN": "other"}
    access = resolve_access(login="jdoe", environ=env)
    assert access.token == "mine"
    (warning,) = access.warnings
    assert "EXPRES_TOKEN" in warning
    assert "UWS_TOKEN" in warning
    assert "mine" not in warning
    assert "other" not in warning
    same = resolve_access(login="jdoe", environ={"EXPRES_TOKEN": "t", "UWS_TOKEN": "t"})
    assert same.warnings == ()


def test_netrc_still_wins_over_uws_token(tmp_path: Path) -> None:
    env = {"UWS_TOKEN": "shared", "NETRC": str(_netrc(tmp_path / "netrc"))}
    access = resolve_access(login="jdoe", environ=env)
    assert (access.token, access.token_source) == ("fromnetrc", "~/.netrc")


def test_uws_token_alone_is_no_login() -> None:
    assert resolve_access(environ={"UWS_TOKEN": "shared"}).auth is None


def test_no_token_message_names_both_variables() -> None:
    with pytest.raises(AccessError) as info:
        resolve_access(login="jdoe", environ={})
    assert "EXPRES_TOKEN" in str(info.value)
    assert "UWS_TOKEN" in str(info.value)


@pytest.mark.parametrize(
    ("env", "user"),
    [
        ({"UWS_TOKEN": "shared"}, "jdoe:shared"),
        ({"EXPRES_TOKEN": "mine"}, "jdoe:mine"),
        ({"EXPRES_TOKEN": "mine", "UWS_TOKEN": "other"}, "jdoe:mine"),
    ],
)
def test_cli_token_variables(
    workdir: Path,
    opus: Any,
    rsps: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    user: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["--list", "--login", "jdoe"]) == 0
    assert _user(rsps) == user
    err = capsys.readouterr().err
    assert ("both set" in err) == (len(env) == 2)
    for value in env.values():
        assert value not in err


def test_reattach_hint_after_url_gives_base_and_job_list(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED"] + ["EXECUTING"] * 10_000
    url = "https://voparis-uws-maser.obspm.fr/rest/ExPRES"
    assert main(["example.json", "--url", url, "--wait-timeout", "0.3"]) == 3
    err = capsys.readouterr().err
    assert "python -m uws_call_expres --attach" in err
    assert "/ExPRES/ExPRES" not in err
