"""One named regression test (or more) per bug of the documented recipe.

See /work/shared/reference/legacy-recipe.md, "Bugs in the documented uws_call_expres":
each test is named test_bugNN_<what> after the bug's number there.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, List

import pytest
import responses

from uws_call_expres import uws_call_expres
from uws_call_expres.errors import AccessError, ConfigError
from uws_lite import ConnectionFailed, JobHeld, Phase, WaitTimeout


def _api_requests(rsps: responses.RequestsMock) -> List[Any]:
    return [c.request for c in rsps.calls]


def _creation_form(rsps: responses.RequestsMock, kit: SimpleNamespace) -> Any:
    (request,) = [
        c.request
        for c in rsps.calls
        if c.request.method == "POST" and len(c.request.url.split("/rest/")[1].split("/")) == 1
    ]
    return request, kit.parse_form(request)


# 1. SyntaxError at `if branch == "develop"`: the module could not be imported.
def test_bug01_module_imports_with_the_documented_signature() -> None:
    module = importlib.import_module("uws_call_expres")
    function = module.uws_call_expres
    assert callable(function)
    parameters = list(inspect.signature(function).parameters.values())
    documented = [
        ("FILE", "example.json"),
        ("FILE_EPHEM", None),
        ("Job_List", None),
        ("runID", None),
        ("LOOP", False),
        ("branch", None),
        ("LOGIN", None),
        ("executionDuration", None),
    ]
    assert [(p.name, p.default) for p in parameters[:8]] == documented
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters[:8])
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters[8:])
    assert "TOKEN" in [p.name for p in parameters[8:]]


def test_bug01_positional_call_runs(workdir: Path, opus: Any) -> None:
    # FILE, FILE_EPHEM, Job_List, runID, LOOP, branch, LOGIN, executionDuration
    run = uws_call_expres("example.json", None, None, "pos", True, None, None, "60")
    assert run.ok
    assert run.run_id == "pos"


# 2. TOKEN was only assigned for guests: any LOGIN gave UnboundLocalError.
def test_bug02_login_with_token_runs(workdir: Path, opus: Any) -> None:
    run = uws_call_expres(LOGIN="jdoe", TOKEN="tok", verbose=False)
    assert run.login == "jdoe"


def test_bug02_login_without_token_is_a_clear_error_not_unbound_local(
    workdir: Path, rsps: responses.RequestsMock
) -> None:
    with pytest.raises(AccessError, match="no token was found"):
        uws_call_expres(LOGIN="jdoe")
    assert len(rsps.calls) == 0


# 3. Job_List routing with LOGIN: /rest/None, explicit Job_List overridden, silent guests.
@pytest.mark.parametrize(
    ("kwargs", "expected_list"),
    [
        ({"branch": "master"}, "ExPRES"),
        ({"branch": "feature-x"}, "ExPRES"),
        ({"branch": None, "Job_List": "ExPRES-dev"}, "ExPRES-dev"),
        ({"branch": "develop"}, "ExPRES-dev"),
    ],
)
def test_bug03_job_list_routing_with_login(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, kwargs: Any, expected_list: str
) -> None:
    run = uws_call_expres(LOGIN="jdoe", TOKEN="tok", verbose=False, **kwargs)
    assert run.job_list == expected_list
    assert all("/rest/None" not in r.url for r in _api_requests(rsps))
    assert any(r.url.endswith(f"/rest/{expected_list}") for r in _api_requests(rsps))


def test_bug03_guest_override_is_announced_not_silent(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uws_call_expres(Job_List="ExPRES-dev", branch="develop")
    assert (run.job_list, run.branch) == ("ExPRES", "master")
    err = capsys.readouterr().err
    assert "Guests can only use the ExPRES job list" in err
    assert "Guests can only use the master branch" in err


# 4. result.id did not exist in the documented install: crash before any download.
def test_bug04_results_downloaded_by_id(workdir: Path, opus: Any) -> None:
    run = uws_call_expres(LOOP=True, verbose=False)
    assert [r.id for r in run.results] == [p.name for p in run.files]
    assert run.results[0].reference == run.results[0].href  # uws-client's name kept


# 5. executionDuration as an int crashed in re.match.
def test_bug05_execution_duration_int_is_sent_as_text(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, kit: SimpleNamespace
) -> None:
    uws_call_expres(executionDuration=120, verbose=False)
    _, form = _creation_form(rsps, kit)
    assert form["executionDuration"] == (None, b"120")


# 6. "./" + result.id: path escapes, overwritten inputs, duplicates, CWD only.
def test_bug06_hostile_result_ids_stay_in_output_dir(
    workdir: Path, opus: Any, kit: SimpleNamespace
) -> None:
    hostile = ["../x", "/etc/passwd", "example.json", "dup.cdf", "DUP.cdf", "dup.cdf", "..", ""]
    opus.results = [kit.FakeResult(rid, rid.encode() or b"empty") for rid in hostile]
    out = workdir  # the output directory also holds the user's config
    config = (workdir / "example.json").read_bytes()
    run = uws_call_expres("example.json", LOOP=True, verbose=False)
    assert run.ok
    assert len(run.files) == len(hostile)
    names = [p.name for p in run.files]
    assert len({n.casefold() for n in names}) == len(names)  # unique, even case-insensitively
    for path in run.files:
        assert path.parent == out
        assert "/" not in path.name
        assert "\\" not in path.name
        assert path.name not in ("", ".", "..")
    assert (workdir / "example.json").read_bytes() == config  # input never overwritten
    assert not (workdir.parent / "x").exists()
    for result, path in zip(run.results, run.files):
        assert path.read_bytes() == (result.id.encode() or b"empty")


def test_bug06_output_dir_option(workdir: Path, opus: Any) -> None:
    run = uws_call_expres(LOOP=True, verbose=False, output_dir=workdir / "a" / "b")
    assert {p.parent for p in run.files} == {workdir / "a" / "b"}


def test_bug06_existing_files_are_kept_by_default(workdir: Path, opus: Any) -> None:
    (workdir / "stdout").write_text("previous run")
    run = uws_call_expres(LOOP=True, verbose=False)
    assert (workdir / "stdout").read_text() == "previous run"
    assert workdir / "stdout-1" in run.files


# 7. The poll loop had no limit and looped forever on HELD/SUSPENDED/UNKNOWN/ARCHIVED.
def test_bug07_wait_has_a_deadline(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED"] + ["SUSPENDED"] * 10_000
    with pytest.raises(WaitTimeout):
        uws_call_expres(LOOP=True, timeout=0.3, verbose=False)


def test_bug07_held_job_ends_the_wait(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED", "HELD"]
    with pytest.raises(JobHeld):
        uws_call_expres(LOOP=True, verbose=False)


def test_bug07_archived_job_ends_the_wait_as_a_failure(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED", "ARCHIVED"]
    run = uws_call_expres(LOOP=True, verbose=False)
    assert run.phase is Phase.ARCHIVED
    assert not run.ok


def test_bug07_phase_with_trailing_whitespace_is_understood(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED", "EXECUTING", "COMPLETED\n  "]
    run = uws_call_expres(LOOP=True, verbose=False)
    assert run.phase is Phase.COMPLETED


def test_bug07_waits_with_uws_wait_not_a_sleep_loop(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED", "EXECUTING", "EXECUTING", "EXECUTING", "COMPLETED"]
    run = uws_call_expres(LOOP=True, verbose=False)
    assert run.ok
    waits = [url for url in opus.job_get_urls if "WAIT=" in url]
    assert waits, opus.job_get_urls  # long-polls the job (UWS 1.1 WAIT) ...
    assert all("PHASE=" in url for url in waits)  # ... guarded by the phase last seen


def test_bug07_a_transient_http_error_does_not_abort_the_run(workdir: Path, opus: Any) -> None:
    opus.script = ["QUEUED", "503", "503", "EXECUTING", "503", "COMPLETED"]
    run = uws_call_expres(LOOP=True, verbose=False)
    assert run.ok
    assert run.files


def test_bug07_default_deadline_follows_the_access_limit(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uws_lite import Client

    seen: List[Any] = []
    original = Client.wait

    def spy(self: Any, job_id: str, **kwargs: Any) -> Any:
        seen.append(kwargs["timeout"])
        return original(self, job_id, **kwargs)

    monkeypatch.setattr(Client, "wait", spy)
    uws_call_expres(LOOP=True, verbose=False)
    uws_call_expres(LOOP=True, verbose=False, executionDuration=100)
    uws_call_expres(LOOP=True, verbose=False, timeout=42)
    guest, short, explicit = seen
    assert 600 < guest < 1200
    assert 100 < short < guest
    assert explicit == 42


# 8. On ERROR it printed "Job failed", downloaded, and did not report the error summary.
def test_bug08_failed_job_reports_error_summary(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    opus.script = ["QUEUED", "ERROR"]
    opus.error_summary = "ExPRES crashed"
    run = uws_call_expres(LOOP=True)
    assert not run.ok
    assert run.error_summary is not None
    assert run.error_summary.message == "ExPRES crashed"
    assert "Error summary: ExPRES crashed" in capsys.readouterr().out
    assert [p.name for p in run.files] == ["expres_run.cdf", "stdout"]  # logs still saved


# 9. Nothing was returned.
def test_bug09_returns_a_value_in_every_path(workdir: Path, opus: Any) -> None:
    started = uws_call_expres(verbose=False)
    finished = uws_call_expres(LOOP=True, verbose=False)
    assert started.job_id
    assert finished.job_id
    assert started.job_id != finished.job_id
    assert finished.phase is Phase.COMPLETED
    assert finished.files


# 10. Files went through a Latin-1 text path (non-Latin-1 crashed); the local path was sent.
def test_bug10_files_sent_as_binary_parts_named_by_basename(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, kit: SimpleNamespace
) -> None:
    document = json.loads((workdir / "example.json").read_text())
    document["SIMU"]["NAME"] = "Io ✓ αβγ 木星"
    config = workdir / "sub dir" / "ünïcode.json"
    config.parent.mkdir()
    config.write_bytes(json.dumps(document, ensure_ascii=False).encode())
    ephem = workdir / kit.EPHEM
    uws_call_expres(str(config), str(ephem), verbose=False)
    request, form = _creation_form(rsps, kit)
    assert form["config"] == ("ünïcode.json", config.read_bytes())
    assert form["ephemeride"] == (kit.EPHEM, ephem.read_bytes())
    assert os.fsencode(str(workdir)) not in request.body
    assert b"sub dir" not in request.body


# 11. LOGIN/TOKEN were passed to download_file (ignored): credentials never leave the origin.
def test_bug11_credentials_not_sent_to_another_origin(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, kit: SimpleNamespace
) -> None:
    opus.results = []
    run = uws_call_expres(LOGIN="jdoe", TOKEN="tok", verbose=False)
    job = opus.jobs[run.job_id]
    job.phase, job.script = "EXECUTING", ["COMPLETED"]
    rsps.add("GET", "https://cdn.example.org/files/big.cdf", body=b"big", status=200)
    from uws_lite.models import Result

    original = opus._result_xml
    opus._result_xml = lambda j: (
        '<uws:result id="big.cdf" xlink:href="https://cdn.example.org/files/big.cdf"/>'
        + original(j)
    )
    from uws_call_expres import attach

    final = attach(run.job_id, LOGIN="jdoe", TOKEN="tok", verbose=False)
    assert isinstance(final.results[0], Result)
    (foreign,) = [c.request for c in rsps.calls if "cdn.example.org" in c.request.url]
    assert "Authorization" not in foreign.headers
    assert (workdir / "big.cdf").read_bytes() == b"big"


# 12. Guests sent "Authorization: Basic Og==" (empty user and password).
def test_bug12_guest_sends_no_authorization_header(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even with a ~/.netrc entry for the host, which requests would otherwise use.
    netrc = workdir / "netrc"
    netrc.write_text("machine voparis-uws-maser.obspm.fr login jdoe password tok\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    uws_call_expres(LOOP=True, verbose=False)
    assert _api_requests(rsps)
    leaked = [(r.method, r.url) for r in _api_requests(rsps) if "Authorization" in r.headers]
    assert leaked == []


# 13. login + token over 57 bytes broke the header (base64.encodestring inserts newlines).
def test_bug13_long_credentials_make_one_valid_header(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, kit: SimpleNamespace
) -> None:
    login = "a.very.long.user.name@observatoire-de-paris.example"
    assert len(f"{login}:{kit.TOKEN}") > 57
    uws_call_expres(LOOP=True, LOGIN=login, TOKEN=kit.TOKEN, verbose=False)
    for request in _api_requests(rsps):
        if "/rest/" not in request.url:
            continue
        header = request.headers["Authorization"]
        assert "\n" not in header
        assert base64.b64decode(header.split()[1]).decode() == f"{login}:{kit.TOKEN}"


# 14. Minor issues.
def test_bug14_run_id_default_kept_and_overridable(workdir: Path, opus: Any) -> None:
    assert uws_call_expres(verbose=False).run_id == "test_job"
    assert uws_call_expres(runID="io-2015", verbose=False).run_id == "io-2015"


def test_bug14_parameters_printed_without_local_paths(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    uws_call_expres(str(workdir / "example.json"))
    out = capsys.readouterr().out
    assert "'config': 'example.json'" in out
    assert str(workdir) not in out


def test_bug14_server_is_overridable(workdir: Path, rsps: responses.RequestsMock) -> None:
    from uws_call_expres.run import uws_call_expres as function

    with pytest.raises(ConnectionFailed):  # nothing answers there: a typed network error
        function(server="https://uws.example.org/rest/", verbose=False)
    assert rsps.calls[0].request.url == "https://uws.example.org/rest/ExPRES"


def test_bug14_no_fake_coding_cookie_and_no_eq_none() -> None:
    import uws_call_expres.run as run

    source = inspect.getsource(run)
    assert "== None" not in source
    assert "\u2212" not in source  # the Unicode minus of the recipe's first line


def test_bug14_usage_does_not_depend_on_a_copied_file(tmp_path: Path) -> None:
    # The recipe assumed the code was saved as uws_call_expres.py next to the script;
    # the installed package is importable from anywhere.
    import subprocess
    import sys

    code = "from uws_call_expres import uws_call_expres; print(uws_call_expres.__module__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "uws_call_expres.run"


def test_bug14_config_error_names_the_file(workdir: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothere\.json"):
        uws_call_expres("nothere.json")
