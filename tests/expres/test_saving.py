"""Local names for results and the overwrite policy (uws_call_expres.saving): no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from uws_call_expres.errors import OutputError
from uws_call_expres.saving import check_output_dir, check_overwrite, plan_destinations
from uws_lite.errors import InvalidRequest
from uws_lite.models import Result


def _results(*ids: str) -> tuple[Result, ...]:
    return tuple(Result(rid, f"https://h/store?ID={n}") for n, rid in enumerate(ids))


def _names(planned: tuple[tuple[Result, Path], ...]) -> list[str]:
    return [dest.name for _, dest in planned]


@pytest.mark.parametrize(
    "hostile", ["../x", "/etc/passwd", "..", ".", "", "a/../../b", "C:\\Windows\\x", "\x1b[2Jx"]
)
def test_hostile_ids_become_one_component_inside_the_directory(
    tmp_path: Path, hostile: str
) -> None:
    ((_, dest),) = plan_destinations(_results(hostile), tmp_path)
    assert dest.parent == tmp_path
    assert dest.name not in ("", ".", "..")
    assert "/" not in dest.name
    assert "\\" not in dest.name
    assert "\x1b" not in dest.name
    assert dest.resolve().parent == tmp_path.resolve()


def test_duplicates_are_made_unique_case_insensitively(tmp_path: Path) -> None:
    names = _names(plan_destinations(_results("a.cdf", "A.cdf", "a.cdf", "stdout"), tmp_path))
    assert names[0] == "a.cdf"
    assert len({n.casefold() for n in names}) == 4


def test_inputs_in_the_output_dir_are_protected_in_every_policy(tmp_path: Path) -> None:
    config = tmp_path / "example.json"
    config.write_text("{}")
    for policy in ("rename", "always", "never"):
        (name,) = _names(
            plan_destinations(
                _results("example.json"), tmp_path, protected=[config], overwrite=policy
            )
        )
        assert name != "example.json"
        assert name.casefold() != "example.json"


def test_inputs_elsewhere_do_not_rename(tmp_path: Path) -> None:
    config = tmp_path / "configs" / "example.json"
    out = tmp_path / "out"
    (name,) = _names(plan_destinations(_results("example.json"), out, protected=[config]))
    assert name == "example.json"


def test_rename_keeps_existing_files(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    (tmp_path / "STDERR").write_text("old")
    names = _names(plan_destinations(_results("stdout", "stderr"), tmp_path))
    assert "stdout" not in names
    assert "stderr" not in names


def test_always_reuses_existing_names(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    assert _names(plan_destinations(_results("stdout"), tmp_path, overwrite="always")) == ["stdout"]


def test_never_refuses_a_clash_and_names_it(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    with pytest.raises(OutputError, match="stdout"):
        plan_destinations(_results("x.cdf", "stdout"), tmp_path, overwrite="never")
    planned = plan_destinations(_results("x.cdf"), tmp_path, overwrite="never")
    assert _names(planned) == ["x.cdf"]


def test_missing_output_dir_is_fine_for_planning(tmp_path: Path) -> None:
    assert _names(plan_destinations(_results("a"), tmp_path / "new")) == ["a"]


def test_overwrite_policy_values() -> None:
    for policy in ("rename", "always", "never"):
        assert check_overwrite(policy) == policy
    with pytest.raises(InvalidRequest):
        check_overwrite("yes")


def test_output_dir_checks(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(OutputError, match="not a directory"):
        check_output_dir(tmp_path / "file" / "sub")
