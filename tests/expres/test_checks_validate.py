"""uws_call_expres.checks_validate, the built-in draft 7 validator, against jsonschema itself.

The same errors (path, keyword, and what is missing or unknown), in the same order, for the
real example config and thousands of mutations of it: every value replaced by values of every
JSON type, keys removed and added, lists shortened and lengthened. jsonschema is a test
dependency only (the ``test`` extra).
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from jsonschema import Draft7Validator

from uws_call_expres.checks_schema import _bundled_schema, relaxed_schema
from uws_call_expres.checks_validate import check_schema, iter_errors

DATA = Path(__file__).parent / "data"
CONFIGS = sorted(DATA.glob("*.json"))
VALUES: Tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    3.0,
    2.5,
    -7,
    "",
    "3",
    "Pre-Defined",
    "Pre-defined",
    "auto",
    "auto+3",
    "201504300000",
    "20150430000000",
    "2015",
    [],
    [1, 2],
    ["a"],
    {},
    {"X": 1},
)

Seen = List[Tuple[Tuple[Any, ...], str, str]]


def _theirs(schema: Dict[str, Any], document: Any) -> Seen:
    found: Seen = []
    for error in Draft7Validator(schema).iter_errors(document):
        detail = ""
        if error.validator == "required":
            detail = re.match(r"^'(.*)' is a required property$", error.message).group(1)  # type: ignore[union-attr]
        elif error.validator == "additionalProperties":
            known = error.schema.get("properties", {})  # type: ignore[union-attr]
            detail = ",".join(k for k in error.instance if k not in known)
        found.append((tuple(error.absolute_path), str(error.validator), detail))
    return found


def _mine(schema: Dict[str, Any], document: Any) -> Seen:
    found: Seen = []
    for error in iter_errors(schema, document):
        detail = ""
        if error.keyword == "required":
            detail = str(error.detail)
        elif error.keyword == "additionalProperties":
            detail = ",".join(error.detail)
        found.append((error.path, error.keyword, detail))
    return found


def _places(node: Any, path: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _mutations(document: Dict[str, Any], rng: random.Random) -> Iterator[Any]:
    for place in list(_places(document))[1:]:
        parent_path, last = place[:-1], place[-1]
        for value in rng.sample(VALUES, 6):
            changed = copy.deepcopy(document)
            parent = changed
            for step in parent_path:
                parent = parent[step]
            parent[last] = value
            yield changed
        changed = copy.deepcopy(document)
        parent = changed
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict):
            del parent[last]
            parent[f"{last}X"] = 1  # a typo'd key
        else:
            parent.append(copy.deepcopy(parent[last]))
        yield changed


@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
@pytest.mark.parametrize("which", ["relaxed", "bundled"])
def test_same_errors_in_the_same_order_as_jsonschema(config: Path, which: str) -> None:
    schema = relaxed_schema() if which == "relaxed" else _bundled_schema()
    check_schema(schema)
    document = json.loads(config.read_text())
    rng = random.Random(config.name + which)  # noqa: S311 (reproducible mutations)
    compared = 0
    for mutated in [document, *_mutations(document, rng)]:
        assert _mine(schema, mutated) == _theirs(schema, mutated), mutated
        compared += 1
    assert compared > 500


@pytest.mark.parametrize("value", [*VALUES, 10**30, 1e300, float("nan")])
@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "number"},
        {"type": ["string", "boolean"]},
        {"enum": [1, "1", True, None, [1], {"a": 1}]},
        {"anyOf": [{"type": "string", "pattern": "^[0-9]{4}$"}, {"enum": [0]}]},
        {"items": {"type": "integer"}, "minItems": 1, "maxItems": 1},
        {"required": ["X"], "properties": {"X": {"type": "null"}}, "additionalProperties": False},
    ],
)
def test_single_keywords_agree(schema: Dict[str, Any], value: Any) -> None:
    assert _mine(schema, value) == _theirs(schema, value)


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/definitions/x"},
        {"oneOf": []},
        {"format": "date-time"},
        {"properties": {"a": {"minimum": 0}}},
        {"additionalProperties": {"type": "string"}},
        {"items": [{"type": "string"}]},
    ],
)
def test_an_unknown_keyword_is_refused(schema: Dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"keyword|additionalProperties|must be an object"):
        check_schema(schema)
