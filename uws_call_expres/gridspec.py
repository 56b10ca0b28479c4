"""The definition of a parameter grid, checked locally: paths, values, points, names.

Pure functions, no I/O: :mod:`uws_call_expres.grid` runs what is defined here.

- A *path* names one value of the config: dotted keys and ``[i]`` list indices, e.g.
  ``SOURCE[0].ACCEL`` or ``OBSERVER.SCTIME``. It must exist in the base config and name a
  value (not a section or a list).
- An *axis* is a path and its values. From the command line (``PATH=VALUES``), VALUES is a
  comma-separated list of JSON scalars (``1``, ``2.5``, ``true``, ``"a,b"``; a bare word is a
  string) or a range ``start:stop:step`` (see :func:`parse_range`).
- The grid is the cartesian product of the axes, in the order given, the last varying fastest.
- A *point* is identified by the hash of its whole config (:func:`config_hash`), so that the
  same config is recognised on every run, whatever the folder or axis order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from uws_lite.naming import safe_filename

from .errors import ConfigError
from .flags import Flag

__all__ = [
    "MAX_POINTS",
    "AxesArg",
    "PathPart",
    "Scalar",
    "Axis",
    "GridPointSpec",
    "as_axes",
    "check_axes",
    "config_digest",
    "config_hash",
    "expand_grid",
    "format_value",
    "parse_axis",
    "parse_path",
    "parse_range",
    "parse_values",
    "point_folder",
]

Scalar = Union[str, int, float, bool, None]
PathPart = Union[str, int]
# More points than this is almost certainly a typo in a range (and hundreds of jobs).
MAX_POINTS = 1000
_SEGMENT_RE = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
_INDEX_RE = re.compile(r"\[(\d+)\]")
_LABEL_MAX = 80


@dataclass(frozen=True)
class Axis:
    """One axis of a grid: the config path (as written) and its values, in order."""

    path: str
    values: Tuple[Scalar, ...]


# Axes as the API takes them: {path: values}, or Axis items.
AxesArg = Union[Mapping[str, Sequence[Scalar]], Sequence[Axis]]


@dataclass(frozen=True)
class GridPointSpec:
    """One point of a grid: its overrides (path, value) in axis order, the generated config,
    its hash (:func:`config_hash`) and its folder name (:func:`point_folder`)."""

    index: int
    overrides: Tuple[Tuple[str, Scalar], ...]
    config: Dict[str, Any]
    hash: str
    folder: str


def as_axes(axes: AxesArg) -> List[Axis]:
    """``{path: values}`` (or :class:`Axis` items) as a list of axes; :class:`ConfigError`
    when values are not a list."""
    items = list(axes.items()) if isinstance(axes, Mapping) else [(a.path, a.values) for a in axes]
    result: List[Axis] = []
    for path, values in items:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise ConfigError(f"Grid path {path!r}: give its values as a list, not {values!r}.")
        result.append(Axis(path, tuple(values)))
    return result


def parse_path(path: str) -> Tuple[PathPart, ...]:
    """``"SOURCE[0].ACCEL"`` -> ``("SOURCE", 0, "ACCEL")``; ConfigError if malformed."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"A grid path must be a non-empty string, not {path!r}.")
    parts: List[PathPart] = []
    for segment in path.split("."):
        match = _SEGMENT_RE.fullmatch(segment)
        if match is None:
            raise ConfigError(
                f"Grid path {path!r}: {segment!r} is not a key with optional [index] "
                "(write e.g. SOURCE[0].ACCEL or OBSERVER.SCTIME)."
            )
        parts.append(match.group(1))
        parts.extend(int(i) for i in _INDEX_RE.findall(match.group(2)))
    return tuple(parts)


