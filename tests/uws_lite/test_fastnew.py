"""uws_lite._fastnew: frozen dataclass models built without their __init__ (for speed)."""

from __future__ import annotations

import dataclasses

import pytest

from uws_lite._fastnew import fast_new, fast_new_all


def test_fast_new_works_for_any_dataclass_whatever_its_name() -> None:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0

    make = fast_new(Point, "x", "y")
    assert make is not Point
    point = make(x=1, y=2)
    assert point == Point(1, 2)
    assert hash(point) == hash(Point(1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]


def test_fast_new_falls_back_to_the_constructor_when_unsure() -> None:
    @dataclasses.dataclass(frozen=True)
    class Result:  # the name of a model, other fields: the name decides nothing
        id: str
        extra: int = 0

    assert fast_new(Result, "id") is Result  # a field the caller does not pass

    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            pass

    assert fast_new(Checked, "x") is Checked

    @dataclasses.dataclass(frozen=True)
    class Derived:
        x: int
        y: int = dataclasses.field(init=False, default=0)

    assert fast_new(Derived, "x", "y") is Derived


def test_fast_new_all_builds_ordinary_frozen_objects_or_falls_back() -> None:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0

    make_all = fast_new_all(Point, "x", "y")
    assert make_all.__name__ == "make_all"
    points = make_all([{"x": 1, "y": 2}, {"x": 3, "y": 4}])
    assert points == [Point(1, 2), Point(3, 4)]
    assert [type(p) for p in points] == [Point, Point]
    assert hash(points[0]) == hash(Point(1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        points[0].x = 3  # type: ignore[misc]

    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("negative")

    checked_all = fast_new_all(Checked, "x")
    assert checked_all([{"x": 1}]) == [Checked(1)]
    with pytest.raises(ValueError, match="negative"):  # the real constructor ran
        checked_all([{"x": -1}])
