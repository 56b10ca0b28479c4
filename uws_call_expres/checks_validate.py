"""A JSON Schema (draft 7) validator for exactly the keywords the bundled ExPRES schema uses.

The bundled schema (``data/expres-v1.0.3.schema.json``, relaxed in
:mod:`uws_call_expres.checks_schema`) uses ``type``, ``enum``, ``required``, ``properties``,
``additionalProperties: false``, ``items`` (one schema), ``minItems``, ``maxItems``, ``anyOf``
and ``pattern``; ``description``, ``title``, ``$schema``, ``$id`` and ``definitions`` are
annotations. Every run checks its config, and the general-purpose ``jsonschema`` package (with
``referencing``, ``attrs``, ``rpds`` and its meta-schemas) cost about 40 ms of start-up for it,
a third of a ``--no-wait`` submission's own time. This validator follows draft 7's rules for
those keywords (an integer is also a float with no fractional part; ``true`` is neither 1 nor
an integer; ``enum`` compares as JSON values) and yields its errors in the order ``jsonschema``
does (schema order, depth first); ``tests/expres/test_checks_validate.py`` compares the two on
many configs. A keyword it does not know raises :class:`ValueError` when the schema is
checked, so a schema change cannot be silently half-checked.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Tuple

__all__ = ["SchemaError", "check_schema", "iter_errors"]

_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "definitions"})
_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "anyOf",
        "pattern",
    }
)

Path = Tuple[Any, ...]


class SchemaError(NamedTuple):
    """One way ``instance`` (at ``path`` in the document) fails ``keyword`` of ``schema``
    (a NamedTuple: a frozen dataclass costs a millisecond of every run's start-up)."""

    path: Path
    """Keys and list indices from the document's root to the value."""
    keyword: str
    """The failing keyword: ``"type"``, ``"required"``, ``"anyOf"``..."""
    schema: Mapping[str, Any]
    """The schema node holding the keyword."""
    instance: Any
    """The value that fails (for ``required``: the object missing the key)."""
    detail: Any = None
    """For ``required``: the missing key; for ``additionalProperties``: the unknown keys."""


def check_schema(schema: Any) -> None:
    """Raise ValueError if ``schema`` uses a keyword this validator does not implement."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in _KEYWORDS and key not in _ANNOTATIONS:
                raise ValueError(f"unsupported JSON Schema keyword {key!r}")
            if key == "properties":
                for child in value.values():
                    check_schema(child)
            elif key == "anyOf":
                for child in value:
                    check_schema(child)
            elif key == "items":
                check_schema(value)
            elif key == "additionalProperties" and value is not False:
                raise ValueError("additionalProperties must be false here")
    elif not isinstance(schema, bool):
        raise ValueError(f"a schema must be an object, not {type(schema).__name__}")


def iter_errors(schema: Mapping[str, Any], instance: Any, path: Path = ()) -> Iterator[SchemaError]:
    """Every error of ``instance`` against ``schema``, in jsonschema's order."""
    for keyword, value in schema.items():
        check = _CHECKS.get(keyword)
        if check is not None:
            yield from check(schema, value, instance, path)


def _is_valid(schema: Mapping[str, Any], instance: Any) -> bool:
    return next(iter_errors(schema, instance), None) is None


def _has_type(instance: Any, name: str) -> bool:
    if name == "integer":
        if isinstance(instance, bool):
            return False
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    kinds: Dict[str, Any] = {
        "string": str,
        "boolean": bool,
        "array": list,
        "object": dict,
        "null": type(None),
    }
    return isinstance(instance, kinds[name])


def _equal(one: Any, other: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(one, bool) or isinstance(other, bool):
        return isinstance(one, bool) and isinstance(other, bool) and one == other
    if isinstance(one, (int, float)) and isinstance(other, (int, float)):
        return one == other
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(map(_equal, one, other))
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(_equal(one[k], other[k]) for k in one)
    return type(one) is type(other) and bool(one == other)


_Check = Callable[[Mapping[str, Any], Any, Any, Path], Iterator[SchemaError]]


def _type(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    names: List[str] = [value] if isinstance(value, str) else list(value)
    if not any(_has_type(instance, name) for name in names):
        yield SchemaError(path, "type", schema, instance)


def _enum(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if not any(_equal(option, instance) for option in value):
        yield SchemaError(path, "enum", schema, instance)


def _required(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield SchemaError(path, "required", schema, instance, key)


def _properties(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, dict):
        for key, child in value.items():
            if key in instance:
                yield from iter_errors(child, instance[key], (*path, key))


def _additional(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if value is False and isinstance(instance, dict):
        known = schema.get("properties", {})
        extra = [key for key in instance if key not in known]
        if extra:
            yield SchemaError(path, "additionalProperties", schema, instance, extra)


def _items(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from iter_errors(value, item, (*path, index))


def _min_items(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, list) and len(instance) < value:
        yield SchemaError(path, "minItems", schema, instance, value)


def _max_items(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, list) and len(instance) > value:
        yield SchemaError(path, "maxItems", schema, instance, value)


def _any_of(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if not any(_is_valid(option, instance) for option in value):
        yield SchemaError(path, "anyOf", schema, instance)


def _pattern(
    schema: Mapping[str, Any], value: Any, instance: Any, path: Path
) -> Iterator[SchemaError]:
    if isinstance(instance, str) and re.search(value, instance) is None:
        yield SchemaError(path, "pattern", schema, instance, value)


_CHECKS: Dict[str, _Check] = {
    "type": _type,
    "enum": _enum,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "anyOf": _any_of,
    "pattern": _pattern,
}
