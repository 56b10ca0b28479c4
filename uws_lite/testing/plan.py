"""What a simulated ExPRES run does: how long it takes, how it ends, what it produces.

The server has a default :class:`RunPlan` (``server.run_plan``, changeable at any time; it is
read when a job starts). A job overrides it from its uploaded config: a top-level ``"_test"``
object whose keys are RunPlan fields, e.g.::

    {"SIMU": {...}, ..., "_test": {"duration": 2, "outcome": "ERROR", "error": "boom"}}

Keys: ``queued`` and ``duration`` (seconds spent QUEUED, then EXECUTING), ``outcome``
("COMPLETED" or "ERROR"), ``error`` (the error summary of an ERROR run), ``cdf_size`` (bytes),
``cdf_count`` (how many CDF files), ``cdf_name`` (file name; default from ``SIMU.NAME``),
``provenance`` (add the ``provjson`` result), ``late_results`` (seconds after the end of a
COMPLETED run before ``provjson`` is listed: OPUS signals the terminal phase before it has
listed a job's provenance results, about 0.1-0.2 s later; 0: listed with the phase).
Unknown keys or wrong types make the creation fail with a 500 naming the key, so a typo in a
test is never silently ignored.

Like ExPRES, the simulated run also fails (ERROR) when the config is not a JSON object, or when
``OBSERVER.EPHEM`` names an ephemeris file that was not uploaded under that basename.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Mapping, Optional, Tuple

__all__ = [
    "OUTCOMES",
    "PlanError",
    "RunPlan",
    "cdf_names",
    "ephemeris_problem",
    "read_overrides",
    "resolve",
]

OUTCOMES = ("COMPLETED", "ERROR")


class PlanError(ValueError):
    """The config's ``_test`` object is not a valid set of RunPlan overrides."""


@dataclass(frozen=True)
class RunPlan:
    duration: float = 1.0
    queued: float = 0.05
    outcome: str = "COMPLETED"
    error: str = "ExPRES run failed (simulated error)"
    cdf_size: int = 1 << 20
    cdf_count: int = 1
    cdf_name: Optional[str] = None
    provenance: bool = True
    late_results: float = 0.0

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise PlanError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")
        if min(self.duration, self.queued, self.cdf_size, self.cdf_count, self.late_results) < 0:
            raise PlanError(
                "duration, queued, cdf_size, cdf_count and late_results must not be negative"
            )


_TYPES: Dict[str, Tuple[type, ...]] = {
    "duration": (int, float),
    "queued": (int, float),
    "outcome": (str,),
    "error": (str,),
    "cdf_size": (int,),
    "cdf_count": (int,),
    "cdf_name": (str,),
    "provenance": (bool,),
    "late_results": (int, float),
}


def read_overrides(config: bytes) -> Tuple[Dict[str, Any], Optional[str]]:
    """The ``_test`` overrides of a config, and the reason the run will fail (or None).

    Raises PlanError for an invalid ``_test`` object. A config that is not a JSON object is not
    an error here: the simulated ExPRES run fails on it, like the real one.
    """
    try:
        document = json.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return {}, f"ExPRES could not read the configuration file: {exc}"
    if not isinstance(document, dict):
        return {}, "ExPRES could not read the configuration file: not a JSON object"
    raw = document.get("_test", {})
    if not isinstance(raw, dict):
        raise PlanError('"_test" in the config must be a JSON object')
    known = {item.name for item in fields(RunPlan)}
    overrides: Dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise PlanError(f'unknown key "_test.{key}" (known: {", ".join(sorted(known))})')
        expected = _TYPES[key]
        kind = "a number" if float in expected else f"a {expected[0].__name__}"
        if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
            raise PlanError(f'"_test.{key}" must be {kind}, not {json.dumps(value)}')
        overrides[key] = value
    replace(RunPlan(), **overrides)  # validates ranges and outcome now, at creation
    return overrides, None


def ephemeris_problem(config: bytes, uploaded: Optional[str]) -> Optional[str]:
    """Why ExPRES would not find its ephemeris file, or None (``OBSERVER.EPHEM`` must name
    the uploaded file by its basename; "" or an "@..." service name needs no upload)."""
    try:
        document = json.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    observer = document.get("OBSERVER") if isinstance(document, dict) else None
    ephem = observer.get("EPHEM") if isinstance(observer, dict) else None
    if not isinstance(ephem, str) or not ephem or ephem.startswith("@"):
        return None
    if uploaded is None:
        return f'ephemeris file "{ephem}" named in OBSERVER.EPHEM was not uploaded'
    if ephem != uploaded:
        return f'ephemeris file "{ephem}" not found (the uploaded file is "{uploaded}")'
    return None


def resolve(default: RunPlan, overrides: Mapping[str, Any]) -> RunPlan:
    return replace(default, **dict(overrides))


def cdf_names(plan: RunPlan, config: bytes, run_id: Optional[str]) -> Tuple[str, ...]:
    """The file names of the CDF results: ``expres_<simulation name>.cdf`` like ExPRES."""
    if plan.cdf_count <= 0:
        return ()
    base = plan.cdf_name
    if base is None:
        stem = run_id or "run"
        try:
            simu = json.loads(config.decode("utf-8")).get("SIMU", {})
            if isinstance(simu, dict) and isinstance(simu.get("NAME"), str) and simu["NAME"]:
                stem = simu["NAME"]
        except (UnicodeDecodeError, ValueError, AttributeError):
            pass
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._") or "run"
        base = f"expres_{stem.lower()}.cdf"
    if plan.cdf_count == 1:
        return (base,)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    return tuple(f"{stem}_{k:03d}{dot}{ext}" for k in range(1, plan.cdf_count + 1))
