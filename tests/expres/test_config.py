"""Local checks before anything is sent (uws_call_expres.config), and the sanity warnings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import responses

from uws_call_expres import uws_call_expres
from uws_call_expres.config import (
    DEFAULT_RUN_ID,
    check_execution_duration,
    check_inputs,
    check_run_id,
)
from uws_call_expres.errors import ConfigError


def _inputs(config: Any, ephem: Any = None, duration: Any = None, auth: bool = False) -> Any:
    return check_inputs(
        config, ephem, duration, max_duration=10_800 if auth else 600, authenticated=auth
    )


# -- files -------------------------------------------------------------------------------


def test_real_config_passes_without_warnings(kit: SimpleNamespace) -> None:
    checked = _inputs(kit.DATA / kit.CONFIG)
    assert checked.warnings == ()
    assert checked.config == (kit.DATA / kit.CONFIG).resolve()
    assert checked.ephemeris is None
    assert checked.execution_duration is None


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        _inputs(tmp_path / "nope.json")


def test_config_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        _inputs(tmp_path)


def test_missing_ephemeris(kit: SimpleNamespace, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FILE_EPHEM"):
        _inputs(kit.DATA / kit.CONFIG, tmp_path / "juice.csv")


@pytest.mark.parametrize("value", [None, 12, ""])
def test_config_must_be_a_path(value: Any) -> None:
    with pytest.raises(ConfigError):
        _inputs(value)


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "SIMU": {,}\n}\n')
    with pytest.raises(ConfigError, match=r"not valid JSON: .* line 2, column"):
        _inputs(bad)


@pytest.mark.parametrize("document", ["[]", "42", '"text"', "null"])
def test_json_not_an_object(tmp_path: Path, document: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(document)
    with pytest.raises(ConfigError, match="not an object"):
        _inputs(path)


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b'{"SIMU": "\xff\xfe"}')
    with pytest.raises(ConfigError, match="not UTF-8"):
        _inputs(path)


def test_utf8_bom_and_non_latin1_text_are_fine(tmp_path: Path, kit: SimpleNamespace) -> None:
    document = json.loads((kit.DATA / kit.CONFIG).read_text())
    document["SIMU"]["NAME"] = "Io ✓ — Jupiter αβγ"
    path = tmp_path / "c.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document, ensure_ascii=False).encode())
    assert _inputs(path).warnings == ()


# -- sanity warnings ---------------------------------------------------------------------


def test_missing_sections_warn(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"SIMU": {}, "TIME": {}}))
    (warning,) = _inputs(path).warnings
    assert "NUMBER" in warning
    assert "SOURCE" in warning
    assert "SIMU" not in warning.split("has no")[1]


def test_ephemeris_named_but_not_given(kit: SimpleNamespace) -> None:
    (warning,) = _inputs(kit.DATA / kit.CONFIG_A).warnings
    assert "'@wgc'" in warning
    assert "FILE_EPHEM" in warning


def test_ephemeris_name_differs_from_upload(kit: SimpleNamespace) -> None:
    (warning,) = _inputs(kit.DATA / kit.CONFIG_A, kit.DATA / kit.EPHEM).warnings
    assert "'@wgc'" in warning
    assert kit.EPHEM in warning


def test_ephemeris_name_matches_upload_basename(kit: SimpleNamespace, tmp_path: Path) -> None:
    document = json.loads((kit.DATA / kit.CONFIG).read_text())
    document["OBSERVER"]["EPHEM"] = kit.EPHEM
    path = tmp_path / "c.json"
    path.write_text(json.dumps(document))
    sub = tmp_path / "ephemerides"
    sub.mkdir()
    shutil.copy(kit.DATA / kit.EPHEM, sub / kit.EPHEM)
    checked = _inputs(path, sub / kit.EPHEM)
    assert checked.warnings == ()
    assert checked.ephemeris == (sub / kit.EPHEM).resolve()


def test_ephemeris_given_but_unused(kit: SimpleNamespace) -> None:
    (warning,) = _inputs(kit.DATA / kit.CONFIG, kit.DATA / kit.EPHEM).warnings
    assert "OBSERVER.EPHEM is empty" in warning


# -- executionDuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(600, 600), ("600", 600), (" 60 ", 60), (1, 1), (None, None)]
)
def test_execution_duration_accepted(value: Any, expected: Any) -> None:
    assert check_execution_duration(value, max_duration=600, authenticated=False) == expected


@pytest.mark.parametrize(
    "value", [0, -5, "0", "-5", "ten", "6e2", "600.0", 600.0, 1.5, True, [600], "", "٦٠٠"]
)
def test_execution_duration_refused(value: Any) -> None:
    with pytest.raises(ConfigError, match="executionDuration"):
        check_execution_duration(value, max_duration=600, authenticated=False)


def test_execution_duration_limits() -> None:
    with pytest.raises(ConfigError, match="600 s limit for guests"):
        check_execution_duration(601, max_duration=600, authenticated=False)
    assert check_execution_duration(10_800, max_duration=10_800, authenticated=True) == 10_800
    with pytest.raises(ConfigError, match="10800 s limit for authenticated"):
        check_execution_duration("10801", max_duration=10_800, authenticated=True)


def test_run_id() -> None:
    assert check_run_id(None) == DEFAULT_RUN_ID == "test_job"
    assert check_run_id("Io 2015") == "Io 2015"
    for bad in ("", "  ", "a\nb", 5):
        with pytest.raises(ConfigError):
            check_run_id(bad)  # type: ignore[arg-type]


# -- nothing is sent when a check fails --------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"FILE": "missing.json"},
        {"FILE": "bad.json"},
        {"FILE": "list.json"},
        {"FILE_EPHEM": "missing.txt"},
        {"executionDuration": 601},
        {"executionDuration": "10 minutes"},
        {"executionDuration": 10_801, "LOGIN": "jdoe", "TOKEN": "t", "Job_List": "ExPRES"},
        {"LOGIN": "jdoe"},
        {"TOKEN": "t"},
        {"runID": ""},
        {"overwrite": "sometimes"},
        {"timeout": -1},
        {"output_dir": "example.json"},
    ],
)
def test_local_mistakes_raise_before_any_request(
    workdir: Path, rsps: responses.RequestsMock, kwargs: Any
) -> None:
    (workdir / "bad.json").write_text("{")
    (workdir / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError):  # every local mistake is an InvalidRequest (a ValueError)
        uws_call_expres(**kwargs)
    assert len(rsps.calls) == 0
