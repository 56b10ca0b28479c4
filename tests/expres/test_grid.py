"""Grids, locally: paths, values, ranges, product order, folder names, hashes, the manifest,
and every refusal that must come before any request (``rsps``: nothing registered, so any
request would fail the call with another error than the one asserted)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest
import responses

from uws_call_expres import GridOutcome, run_grid
from uws_call_expres.cli import main
from uws_call_expres.errors import ConfigError
from uws_call_expres.gridspec import (
    MAX_POINTS,
    Axis,
    config_hash,
    expand_grid,
    parse_axis,
    parse_path,
    parse_range,
    parse_values,
    point_folder,
)
from uws_call_expres.manifest import (
    MANIFEST_FORMAT,
    Manifest,
    files_verified,
    write_json_atomic,
)

BASE: Dict[str, Any] = {
    "SIMU": {"NAME": "demo"},
    "OBSERVER": {"SCTIME": "201504300000", "EPHEM": ""},
    "SOURCE": [{"ACCEL": 3, "WIDTH": 1, "NORTH": True}, {"ACCEL": 5, "WIDTH": 1.5}],
    "FREQ": [0.1, 0.2],
    "NOTE": None,
}


# -- paths -----------------------------------------------------------------------------------


def test_path_syntax() -> None:
    assert parse_path("SOURCE[0].ACCEL") == ("SOURCE", 0, "ACCEL")
    assert parse_path("OBSERVER.SCTIME") == ("OBSERVER", "SCTIME")
    assert parse_path("A[1][2].B") == ("A", 1, 2, "B")
    assert parse_path("FREQ[1]") == ("FREQ", 1)


@pytest.mark.parametrize("path", ["", "SOURCE..ACCEL", "SOURCE[x].ACCEL", "[0].A", "A[0", "A.]"])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ConfigError):
        parse_path(path)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("SOURCE[2].ACCEL", "SOURCE is a list of 2"),
        ("SOURCE[0].SPEED", "has no key 'SPEED'"),
        ("OBSERVER[0]", "not a list"),
        ("NOPE", "has no key 'NOPE'"),
    ],
)
def test_a_path_not_in_the_base_is_refused_by_name(path: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        expand_grid(BASE, [Axis(path, (1,))])
    assert repr(path) in str(caught.value)
    assert named in str(caught.value)


def test_a_path_naming_a_section_or_list_is_refused() -> None:
    for path in ("OBSERVER", "SOURCE", "FREQ"):
        with pytest.raises(ConfigError, match="not a value"):
            expand_grid(BASE, [Axis(path, (1,))])


def test_the_same_path_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="twice"):
        expand_grid(BASE, [Axis("SOURCE[0].ACCEL", (1,)), Axis("SOURCE[0].ACCEL", (2,))])


# -- values -------------------------------------------------------------------------------------


def test_values_are_json_scalars_and_bare_words_are_strings() -> None:
    assert parse_values("1,2.5,true,false,null") == (1, 2.5, True, False, None)
    assert parse_values('"a,b", word ,"3"') == ("a,b", "word", "3")
    assert parse_values("Io") == ("Io",)


@pytest.mark.parametrize("text", ["", "1,,2", "1,", '"open', "[1,2]", '{"a":1}', "NaN", "Infinity"])
def test_bad_value_lists_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_values(text)


def test_ranges_include_a_stop_landed_on_exactly() -> None:
    assert parse_range("1:3:1") == (1, 2, 3)
    assert parse_range("0:10:4") == (0, 4, 8)  # 10 is not landed on
    assert parse_range("0.1:0.3:0.1") == (0.1, 0.2, 0.3)  # decimal, not 0.30000000000000004
    assert parse_range("0:1:0.25") == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_range("5:1:-2") == (5, 3, 1)
    assert parse_range("2:2:1") == (2,)
    assert parse_values("1:3:1") == (1, 2, 3)
    assert parse_values("a:b:c") == ("a:b:c",)  # not numbers: a word


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1:3:0", "step of 0"),
        ("1:3:-1", "never reaches"),
        ("3:1:1", "never reaches"),
        ("0:inf:1", "infinite or NaN"),
        ("0:1:nan", "infinite or NaN"),
        (f"0:{MAX_POINTS}:1", "more than"),
        ("0:1:1e-9", "more than"),
    ],
)
def test_bad_ranges_are_refused(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_range(text)


def test_axis_from_the_command_line() -> None:
    assert parse_axis("SOURCE[0].ACCEL=1,3,10") == Axis("SOURCE[0].ACCEL", (1, 3, 10))
    assert parse_axis("OBSERVER.SCTIME=a=b") == Axis("OBSERVER.SCTIME", ("a=b",))
    for bad in ("SOURCE[0].ACCEL", "=1,2", "SOURCE[0].ACCEL="):
        with pytest.raises(ConfigError):
            parse_axis(bad)


@pytest.mark.parametrize(
    ("path", "value", "kinds"),
    [
        ("SOURCE[0].ACCEL", "fast", "is a number in the base config"),
        ("SOURCE[0].ACCEL", True, "is a number"),
        ("OBSERVER.SCTIME", 201504300000, "is a string"),
        ("SOURCE[0].NORTH", 1, "is a boolean"),
    ],
)
def test_a_value_of_another_type_than_the_base_is_refused(
    path: str, value: Any, kinds: str
) -> None:
    with pytest.raises(ConfigError, match=kinds):
        expand_grid(BASE, [Axis(path, (value,))])


def test_numbers_replace_numbers_and_anything_replaces_null() -> None:
    points = expand_grid(BASE, [Axis("SOURCE[0].ACCEL", (2.5,)), Axis("NOTE", ("x",))])
    assert points[0].config["SOURCE"][0]["ACCEL"] == 2.5
    assert points[0].config["NOTE"] == "x"


def test_a_value_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="more than once"):
        expand_grid(BASE, [Axis("SOURCE[0].ACCEL", (1, 3, 1))])
    # 1 and true, 1 and 1.0 are different JSON values, hence different configs
    assert len(expand_grid(BASE, [Axis("NOTE", (1, True, 1.0))])) == 3


def test_too_many_points_are_refused() -> None:
    axes = [Axis("SOURCE[0].ACCEL", tuple(range(100))), Axis("SOURCE[1].ACCEL", tuple(range(11)))]
    with pytest.raises(ConfigError, match="1100 points"):
        expand_grid(BASE, axes)


# -- points ---------------------------------------------------------------------------------------


def test_product_order_last_axis_fastest_and_base_untouched() -> None:
    before = json.dumps(BASE)
    points = expand_grid(
        BASE, [Axis("SOURCE[0].ACCEL", (1, 3, 10)), Axis("SOURCE[0].WIDTH", (1, 2))]
    )
    assert [p.overrides for p in points] == [
        (("SOURCE[0].ACCEL", a), ("SOURCE[0].WIDTH", w)) for a in (1, 3, 10) for w in (1, 2)
    ]
    assert [p.index for p in points] == list(range(6))
    assert [(p.config["SOURCE"][0]["ACCEL"], p.config["SOURCE"][0]["WIDTH"]) for p in points] == [
        (1, 1), (1, 2), (3, 1), (3, 2), (10, 1), (10, 2)
    ]  # fmt: skip
    assert all(p.config["SOURCE"][1] == BASE["SOURCE"][1] for p in points)
    assert json.dumps(BASE) == before
    assert len({p.hash for p in points}) == 6
    assert len({p.folder for p in points}) == 6


def test_hash_is_of_the_canonical_config() -> None:
    reordered = dict(reversed(list(BASE.items())))
    assert config_hash(reordered) == config_hash(BASE)
    assert len(config_hash(BASE)) == 12
    assert all(c in "0123456789abcdef" for c in config_hash(BASE))
    changed = json.loads(json.dumps(BASE))
    changed["SOURCE"][0]["ACCEL"] = 4
    assert config_hash(changed) != config_hash(BASE)


def test_hash_value_is_sha256_of_sorted_compact_json() -> None:
    import hashlib

    text = '{"a":1,"b":[1.5,"x"]}'
    assert config_hash({"b": [1.5, "x"], "a": 1}) == hashlib.sha256(text.encode()).hexdigest()[:12]


def test_folder_names_are_findable_and_safe() -> None:
    digest = "0123456789ab"
    assert point_folder([("SOURCE[0].ACCEL", 3), ("SOURCE[0].WIDTH", 1)], digest) == (
        "ACCEL=3_WIDTH=1-01234567"
    )
    assert point_folder([("FREQ[1]", 0.5)], digest) == "FREQ[1]=0.5-01234567"
    nasty = point_folder([("OBSERVER.SCTIME", "../../etc/passwd")], digest)
    assert "/" not in nasty
    assert "\\" not in nasty
    assert not nasty.startswith(".")
    assert nasty.endswith("-01234567")
    long = point_folder([("OBSERVER.SCTIME", "x" * 500)], digest)
    assert len(long) < 120
    assert long.endswith("-01234567")


# -- the manifest -----------------------------------------------------------------------------


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "manifest.json"
    write_json_atomic(path, {"version": 1})
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        write_json_atomic(path, {"version": 2})
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert json.loads(path.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temp file left


def test_atomic_write_replaces_through_a_temp_file_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: List[Any] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append((Path(src), Path(dst), json.loads(Path(src).read_text())))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_json_atomic(tmp_path / "m.json", {"a": 1})
    ((src, dst, content),) = seen
    assert src.parent == dst.parent == tmp_path
    assert dst.name == "m.json"
    assert src.name != "m.json"
    assert content == {"a": 1}


def _entries(count: int) -> List[Dict[str, Any]]:
    return [
        {
            "index": i,
            "parameters": {"X": i},
            "hash": f"{i:012x}",
            "run_id": f"grid-{i:012x}",
            "folder": f"X={i}-{i:08x}",
            "config": f"X={i}-{i:08x}/config.json",
            "job_id": None,
        }
        for i in range(count)
    ]


def test_manifest_updates_from_many_threads_all_land(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    manifest = Manifest.open(path, {"axes": [1]}, _entries(16))

    def work(i: int) -> None:
        for step in range(5):
            manifest.update(i, job_id=f"job{i}", phase=f"step{step}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    document = json.loads(path.read_text())
    assert document["format"] == MANIFEST_FORMAT
    assert [p["job_id"] for p in document["points"]] == [f"job{i}" for i in range(16)]
    assert {p["phase"] for p in document["points"]} == {"step4"}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_manifest_reopened_keeps_state_and_refuses_another_grid(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    Manifest.open(path, {"base": "a.json", "axes": [1]}, _entries(2)).update(1, job_id="abc123")
    again = Manifest.open(path, {"base": "moved/a.json", "axes": [1]}, _entries(2))
    assert again.point(1)["job_id"] == "abc123"
    with pytest.raises(ConfigError, match="belongs to another grid"):
        Manifest.open(path, {"base": "a.json", "axes": [1, 2]}, _entries(2))


def test_files_are_verified_by_size_and_sha1(tmp_path: Path) -> None:
    import hashlib

    (tmp_path / "r.cdf").write_bytes(b"CDF data")
    (tmp_path / "stdout").write_bytes(b"log")
    sha1 = hashlib.sha1(b"CDF data").hexdigest()  # noqa: S324 (OPUS's hash)
    good = [{"name": "r.cdf", "size": 8, "sha1": sha1}, {"name": "stdout", "size": 3, "sha1": None}]
    assert files_verified(tmp_path, good)
    assert not files_verified(tmp_path, [])
    assert not files_verified(tmp_path, [{"name": "r.cdf", "size": 9, "sha1": None}])
    assert not files_verified(tmp_path, [{"name": "r.cdf", "size": 8, "sha1": "0" * 40}])
    assert not files_verified(tmp_path, [{"name": "gone.cdf", "size": 1, "sha1": None}])
    assert not files_verified(tmp_path, [{"name": "../r.cdf", "size": 8, "sha1": None}])


# -- refusals before any request --------------------------------------------------------------


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.json"
    path.write_text(json.dumps(BASE))
    return path


@pytest.mark.parametrize(
    "axes",
    [
        {"SOURCE[9].ACCEL": [1]},
        {"SOURCE[0].ACCEL": ["fast"]},
        {"SOURCE[0].ACCEL": "1,2"},
        {},
    ],
)
def test_run_grid_refuses_before_any_request(
    base_file: Path, tmp_path: Path, rsps: responses.RequestsMock, axes: Any
) -> None:
    with pytest.raises(ConfigError):
        run_grid(base_file, axes, output_dir=tmp_path / "out", verbose=False)
    assert len(rsps.calls) == 0
    assert not (tmp_path / "out").exists()


def test_run_grid_with_a_dict_base_and_a_bad_duration_sends_nothing(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    with pytest.raises(ConfigError, match="executionDuration"):
        run_grid(
            BASE,
            {"SOURCE[0].ACCEL": [1, 2]},
            output_dir=tmp_path / "out",
            executionDuration=601,
            verbose=False,
        )
    assert len(rsps.calls) == 0
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--grid", "base.json"],  # no --set
        ["--set", "SOURCE[0].ACCEL=1"],  # no --grid
        ["--grid", "base.json", "--set", "SOURCE[9].ACCEL=1"],
        ["--grid", "base.json", "--set", "SOURCE[0].ACCEL=fast"],
        ["--grid", "base.json", "--set", "SOURCE[0].ACCEL=1:3:0"],
        ["--grid", "base.json", "--set", "SOURCE[0].ACCEL"],
        ["--grid", "base.json", "--set", "SOURCE[0].ACCEL=1", "--run-id", "x"],
        ["--grid", "base.json", "--set", "SOURCE[0].ACCEL=1", "base.json"],
        ["--grid", "missing.json", "--set", "SOURCE[0].ACCEL=1"],
        ["base.json", "--retry-failed"],
    ],
)
def test_grid_usage_errors_exit_2_without_request(
    base_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    rsps: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    argv: List[str],
) -> None:
    monkeypatch.chdir(base_file.parent)
    assert main([*argv, "-o", "out"]) == 2
    assert len(rsps.calls) == 0
    err = capsys.readouterr().err
    assert "error" in err
    assert "Traceback" not in err


def test_grid_outcome_is_exported() -> None:
    import uws_call_expres

    assert "run_grid" in uws_call_expres.__all__
    assert "GridOutcome" in uws_call_expres.__all__
    assert uws_call_expres.GridOutcome is GridOutcome
