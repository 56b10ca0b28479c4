"""Rules of :func:`uws_call_expres.checks.check_config` that no schema expresses.

From the ExPRES 1.4.3 code and docs (the project's reference notes on ExPRES configs, §2, §4,
§5, §6): counts against array lengths, parents naming defined bodies, frequency and time axes,
observer position look-ups, values outside what the code knows, and unit pitfalls (the output
size and run time are in :mod:`uws_call_expres.checks_size`). Every rule reads the
document defensively: a value of the wrong type was already reported by the schema.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Dict, Iterator, List, Sequence

from .checks_base import (
    Problem,
    as_dict,
    as_int,
    as_number,
    body_names,
    dicts_in,
    did_you_mean,
    new_problem,
)

__all__ = [
    "MIRIADE_OBSERVERS",
    "SCHEMA_OBSERVERS",
    "MAGNETIC_MODELS",
    "SOURCE_TYPES",
    "CURRENTS",
    "LAG_MODELS",
    "rule_problems",
]

# Observers IMCCE Miriade knows; ExPRES stops on any other ("Are you sure of your observer ?").
MIRIADE_OBSERVERS = ("Cassini", "Voyager1", "Voyager2", "Ganymede", "Juno", "Earth")
SCHEMA_OBSERVERS = ("Juno", "Earth", "Galileo", "JUICE", "Cassini", "Voyager1", "Voyager2")
MAGNETIC_MODELS = (
    "",
    "auto",
    "JRM33",
    "JRM09_CS2020",
    "A12",
    "IGRF2000",
    "SPV",
    "Z3",
    "AH5",
    "Q3",
    "TDS",
    "TDS_axi",
    "Tau_Boo_ab_axi",
    "proxima_centauri",
    "proxima_centauri_axi",
    *(f"{m}+Connerney CS" for m in ("ISaAC", "O6", "VIP4", "VIPAL", "VIT4", "JRM09")),
    *(f"{m} Connerney CS" for m in ("ISaAC", "O6", "VIP4", "VIPAL", "VIT4", "JRM09")),
)
_MAGNETIC_PATTERNS = ("ADLeonis_*", "Dipole*")
SOURCE_TYPES = ("", "fixed in latitude", "attached to a satellite", "L-shell", "M-shell")
CURRENTS = (
    "Transient (Alfvenic)",
    "Transient (Alfvénic)",
    "Transient (Aflvenic)",
    "Transient (Aflvenic)+bornes",
    "Constant",
    "Steady-State",
    "Shell",
)
LAG_MODELS = ("", "off", "hess2011", "bonfond2009", "bonfond2017", "hinton2019", "Hue2023")


def rule_problems(document: Dict[str, Any]) -> List[Problem]:
    """Every rule's problems for a config that has all ten sections (the unit pitfalls are
    :mod:`uws_call_expres.checks_units`'s)."""
    problems: List[Problem] = []
    for rule in (_count_rules, _body_rules, _axis_rules, _observer_rules, _source_rules):
        problems.extend(rule(document))
    return problems


def _count_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    number = as_dict(document.get("NUMBER"))
    for key in ("BODY", "SOURCE"):
        count, items = as_int(number.get(key)), document.get(key)
        if count is not None and isinstance(items, list) and count != len(items):
            yield new_problem(
                f"NUMBER.{key}",
                "error",
                f"is {count} but {key} has {len(items)} entries: ExPRES stops with "
                f"'Inconsistent Number of {key} Elements'",
                f"set NUMBER.{key} to {len(items)}",
            )
    density = as_int(number.get("DENSITY"))
    for i, body in enumerate(dicts_in(document, "BODY")):
        dens = body.get("DENS")
        if density is not None and isinstance(dens, list) and len(dens) != density:
            yield new_problem(
                f"BODY[{i}].DENS",
                "error",
                f"has {len(dens)} entries but NUMBER.DENSITY is {density}: every body needs "
                "that many",
                'pad with {"ON": false, ...} entries, as the ExPRES example does',
            )


def _parent(path: str, value: Any, names: Sequence[str], what: str) -> Iterator[Problem]:
    if isinstance(value, str) and value not in names:
        defined = ", ".join(repr(n) for n in names) or "none"
        yield new_problem(
            path,
            "error",
            f"{value!r} is not a BODY name (defined: {defined}): {what}",
            did_you_mean(value, names),
        )