def _lookup(config: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in ``config``; ConfigError naming the path if it is not there."""
    node: Any = config
    walked = ""
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = f"a list of {len(node)}" if isinstance(node, list) else "not a list"
                raise ConfigError(
                    f"Grid path {path!r} is not in the base config: {walked or 'the config'} "
                    f"is {size}, so it has no [{part}]."
                )
            node = node[part]
            walked += f"[{part}]"
        else:
            if not isinstance(node, dict) or part not in node:
                keys = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
                raise ConfigError(
                    f"Grid path {path!r} is not in the base config: {walked or 'the config'} "
                    f"has no key {part!r} (keys: {keys})."
                )
            node = node[part]
            walked += f".{part}" if walked else part
    return node


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def check_axes(base: Mapping[str, Any], axes: Sequence[Axis]) -> None:
    """Every path exists in ``base`` and names a scalar; every value has the base value's
    kind (number, string, boolean; anything may replace null); no path twice."""
    seen: Dict[Tuple[PathPart, ...], str] = {}
    for axis in axes:
        key = parse_path(axis.path)
        if key in seen:
            raise ConfigError(f"Grid path {axis.path!r} is given twice (as {seen[key]!r}).")
        seen[key] = axis.path
        if not axis.values:
            raise ConfigError(f"Grid path {axis.path!r} has no values.")
        shown = [json.dumps(value) for value in axis.values]
        repeated = sorted({text for text in shown if shown.count(text) > 1})
        if repeated:
            raise ConfigError(
                f"Grid path {axis.path!r} has the value {', '.join(repeated)} more than once: "
                "each point would be run twice."
            )
        current = _lookup(base, axis.path)
        kind = _kind(current)
        if kind in ("list", "object"):
            raise ConfigError(
                f"Grid path {axis.path!r} names a{'n' if kind == 'object' else ''} {kind} in "
                "the base config, not a value: give the path of one of its values."
            )
        for value in axis.values:
            got = _kind(value)
            if got in ("list", "object"):
                raise ConfigError(f"Grid path {axis.path!r}: {value!r} is not a scalar value.")
            if kind != "null" and got != kind:
                hint = " (on the command line, quote it: '\"1\"')" if kind == "string" else ""
                raise ConfigError(
                    f"Grid path {axis.path!r} is a {kind} in the base config "
                    f"({json.dumps(current)}), but {json.dumps(value)} is a {got}: give "
                    f"{kind} values{hint}."
                )


def _set(config: Dict[str, Any], path: str, value: Scalar) -> None:
    parts = parse_path(path)
    node: Any = config
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def expand_grid(base: Mapping[str, Any], axes: Sequence[Axis]) -> Tuple[GridPointSpec, ...]:
    """Check the axes against ``base`` and return every point of the cartesian product,
    axes in the given order, the last varying fastest. Raises ConfigError before anything
    is sent (a bad path or value, or more than :data:`MAX_POINTS` points)."""
    if not axes:
        raise ConfigError(f"A grid needs at least one axis ({Flag.SET} PATH=VALUES).")
    check_axes(base, axes)
    total = math.prod(len(axis.values) for axis in axes)
    if total > MAX_POINTS:
        raise ConfigError(
            f"The grid has {total} points, more than {MAX_POINTS}: split it, or check the ranges."
        )
    points: List[GridPointSpec] = []
    for index, combination in enumerate(itertools.product(*(axis.values for axis in axes))):
        config = json.loads(json.dumps(base))  # a deep copy that is plain JSON
        overrides = tuple(zip((axis.path for axis in axes), combination))
        for path, value in overrides:
            _set(config, path, value)
        digest = config_hash(config)
        points.append(
            GridPointSpec(index, overrides, config, digest, point_folder(overrides, digest))
        )
    return tuple(points)


def config_digest(config: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the canonical JSON of ``config`` (sorted keys, no spaces): the
    same config always has the same digest."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_hash(config: Mapping[str, Any]) -> str:
    """The first 12 hex digits of :func:`config_digest`: a point's short identity."""
    return config_digest(config)[:12]


def format_value(value: Scalar) -> str:
    """A value as shown in folder names and tables: strings as they are, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def point_folder(overrides: Sequence[Tuple[str, Scalar]], digest: str) -> str:
    """A findable, safe folder name: ``ACCEL=3_WIDTH=1-<hash8>`` (last key of each path)."""
    label = "_".join(f"{_last_key(path)}={format_value(value)}" for path, value in overrides)
    if len(label) > _LABEL_MAX:
        label = label[:_LABEL_MAX]
    return safe_filename(f"{label}-{digest[:8]}", fallback=f"point-{digest[:8]}")


def _last_key(path: str) -> str:
    """The last key of ``path`` with the indices after it (``SOURCE[0].ACCEL`` -> ``ACCEL``)."""
    parts = parse_path(path)
    last = max(i for i, part in enumerate(parts) if isinstance(part, str))
    return str(parts[last]) + "".join(f"[{i}]" for i in parts[last + 1 :])


# -- the command line's PATH=VALUES ---------------------------------------------------------


def parse_axis(text: str) -> Axis:
    """``"SOURCE[0].ACCEL=1,3,10"`` or ``"OBSERVER.SCTIME=0:10:2"`` -> an :class:`Axis`."""
    path, sep, values = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ConfigError(f"{Flag.SET} {text!r}: write PATH=VALUES, e.g. 'SOURCE[0].ACCEL=1,3,10'.")
    parse_path(path)
    return Axis(path, parse_values(values, what=f"{Flag.SET} {path}"))


def parse_values(text: str, *, what: str = "values") -> Tuple[Scalar, ...]:
    """A range ``start:stop:step`` (numbers), else comma-separated JSON scalars; a bare word
    is a string, and a comma inside double quotes does not split."""
    stripped = text.strip()
    if not stripped:
        raise ConfigError(f"{what}: no values given.")
    if not stripped.startswith('"') and stripped.count(":") == 2:
        parsed = parse_range(stripped, what=what)
        if parsed is not None:
            return parsed
    return tuple(_scalar(item.strip(), what) for item in _split_commas(stripped, what))


def _split_commas(text: str, what: str) -> List[str]:
    items: List[str] = []
    current: List[str] = []
    quoted = escaped = False
    for char in text:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            current.append(char)
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise ConfigError(f"{what}: unterminated double quote in {text!r}.")
    items.append("".join(current))
    if any(not item.strip() for item in items):
        raise ConfigError(f"{what}: empty value in {text!r} (two commas, or a trailing comma).")
    return items


def _scalar(item: str, what: str) -> Scalar:
    try:
        value = json.loads(item)
    except RecursionError:
        raise ConfigError(
            f"{what}: a value is nested too deeply to be read; a grid value is a scalar "
            "(a number, string, true/false)."
        ) from None
    except ValueError:
        if item.startswith('"'):
            raise ConfigError(f"{what}: {item} is not a valid JSON string.") from None
        if item.startswith(("[", "{")):
            raise ConfigError(
                f"{what}: {item!r} looks like a list or object; a grid value is a scalar "
                "(a number, string, true/false): give the path of one element instead."
            ) from None
        return item  # a bare word: a string
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{what}: {item} is not a finite number.")
    if isinstance(value, (list, dict)):
        raise ConfigError(f"{what}: {item} is not a scalar (a number, string, true/false).")
    result: Scalar = value
    return result


def parse_range(text: str, *, what: str = "range") -> Optional[Tuple[Scalar, ...]]:
    """``start:stop:step`` -> the values from start by step up to stop, *including stop when
    a step lands on it exactly* (``1:3:1`` is 1, 2, 3; ``0:1:0.3`` is 0, 0.3, 0.6, 0.9).

    Computed in decimal (``0.1:0.3:0.1`` ends at exactly 0.3). Integers when all three are
    integers, else floats. A negative step counts down (start above stop). None when
    ``text`` is not three numbers (then it is a list of words); ConfigError for a step of
    0, an infinite or NaN bound, a step going away from stop, or over :data:`MAX_POINTS`."""
    pieces = text.split(":")
    if len(pieces) != 3:
        return None
    try:
        start, stop, step = (Decimal(p.strip()) for p in pieces)
    except InvalidOperation:
        return None
    if not all(d.is_finite() for d in (start, stop, step)):
        raise ConfigError(f"{what}: range {text!r} has an infinite or NaN bound or step.")
    if step == 0:
        raise ConfigError(f"{what}: range {text!r} has a step of 0.")
    if (stop - start) * step < 0:
        raise ConfigError(
            f"{what}: range {text!r} never reaches its stop (the step goes the other way)."
        )
    count = int((stop - start) / step) + 1
    if count > MAX_POINTS:
        raise ConfigError(f"{what}: range {text!r} has {count} values, more than {MAX_POINTS}.")
    integral = all(re.fullmatch(r"\s*[+-]?\d+\s*", p) for p in pieces)
    values = [start + k * step for k in range(count)]
    if integral:
        return tuple(int(v) for v in values)
    return tuple(float(v) for v in values)
