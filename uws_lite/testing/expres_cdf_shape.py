"""What the ExPRES-shaped CDF of a simulated run will hold, read from the submitted config.

The shape follows the config where that is cheap: ``TIME.MIN/MAX/NBR``, ``OBSERVER.SCTIME``,
``FREQUENCY.TYPE/MIN/MAX/NBR``, the ``ON`` sources (one per hemisphere flag, ``LG_NBR`` times)
and the ``SPDYN.CDF`` flags, with caps (:data:`MAX_TIMES`, :data:`MAX_FREQUENCIES`,
:data:`MAX_SOURCES`) so a file stays well under a megabyte. Anything missing or unusable falls
back to the saved example's shape (2015-04-30, 0.01-44 MHz linear, ``Io NORTH`` /
``Io SOUTH``). Pure Python: no numpy, no cdflib.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Mapping, Tuple

__all__ = ["MAX_FREQUENCIES", "MAX_SOURCES", "MAX_TIMES", "Shape", "shape_of"]

MAX_TIMES = 180
MAX_FREQUENCIES = 120
MAX_SOURCES = 6
_ROUTINE = ("THETA", "FP", "FC", "CML", "OBSLATITUDE", "OBSDISTANCE", "SRCFREQMAX")
_EXAMPLE_START = datetime(2015, 4, 30)


@dataclass(frozen=True)
class Shape:
    """What the file will hold, read from a config (see :func:`shape_of`)."""

    start: datetime
    minutes: Tuple[float, ...]  # minutes after ``start``, one per record
    frequencies: Tuple[float, ...]  # MHz
    log_frequency: bool
    labels: Tuple[str, ...]  # Src_ID_Label, e.g. "Io NORTH"
    variables: Tuple[str, ...]  # SPDYN.CDF flags that are on (upper case)
    observer: str
    planet: str


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def _section(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _start(observer: Mapping[str, Any]) -> datetime:
    text = observer.get("SCTIME")
    if isinstance(text, str) and re.fullmatch(r"\d{12}(\d{2})?", text):
        try:
            return datetime.strptime(text.ljust(14, "0"), "%Y%m%d%H%M%S")
        except ValueError:
            pass
    return _EXAMPLE_START


def _minutes(time: Mapping[str, Any]) -> Tuple[float, ...]:
    low = _number(time.get("MIN"), 0.0)
    high = _number(time.get("MAX"), 1440.0)
    count = int(_number(time.get("NBR"), 1440.0))
    if high <= low or count < 2:
        low, high, count = 0.0, 1440.0, 1440
    count = min(count, MAX_TIMES)
    step = (high - low) / (count - 1)
    return tuple(low + i * step for i in range(count))


def _frequencies(freq: Mapping[str, Any]) -> Tuple[Tuple[float, ...], bool]:
    low = _number(freq.get("MIN"), 0.01)
    high = _number(freq.get("MAX"), 44.0)
    count = int(_number(freq.get("NBR"), 781.0))
    if not 0 < low < high or count < 2:
        low, high, count = 0.01, 44.0, 781
    count = min(count, MAX_FREQUENCIES)
    log = freq.get("TYPE") == "Log"
    if log:
        ratio = (high / low) ** (1.0 / (count - 1))
        return tuple(low * ratio**i for i in range(count)), True
    step = (high - low) / (count - 1)
    return tuple(low + i * step for i in range(count)), False


def _labels(sources: Any) -> Tuple[str, ...]:
    labels: List[str] = []
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict) or source.get("ON") is False:
            continue
        origin = source.get("SAT") or source.get("NAME") or "source"
        hemispheres = [h for h in ("NORTH", "SOUTH") if source.get(h) is True] or ["NORTH"]
        repeat = max(1, int(_number(source.get("LG_NBR"), 1.0)))
        for hemisphere in hemispheres:
            labels.extend([f"{origin} {hemisphere}"] * repeat)
    return tuple(labels[:MAX_SOURCES]) or ("Io NORTH", "Io SOUTH")


def _variables(spdyn: Mapping[str, Any]) -> Tuple[str, ...]:
    flags = spdyn.get("CDF")
    if not isinstance(flags, dict):
        return _ROUTINE
    known = (*_ROUTINE, "OBSLOCALTIME")  # ExPRES declares ObsLocalTime but writes no record
    return tuple(name for name in known if flags.get(name) is True)


def shape_of(config: bytes) -> Shape:
    """The file's shape for a config (the example's shape for whatever is missing or odd)."""
    try:
        document = json.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        document = {}
    if not isinstance(document, dict):
        document = {}
    observer = _section(document, "OBSERVER")
    frequencies, log = _frequencies(_section(document, "FREQUENCY"))
    obs = observer.get("SC")
    planet = observer.get("PARENT")
    return Shape(
        start=_start(observer),
        minutes=_minutes(_section(document, "TIME")),
        frequencies=frequencies,
        log_frequency=log,
        labels=_labels(document.get("SOURCE")),
        variables=_variables(_section(document, "SPDYN")),
        observer=(obs if isinstance(obs, str) and obs else "Earth").lower(),
        planet=(planet if isinstance(planet, str) and planet else "Jupiter").lower(),
    )