def _body_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    names = body_names(document)
    bodies = dicts_in(document, "BODY")
    seen: Dict[str, int] = {}
    for i, body in enumerate(bodies):
        name, parent = body.get("NAME"), body.get("PARENT")
        if isinstance(name, str) and name in seen:
            yield new_problem(
                f"BODY[{i}].NAME", "error", f"{name!r} is also BODY[{seen[name]}]'s name"
            )
        elif isinstance(name, str):
            seen[name] = i
        if parent != "":
            yield from _parent(f"BODY[{i}].PARENT", parent, names, "a body orbits a BODY")
        elif body.get("MOTION") is True:
            yield new_problem(f"BODY[{i}].MOTION", "warning", "is true for a central body")
        yield from _magnetic_model(i, body)
    central = [i for i, body in enumerate(bodies) if body.get("PARENT") == ""]
    if bodies and not central:
        yield new_problem(
            "BODY", "error", 'has no central body (PARENT ""): distances have no unit'
        )
    for i in central[:-1]:
        yield new_problem(
            f"BODY[{i}].PARENT",
            "warning",
            "several central bodies: ExPRES takes the radius of the last one as distance unit",
            'keep exactly one body with PARENT ""',
        )


def _magnetic_model(i: int, body: Dict[str, Any]) -> Iterator[Problem]:
    model = body.get("MAG")
    if not isinstance(model, str):
        return
    if model == "auto" and not body.get("MAG_FOLDER"):
        yield new_problem(f"BODY[{i}].MAG", "warning", '"auto" needs MAG_FOLDER (ExPRES 1.4.0)')
    known = model in MAGNETIC_MODELS or any(
        fnmatch.fnmatchcase(model, p) for p in _MAGNETIC_PATTERNS
    )
    if not known:
        yield new_problem(
            f"BODY[{i}].MAG",
            "warning",
            f"{model!r} is not a model ExPRES knows: it is used as a field-line folder name "
            "(ExPRES asks 'Is your magnetic field model name correct?')",
            did_you_mean(model, MAGNETIC_MODELS),
        )


def _axis_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    freq = as_dict(document.get("FREQUENCY"))
    kind, low, high, count = (
        freq.get("TYPE"),
        as_number(freq.get("MIN")),
        as_number(freq.get("MAX")),
        as_int(freq.get("NBR")),
    )
    if kind == "Pre-Defined":
        sc = freq.get("SC")
        if not (isinstance(sc, list) and sc):
            yield new_problem(
                "FREQUENCY.SC",
                "error",
                "a Pre-Defined axis needs a non-empty list of frequencies (MHz)",
                "e.g. [0.1, 0.5, 1.0]; MIN, MAX and NBR are then ignored",
            )
    elif kind in ("Linear", "Log"):
        if kind == "Log" and low is not None and low <= 0:
            yield new_problem("FREQUENCY.MIN", "error", "must be above 0 for a Log axis")
        if count is not None and count < 2:
            yield new_problem(
                "FREQUENCY.NBR", "error", f"is {count}: the axis needs at least 2 steps"
            )
        if low is not None and high is not None and low >= high:
            yield new_problem("FREQUENCY.MAX", "warning", f"{high} is not above MIN ({low})")
    observer = as_dict(document.get("OBSERVER"))
    if observer.get("EPHEM"):
        return  # the ephemeris sets the time steps, the span and SCTIME
    time = as_dict(document.get("TIME"))
    steps, end = as_int(time.get("NBR")), as_number(time.get("MAX"))
    if steps is not None and steps < 2:
        yield new_problem(
            "TIME.NBR", "error", f"is {steps}: the step is MAX/(NBR-1), so at least 2 are needed"
        )
    if end is not None and end <= 0:
        yield new_problem(
            "TIME.MAX", "error", f"is {end}: the time span (minutes) must be positive"
        )


