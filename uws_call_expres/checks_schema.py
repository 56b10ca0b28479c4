"""Schema part of :func:`uws_call_expres.checks.check_config`: the bundled ExPRES schema
v1.0.3, relaxed where current ExPRES (1.4.3) accepts more, and its errors as problems.

The facts behind every relaxation are in the project's reference notes on ExPRES configs
(§2 enumerations, §3 "where schema v1.0.3 is stricter than current ExPRES"). The schema file is
shipped unchanged (``uws_call_expres/data/expres-v1.0.3.schema.json``, source in the README
next to it); :func:`relaxed_schema` patches a deep copy in memory. Every object of the copy is
also closed (``additionalProperties: false``) so that unknown keys, typos included, come back
from the validator; they are reported as warnings, since ExPRES ignores keys it does not read.

The validator is :mod:`uws_call_expres.checks_validate` (the draft 7 keywords the schema uses).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Dict, Iterable, Iterator, List

from .checks_base import Problem, closest, did_you_mean, format_path
from .checks_validate import SchemaError, check_schema, iter_errors

__all__ = [
    "SCHEMA_FILE",
    "relaxed_schema",
    "schema_problems",
]

SCHEMA_FILE = "expres-v1.0.3.schema.json"
# Keys current ExPRES reads that schema v1.0.3 does not list (they pass the original schema,
# which is open; the relaxed copy is closed, so they are declared here).
_EXTRA_KEYS = {
    "": {"$schema": {"type": "string"}},  # never read by ExPRES
    "SIMU": {"DOI": {"type": "string"}},  # 1.4.1, upper-case key
    "BODY": {"MAG_FOLDER": {"type": "string"}},  # with MAG "auto" (1.4.0)
    "SOURCE": {"MODE": {"type": "string"}, "LAG_MODEL": {"type": "string"}},  # 1.3, 1.2
}
_DENS_TYPES = ["Ionospheric", "Torus", "Stellar", "Disk", "auto"]
_LONGITUDE_WORDS = ["auto", "auto+3", "auto-3"]  # "auto±3": the legacy Hess2011 lead angle


@lru_cache(maxsize=1)
def _bundled_text() -> str:
    return (resources.files("uws_call_expres") / "data" / SCHEMA_FILE).read_text("utf-8")


def _bundled_schema() -> Dict[str, Any]:
    """A fresh copy of schema v1.0.3 as shipped (parsing the text again is several times
    faster than ``copy.deepcopy``)."""
    schema: Dict[str, Any] = json.loads(_bundled_text())
    return schema


def relaxed_schema() -> Dict[str, Any]:
    """A deep copy of schema v1.0.3 patched to what ExPRES 1.4.3 accepts, objects closed.

    - ``SIMU.NAME``/``OUT`` optional (1.1.0; ``SIMU`` itself stays required);
      ``TIME.MIN``/``MAX`` and ``MOVIE2D.RANGE`` any number (read as floats);
    - ``FREQUENCY.SC`` a string or a list of frequencies (MHz, 1.1.0);
    - ``OBSERVER.PARENT`` any string (checked against the BODY names by the rules);
      ``OBSERVER.SC`` any string (the rules warn about names no position lookup knows);
      ``OBSERVER.SCTIME`` 12 or 14 digits;
    - ``SPDYN.CDF.SRCPOS`` optional (ExPRES only warns; the rules do too);
    - ``BODY.MAG``, ``SOURCE.TYPE``, ``SOURCE.CURRENT``: any string (the rules warn outside
      the values the code knows); ``DENS.TYPE`` also ``Stellar``, ``Disk``, ``auto``;
      ``SOURCE.REFRACTION`` any boolean; ``SOURCE.LAT``/``SUB`` any number;
      ``LG_MIN``/``LG_MAX`` also ``"auto+3"``/``"auto-3"``;
    - the extra keys ``$schema``, ``SIMU.DOI``, ``BODY.MAG_FOLDER``, ``SOURCE.MODE`` and
      ``SOURCE.LAG_MODEL`` declared; every object closed against unknown keys.
    """
    schema = _bundled_schema()
    top = schema["properties"]
    simu = top["SIMU"]
    simu["required"] = []
    for key in ("MIN", "MAX"):
        top["TIME"]["properties"][key]["type"] = "number"
    top["MOVIE2D"]["properties"]["RANGE"]["type"] = "number"
    top["FREQUENCY"]["properties"]["SC"] = {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "number"}}]
    }
    observer = top["OBSERVER"]["properties"]
    del observer["PARENT"]["enum"]
    del observer["SC"]["enum"]
    observer["SCTIME"]["anyOf"][0]["pattern"] = "^([0-9]{12}|[0-9]{14})$"
    top["SPDYN"]["properties"]["CDF"]["required"].remove("SRCPOS")
    body = top["BODY"]["items"]
    del body["properties"]["MAG"]["enum"]
    body["properties"]["DENS"]["items"]["properties"]["TYPE"]["enum"] = list(_DENS_TYPES)
    source = top["SOURCE"]["items"]["properties"]
    for key in ("TYPE", "CURRENT", "REFRACTION"):
        del source[key]["enum"]
    for key in ("LAT", "SUB"):
        source[key]["type"] = "number"
    for key in ("LG_MIN", "LG_MAX"):
        source[key]["anyOf"][0]["enum"] = list(_LONGITUDE_WORDS)
    for section, extras in _EXTRA_KEYS.items():
        target = schema if not section else top[section]
        target = target.get("items", target)
        target["properties"].update(copy.deepcopy(extras))
    for node in _object_schemas(schema):
        node["additionalProperties"] = False
    return schema


def _object_schemas(node: Any) -> Iterator[Dict[str, Any]]:
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from _object_schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _object_schemas(value)


def schema_problems(document: Dict[str, Any]) -> List[Problem]:
    """The relaxed schema's complaints about ``document``, as problems in file order.

    Unknown keys are warnings (with a "did you mean" hint); everything else is an error.
    """
    problems: List[Problem] = []
    errors = iter_errors(_checked_schema(), document)
    for error in sorted(errors, key=lambda e: _document_order(document, e.path)):
        problems.extend(_as_problems(error))
    return problems


@lru_cache(maxsize=1)
def _checked_schema() -> Dict[str, Any]:
    schema = relaxed_schema()
    check_schema(schema)
    return schema


def _document_order(document: Any, path: Iterable[Any]) -> List[int]:
    """The position of each step of ``path`` in its container: sorts problems as the file."""
    order: List[int] = []
    node = document
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            order.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            order.append(part)
            node = node[part] if 0 <= part < len(node) else None
        else:
            order.append(0)
    return order


def _as_problems(error: SchemaError) -> Iterator[Problem]:
    where = list(error.path)
    path = format_path(where)
    schema = error.schema
    kind = error.keyword
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        for key in error.detail:
            yield Problem(
                format_path([*where, key]),
                "warning",
                "unknown key: ExPRES does not read it",
                did_you_mean(str(key), known),
            )
    elif kind == "required":
        missing = str(error.detail)
        near = closest(missing, list(error.instance))
        hint = f"the config has {near!r}" if near else None
        yield Problem(format_path([*where, missing]), "error", "required key is missing", hint)
    elif kind == "type":
        yield _type_problem(path, error.instance, schema.get("type"))
    elif kind == "enum":
        options = [str(v) for v in schema.get("enum", [])]
        yield Problem(
            path,
            "error",
            f"{_show(error.instance)} is not one of {', '.join(map(_show, schema['enum']))}",
            did_you_mean(str(error.instance), options) if isinstance(error.instance, str) else None,
        )
    elif kind == "anyOf":
        yield _any_of_problem(path, error.instance, schema.get("anyOf", []))
    elif kind in ("minItems", "maxItems"):
        size = len(error.instance)
        low, high = schema.get("minItems"), schema.get("maxItems")
        wanted = f"exactly {low}" if low == high else f"{kind[:3]}imum {error.detail}"
        yield Problem(path, "error", f"must have {wanted} items, has {size}")
    else:  # pattern
        yield Problem(path, "error", f"{_show(error.instance)} does not match {error.detail!r}")


def _type_problem(path: str, value: Any, expected: Any) -> Problem:
    names = [expected] if isinstance(expected, str) else list(expected or [])
    wanted = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
    hint = None
    if isinstance(value, str) and ("number" in names or "integer" in names):
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            hint = f"write the number without quotes: {value.strip()}"
            if "integer" in names and not number.is_integer():
                hint = None
    elif "integer" in names and isinstance(value, float):
        wanted = "a whole number (integer)"
    elif "boolean" in names and isinstance(value, str) and value.lower() in ("true", "false"):
        hint = f"write {value.lower()} without quotes"
    return Problem(path, "error", f"must be {wanted}, not {_kind(value)} {_show(value)}", hint)


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def _any_of_problem(path: str, value: Any, options: Iterable[Any]) -> Problem:
    words: List[str] = []
    names: List[str] = []
    for option in options:
        if not isinstance(option, dict):
            continue
        if "enum" in option:
            names.extend(str(v) for v in option["enum"])
            words.extend(_show(v) for v in option["enum"])
        elif "pattern" in option:
            words.append(f"a string matching {option['pattern']}")
        elif option.get("type") == "array":
            item = option.get("items", {}).get("type", "value")
            words.append(f"a list of {item}s")
        else:
            words.append(_TYPE_WORDS.get(str(option.get("type")), str(option.get("type"))))
    hint = did_you_mean(value, names) if isinstance(value, str) else None
    if hint is None and path.endswith("SCTIME"):
        hint = "YYYYMMDDhhmm or YYYYMMDDhhmmss"
    elif hint is None and isinstance(value, str) and "a number" in words:
        try:
            float(value.strip())
            hint = f"write the number without quotes: {value.strip()}"
        except ValueError:
            pass
    return Problem(path, "error", f"must be {' or '.join(words)}, not {_show(value)}", hint)


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "the value"
    return {str: "the string", int: "the integer", float: "the number"}.get(
        type(value), f"a {'list' if isinstance(value, list) else 'object'}"
    )


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
