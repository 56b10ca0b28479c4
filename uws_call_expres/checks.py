"""Check an ExPRES config before it is sent: :func:`check_config` returns :class:`Problem` s.

The service accepts any file and ExPRES's own check is not fatal: a bad config fails minutes
later with a raw IDL error in the job's log. This module finds what it can locally, with no
network and no token:

- the bundled ExPRES JSON schema v1.0.3, relaxed where ExPRES 1.4.3 accepts more, with every
  object closed so that unknown keys (typos) come back as warnings with a "did you mean"
  hint (:mod:`uws_call_expres.checks_schema`);
- cross-field rules the schema cannot express, unit pitfalls, and an output size / run time
  estimate (:mod:`uws_call_expres.checks_rules`);
- the ephemeris file against ``OBSERVER.EPHEM`` (OPUS stores an upload under its basename).

Severity: ``"error"`` for what ExPRES rejects or crashes on (as far as its code tells),
``"warning"`` for what it accepts but probably not as meant. A config missing whole sections
gets one problem for that (and the ephemeris check): it is not an ExPRES config yet, and a
report key by key would be noise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from .checks_base import ERROR, WARNING, Problem
from .checks_rules import rule_problems
from .checks_schema import schema_problems
from .checks_size import estimate_cdf_size, load_problems
from .checks_units import unit_problems
from .config_file import EXPRES_SECTIONS, PathArg, load_config_document
from .errors import ConfigError
from .flags import Flag

__all__ = ["ERROR", "WARNING", "Problem", "check_config", "estimate_cdf_size"]

# How the user gives the ephemeris file.
_GIVE_EPHEMERIS = f"FILE_EPHEM ({Flag.EPHEM})"
# An ExPRES config nests 5 levels (root, BODY, a body, DENS, a density); far deeper is not a
# config, and recursive code (the validator) must never meet it.
_MAX_DEPTH = 16
_MAX_EPHEMERIS_BYTES = 64 * 1024 * 1024


def check_config(
    config: Union[PathArg, Mapping[str, Any]],
    *,
    ephemeris: Optional[PathArg] = None,
    authenticated: bool = False,
) -> List[Problem]:
    """Check an ExPRES config (a file path or an already loaded dict) and return its problems.

    ``ephemeris``: the file that will be uploaded with it (checked against
    ``OBSERVER.EPHEM``; its line count stands in for the time steps). ``authenticated``
    selects the run-time limit of the size and duration warnings (600 s for guests, 3 h
    otherwise). Nothing is sent anywhere. Bad content is never raised: a file that is
    missing, unreadable, not JSON, not an object or absurdly nested is one error problem.
    An empty list means no problem was found.
    """
    if isinstance(config, Mapping):
        document: Dict[str, Any] = dict(config)
    else:
        try:
            path = Path(os.fspath(config)).expanduser()
        except TypeError:  # not a path: a list, a number (the API is typed, callers may not be)
            return [Problem("", ERROR, f"not a config path or a dict: {type(config).__name__}")]
        try:
            document = load_config_document(path)
        except (ConfigError, OSError) as exc:
            return [Problem("", ERROR, _reason(exc))]
    ephem_path = None if ephemeris is None else Path(os.fspath(ephemeris)).expanduser()
    try:
        return _check_document(document, ephem_path, authenticated)
    except RecursionError:
        return [Problem("", ERROR, "nested too deeply to be an ExPRES config")]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, ConfigError):
        return f"cannot be read: {exc.strerror or exc}"
    return str(exc)


def _check_document(
    document: Dict[str, Any], ephemeris: Optional[Path], authenticated: bool
) -> List[Problem]:
    depth = _depth(document)
    if depth > _MAX_DEPTH:
        return [
            Problem(
                "",
                ERROR,
                f"nested more than {_MAX_DEPTH} levels deep: not an ExPRES config "
                "(which nests 5 levels)",
            )
        ]
    ephemeris_problems, rows = _ephemeris(document, ephemeris)
    missing = [name for name in EXPRES_SECTIONS if name not in document]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems = [
            Problem(
                "",
                ERROR,
                f"has no {', '.join(missing)} section{plural}: ExPRES will reject it",
                "start from a complete config, such as the ExPRES example",
            )
        ]
        return problems + ephemeris_problems
    problems = schema_problems(document) + rule_problems(document) + unit_problems(document)
    problems += load_problems(document, authenticated, rows)
    return problems + ephemeris_problems


def _depth(document: Any) -> int:
    """The nesting depth of containers, computed without recursion (and stopping early)."""
    deepest = 0
    stack = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        deepest = max(deepest, level)
        if deepest > _MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children)
    return deepest


def _ephemeris(
    document: Dict[str, Any], ephemeris: Optional[Path]
) -> Tuple[List[Problem], Optional[int]]:
    """The ephemeris problems, and the file's line count (an upper bound of its time steps)."""
    observer = document.get("OBSERVER")
    named = observer.get("EPHEM") if isinstance(observer, dict) else None
    named = named.strip() if isinstance(named, str) else ""
    where = "OBSERVER.EPHEM"
    if ephemeris is None:
        if not named:
            return [], None
        if named == "@wgc":
            return [
                Problem(
                    where,
                    WARNING,
                    "'@wgc' asks ExPRES for a WebGeoCalc look-up, which only its branch "
                    "dev-python-wgc handles (not master), and no ephemeris file is given",
                    f"pass an ephemeris file with {_GIVE_EPHEMERIS} and name it here",
                )
            ], None
        message = f"names an ephemeris {named!r} but none is given"
        return [Problem(where, WARNING, message, f"pass it with {_GIVE_EPHEMERIS}")], None
    rows = _line_count(ephemeris)
    if rows is None:
        return [Problem("", ERROR, f"the ephemeris {str(ephemeris)!r} cannot be read")], None
    name = ephemeris.name
    problems: List[Problem] = []
    if not named:
        problems.append(
            Problem(
                where,
                WARNING,
                f"an ephemeris ({name}) is uploaded but the config does not use it "
                "(OBSERVER.EPHEM is empty)",
                f"set OBSERVER.EPHEM to {name!r}",
            )
        )
        return problems, None
    if named != name:
        # OPUS stores the upload under its basename; ExPRES opens OBSERVER.EPHEM by that name.
        hint = f"set OBSERVER.EPHEM to {name!r}, or upload the file it names"
        if os.path.basename(named) == name:
            hint = f"the server keeps only the basename: set OBSERVER.EPHEM to {name!r}"
        message = f"names the ephemeris {named!r} but the uploaded file is {name!r}"
        problems.append(Problem(where, WARNING, message, hint))
    elif name.lower().endswith(".csv") and not name.endswith(".csv"):
        problems.append(
            Problem(
                where,
                WARNING,
                f"{name!r}: only a lower-case .csv extension selects ExPRES's WebGeoCalc "
                "CSV reader; any other is read as U. Iowa text",
                "rename the file with a lower-case .csv",
            )
        )
    return problems, rows


def _line_count(path: Path) -> Optional[int]:
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_EPHEMERIS_BYTES)
    except OSError:
        return None
    return sum(1 for line in data.splitlines() if line.strip())