def _observer_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    observer = as_dict(document.get("OBSERVER"))
    kind, sc, ephem = observer.get("TYPE"), observer.get("SC"), observer.get("EPHEM")
    names = body_names(document)
    yield from _parent(
        "OBSERVER.PARENT",
        observer.get("PARENT"),
        names,
        "ExPRES stops with 'An observer has no parent.'",
    )
    lookups: List[Problem] = []
    lookup = kind == "Pre-Defined" or (kind == "Fixed" and observer.get("FIXE_DIST") == "auto")
    if isinstance(sc, str) and sc.strip() and not ephem and lookup:
        lookups = list(_lookup_rules(sc, str(observer.get("SCTIME") or ""), kind == "Fixed"))
    if isinstance(sc, str) and not sc.strip():
        yield new_problem("OBSERVER.SC", "error", "is empty: ExPRES needs the observer's name")
    elif isinstance(sc, str) and sc not in SCHEMA_OBSERVERS and not lookups:
        yield new_problem(
            "OBSERVER.SC",
            "warning",
            f"{sc!r} is not an observer of the schema: fine for numeric Fixed positions "
            "and an Orbiter, but no position look-up knows it",
            did_you_mean(sc, SCHEMA_OBSERVERS),
        )
    yield from lookups
    cdf = as_dict(as_dict(document.get("SPDYN")).get("CDF"))
    if kind == "Fixed" and cdf.get("CML") is False:
        yield new_problem(
            "SPDYN.CDF.CML",
            "warning",
            "false with a Fixed observer: ExPRES then writes from an array it never made "
            "(likely crash; inferred from the code, untested)",
            "keep CML true for a Fixed observer",
        )
    if kind == "Orbiter":
        for i, body in enumerate(dicts_in(document, "BODY")):
            if body.get("PHASE") == "auto":
                yield new_problem(
                    f"BODY[{i}].PHASE",
                    "error",
                    '"auto" asks IMCCE Miriade, which ExPRES does not do for an Orbiter',
                    "give the phase in degrees",
                )


def _lookup_rules(sc: str, sctime: str, fixed: bool) -> Iterator[Problem]:
    """Where ExPRES finds an observer's positions when they are not numbers (§4)."""
    date = sctime[:8]
    if not fixed and sc == "Juno" and date and not "20160101" <= date <= "20280930":
        yield new_problem(
            "OBSERVER.SCTIME",
            "error",
            f"{sctime!r}: ExPRES's Juno tables cover 2016-01-01 to 2028-09-30 and it stops outside",
            "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
        )
    elif not fixed and sc == "Galileo":
        if not (sctime[:4] == "1996" and "0827" <= sctime[4:8] <= "0916"):
            yield new_problem(
                "OBSERVER.SCTIME",
                "error",
                f"{sctime!r}: ExPRES has Galileo positions only for 1996 days 240 to 260",
                "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
            )
    elif sc not in MIRIADE_OBSERVERS:
        yield new_problem(
            "OBSERVER.SC",
            "error",
            f"{sc!r}: without an ephemeris ExPRES asks IMCCE Miriade for the positions, which "
            f"knows only {', '.join(MIRIADE_OBSERVERS)} (ExPRES stops: 'Are you sure of your "
            "observer ?')",
            "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
        )


def _source_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    names = body_names(document)
    for i, source in enumerate(dicts_in(document, "SOURCE")):
        at = f"SOURCE[{i}]"
        yield from _parent(f"{at}.PARENT", source.get("PARENT"), names, "a source needs a parent")
        kind = source.get("TYPE")
        if kind == "attached to a satellite":
            yield from _parent(
                f"{at}.SAT",
                source.get("SAT"),
                names,
                "'A source attached to a satellite has no parent.'",
            )
        elif (
            isinstance(kind, str)
            and kind not in SOURCE_TYPES[:3]
            and kind.lower() not in ("l-shell", "m-shell")
        ):
            yield new_problem(
                f"{at}.TYPE",
                "warning",
                f"{kind!r} is not a source type ExPRES knows: it falls back to M-shell field lines",
                did_you_mean(kind, SOURCE_TYPES),
            )
        if source.get("NORTH") is True and source.get("SOUTH") is True:
            yield new_problem(
                at,
                "warning",
                "NORTH and SOUTH are both true: they are exclusive, and the source is labelled "
                "NORTH",
                "make one source per hemisphere",
            )
        lg_nbr = as_int(source.get("LG_NBR"))
        if source.get("ON") is True and lg_nbr is not None and lg_nbr < 1:
            yield new_problem(
                f"{at}.LG_NBR", "error", f"is {lg_nbr}: an active source needs at least 1"
            )
        yield from _soft(f"{at}.CURRENT", source.get("CURRENT"), CURRENTS, "it sets no beam type")
        mode = source.get("MODE")
        if isinstance(mode, str) and mode.upper() not in ("", "RX", "LO"):
            yield new_problem(f"{at}.MODE", "warning", f"{mode!r} is neither RX nor LO")
        yield from _soft(f"{at}.LAG_MODEL", source.get("LAG_MODEL"), LAG_MODELS, "no lag is used")


def _soft(path: str, value: Any, known: Sequence[str], effect: str) -> Iterator[Problem]:
    if isinstance(value, str) and value not in known:
        yield new_problem(
            path,
            "warning",
            f"{value!r} is not a value ExPRES knows: {effect}",
            did_you_mean(value, known),
        )
