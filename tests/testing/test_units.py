"""The server's building blocks on their own: forms, file names, run plans, identities."""

from __future__ import annotations

import base64

import pytest

from uws_lite.testing.forms import FormError, parse_form, sanitise_filename
from uws_lite.testing.identity import identify
from uws_lite.testing.plan import PlanError, RunPlan, cdf_names, ephemeris_problem, read_overrides


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("example.json", "example.json"),
        ("/home/me/runs/example.json", "example.json"),
        ("C:\\Users\\me\\example.json", "example.json"),
        ("../../etc/passwd", "passwd"),
        ("été  2015 (v2).json", "ete-2015-v2.json"),
        ("..", "empty"),
        ("-.hidden.", "hidden"),
    ],
)
def test_sanitise_filename_like_bottle(raw: str, kept: str) -> None:
    assert sanitise_filename(raw) == kept


def test_parse_multipart_fields_and_files() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="runId"\r\n\r\n'
        b"my run\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="config"; filename="a b.json"\r\n'
        b"Content-Type: application/json\r\n\r\n"
        b'{"x": 1}\r\n'
        b"--XyZ--\r\n"
    )
    form = parse_form("multipart/form-data; boundary=XyZ", body)
    assert form.get("runId") == "my run"
    part = form.files["config"]
    assert (part.raw_filename, part.filename, part.content) == ("a b.json", "a-b.json", b'{"x": 1}')
    assert part.content_type == "application/json"


def test_parse_urlencoded_and_other_types() -> None:
    form = parse_form("application/x-www-form-urlencoded", b"PHASE=RUN&a=1&a=2&empty=")
    assert form.get("PHASE") == "RUN"
    assert form.get("a") == "2"  # the last value, as bottle's forms.get
    assert form.get("empty") == ""
    assert "missing" not in form
    assert parse_form("application/json", b"{}").fields == ()
    assert parse_form(None, b"x").fields == ()


def test_unterminated_multipart_is_refused() -> None:
    with pytest.raises(FormError):
        parse_form("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno end")


def test_read_overrides() -> None:
    overrides, failure = read_overrides(b'{"_test": {"duration": 2, "outcome": "ERROR"}}')
    assert overrides == {"duration": 2, "outcome": "ERROR"}
    assert failure is None
    assert read_overrides(b"[1, 2]")[1] is not None  # not a JSON object: the run fails
    for bad in (b'{"_test": {"cdf_size": "big"}}', b'{"_test": {"x": 1}}', b'{"_test": 3}'):
        with pytest.raises(PlanError):
            read_overrides(bad)
    with pytest.raises(PlanError):
        read_overrides(b'{"_test": {"cdf_size": true}}')


def test_run_plan_validates() -> None:
    with pytest.raises(PlanError):
        RunPlan(outcome="ABORTED")
    with pytest.raises(PlanError):
        RunPlan(duration=-1)


def test_cdf_names() -> None:
    config = b'{"SIMU": {"NAME": "Io 2015/04"}}'
    assert cdf_names(RunPlan(), config, "r") == ("expres_io_2015_04.cdf",)
    assert cdf_names(RunPlan(cdf_count=2, cdf_name="x.cdf"), config, None) == (
        "x_001.cdf",
        "x_002.cdf",
    )
    assert cdf_names(RunPlan(cdf_count=0), config, None) == ()


def test_ephemeris_problem() -> None:
    config = b'{"OBSERVER": {"EPHEM": "juice.txt"}}'
    assert ephemeris_problem(config, "juice.txt") is None
    assert ephemeris_problem(config, None) is not None
    assert ephemeris_problem(config, "other.txt") is not None
    assert ephemeris_problem(b'{"OBSERVER": {"EPHEM": "@wgc"}}', None) is None


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_identify() -> None:
    users = {"alice": ("tok", frozenset({"ExPRES", "ExPRES-dev"}))}
    guest_lists = frozenset({"ExPRES"})
    assert identify(None, users, guest_lists).is_guest
    assert identify(_basic("anonymous:anonymous"), users, guest_lists).is_guest
    assert identify(_basic(":"), users, guest_lists).is_guest
    assert identify("Basic %%%", users, guest_lists).is_guest
    alice = identify(_basic("alice:tok"), users, guest_lists)
    assert (alice.name, alice.roles) == ("alice", frozenset({"ExPRES", "ExPRES-dev"}))
    wrong = identify(_basic("alice:nope"), users, guest_lists)
    assert (wrong.name, wrong.roles, wrong.is_guest) == ("alice", frozenset(), False)
    assert "tok" not in repr(alice)
