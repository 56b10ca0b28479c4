"""Rules of :func:`uws_call_expres.checks.check_config` that no schema expresses.

From the ExPRES 1.4.3 code and docs (the project's reference notes on ExPRES configs, §2, §4,
§5, §6): counts against array lengths, parents naming defined bodies, frequency and time axes,
observer position look-ups, values outside what the code knows, and unit pitfalls (the output
size and run time are in :mod:`uws_call_expres.checks_size`). Every rule reads the
document defensively: a value of the wrong type was already reported by the schema.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from .checks_schema import did_you_mean

if TYPE_CHECKING:
    from .checks import Problem

__all__ = ["rule_problems"]

# Observers IMCCE Miriade knows; ExPRES stops on any other ("Are you sure of your observer ?").
MIRIADE_OBSERVERS = ("Cassini", "Voyager1", "Voyager2", "Ganymede", "Juno", "Earth")
SCHEMA_OBSERVERS = ("Juno", "Earth", "Galileo", "JUICE", "Cassini", "Voyager1", "Voyager2")
# Planets whose radius ExPRES knows (PHASE "auto" in planetary radii; EPHEM with RADIUS 1).
KNOWN_PLANETS = ("Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune")
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
    """Every rule's problems for a config that has all ten sections."""
    problems: List[Problem] = []
    for rule in (_count_rules, _body_rules, _axis_rules, _observer_rules, _source_rules):
        problems.extend(rule(document))
    problems.extend(_unit_rules(document))
    return problems


def _problem(path: str, severity: str, message: str, hint: Optional[str] = None) -> Problem:
    from .checks import Problem

    return Problem(path, severity, message, hint)


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(document: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    value = document.get(key)
    return [_dict(item) for item in value] if isinstance(value, list) else []


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def _num(value: Any) -> Optional[float]:
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value


def _body_names(document: Dict[str, Any]) -> List[str]:
    return [b["NAME"] for b in _items(document, "BODY") if isinstance(b.get("NAME"), str)]


def _central(document: Dict[str, Any]) -> Dict[str, Any]:
    """The central body (``PARENT ""``); ExPRES takes the last one's radius."""
    central = [b for b in _items(document, "BODY") if b.get("PARENT") == ""]
    return central[-1] if central else {}


def _count_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    number = _dict(document.get("NUMBER"))
    for key in ("BODY", "SOURCE"):
        count, items = _int(number.get(key)), document.get(key)
        if count is not None and isinstance(items, list) and count != len(items):
            yield _problem(
                f"NUMBER.{key}",
                "error",
                f"is {count} but {key} has {len(items)} entries: ExPRES stops with "
                f"'Inconsistent Number of {key} Elements'",
                f"set NUMBER.{key} to {len(items)}",
            )
    density = _int(number.get("DENSITY"))
    for i, body in enumerate(_items(document, "BODY")):
        dens = body.get("DENS")
        if density is not None and isinstance(dens, list) and len(dens) != density:
            yield _problem(
                f"BODY[{i}].DENS",
                "error",
                f"has {len(dens)} entries but NUMBER.DENSITY is {density}: every body needs "
                "that many",
                'pad with {"ON": false, ...} entries, as the ExPRES example does',
            )


def _parent(path: str, value: Any, names: Sequence[str], what: str) -> Iterator[Problem]:
    if isinstance(value, str) and value not in names:
        defined = ", ".join(repr(n) for n in names) or "none"
        yield _problem(
            path,
            "error",
            f"{value!r} is not a BODY name (defined: {defined}): {what}",
            did_you_mean(value, names),
        )


def _body_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    names = _body_names(document)
    bodies = _items(document, "BODY")
    seen: Dict[str, int] = {}
    for i, body in enumerate(bodies):
        name, parent = body.get("NAME"), body.get("PARENT")
        if isinstance(name, str) and name in seen:
            yield _problem(
                f"BODY[{i}].NAME", "error", f"{name!r} is also BODY[{seen[name]}]'s name"
            )
        elif isinstance(name, str):
            seen[name] = i
        if parent != "":
            yield from _parent(f"BODY[{i}].PARENT", parent, names, "a body orbits a BODY")
        elif body.get("MOTION") is True:
            yield _problem(f"BODY[{i}].MOTION", "warning", "is true for a central body")
        yield from _magnetic_model(i, body)
    central = [i for i, body in enumerate(bodies) if body.get("PARENT") == ""]
    if bodies and not central:
        yield _problem("BODY", "error", 'has no central body (PARENT ""): distances have no unit')
    for i in central[:-1]:
        yield _problem(
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
        yield _problem(f"BODY[{i}].MAG", "warning", '"auto" needs MAG_FOLDER (ExPRES 1.4.0)')
    known = model in MAGNETIC_MODELS or any(
        fnmatch.fnmatchcase(model, p) for p in _MAGNETIC_PATTERNS
    )
    if not known:
        yield _problem(
            f"BODY[{i}].MAG",
            "warning",
            f"{model!r} is not a model ExPRES knows: it is used as a field-line folder name "
            "(ExPRES asks 'Is your magnetic field model name correct?')",
            did_you_mean(model, MAGNETIC_MODELS),
        )


def _axis_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    freq = _dict(document.get("FREQUENCY"))
    kind, low, high, count = (
        freq.get("TYPE"),
        _num(freq.get("MIN")),
        _num(freq.get("MAX")),
        _int(freq.get("NBR")),
    )
    if kind == "Pre-Defined":
        sc = freq.get("SC")
        if not (isinstance(sc, list) and sc):
            yield _problem(
                "FREQUENCY.SC",
                "error",
                "a Pre-Defined axis needs a non-empty list of frequencies (MHz)",
                "e.g. [0.1, 0.5, 1.0]; MIN, MAX and NBR are then ignored",
            )
    elif kind in ("Linear", "Log"):
        if kind == "Log" and low is not None and low <= 0:
            yield _problem("FREQUENCY.MIN", "error", "must be above 0 for a Log axis")
        if count is not None and count < 2:
            yield _problem("FREQUENCY.NBR", "error", f"is {count}: the axis needs at least 2 steps")
        if low is not None and high is not None and low >= high:
            yield _problem("FREQUENCY.MAX", "warning", f"{high} is not above MIN ({low})")
    observer = _dict(document.get("OBSERVER"))
    if observer.get("EPHEM"):
        return  # the ephemeris sets the time steps, the span and SCTIME
    time = _dict(document.get("TIME"))
    steps, end = _int(time.get("NBR")), _num(time.get("MAX"))
    if steps is not None and steps < 2:
        yield _problem(
            "TIME.NBR", "error", f"is {steps}: the step is MAX/(NBR-1), so at least 2 are needed"
        )
    if end is not None and end <= 0:
        yield _problem("TIME.MAX", "error", f"is {end}: the time span (minutes) must be positive")


def _observer_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    observer = _dict(document.get("OBSERVER"))
    kind, sc, ephem = observer.get("TYPE"), observer.get("SC"), observer.get("EPHEM")
    names = _body_names(document)
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
        yield _problem("OBSERVER.SC", "error", "is empty: ExPRES needs the observer's name")
    elif isinstance(sc, str) and sc not in SCHEMA_OBSERVERS and not lookups:
        yield _problem(
            "OBSERVER.SC",
            "warning",
            f"{sc!r} is not an observer of the schema: fine for numeric Fixed positions "
            "and an Orbiter, but no position look-up knows it",
            did_you_mean(sc, SCHEMA_OBSERVERS),
        )
    yield from lookups
    cdf = _dict(_dict(document.get("SPDYN")).get("CDF"))
    if kind == "Fixed" and cdf.get("CML") is False:
        yield _problem(
            "SPDYN.CDF.CML",
            "warning",
            "false with a Fixed observer: ExPRES then writes from an array it never made "
            "(likely crash; inferred from the code, untested)",
            "keep CML true for a Fixed observer",
        )
    if kind == "Orbiter":
        for i, body in enumerate(_items(document, "BODY")):
            if body.get("PHASE") == "auto":
                yield _problem(
                    f"BODY[{i}].PHASE",
                    "error",
                    '"auto" asks IMCCE Miriade, which ExPRES does not do for an Orbiter',
                    "give the phase in degrees",
                )


def _lookup_rules(sc: str, sctime: str, fixed: bool) -> Iterator[Problem]:
    """Where ExPRES finds an observer's positions when they are not numbers (§4)."""
    date = sctime[:8]
    if not fixed and sc == "Juno" and date and not "20160101" <= date <= "20280930":
        yield _problem(
            "OBSERVER.SCTIME",
            "error",
            f"{sctime!r}: ExPRES's Juno tables cover 2016-01-01 to 2028-09-30 and it stops outside",
            "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
        )
    elif not fixed and sc == "Galileo":
        if not (sctime[:4] == "1996" and "0827" <= sctime[4:8] <= "0916"):
            yield _problem(
                "OBSERVER.SCTIME",
                "error",
                f"{sctime!r}: ExPRES has Galileo positions only for 1996 days 240 to 260",
                "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
            )
    elif sc not in MIRIADE_OBSERVERS:
        yield _problem(
            "OBSERVER.SC",
            "error",
            f"{sc!r}: without an ephemeris ExPRES asks IMCCE Miriade for the positions, which "
            f"knows only {', '.join(MIRIADE_OBSERVERS)} (ExPRES stops: 'Are you sure of your "
            "observer ?')",
            "give an ephemeris file (FILE_EPHEM and OBSERVER.EPHEM)",
        )


def _source_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    names = _body_names(document)
    for i, source in enumerate(_items(document, "SOURCE")):
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
            yield _problem(
                f"{at}.TYPE",
                "warning",
                f"{kind!r} is not a source type ExPRES knows: it falls back to M-shell field lines",
                did_you_mean(kind, SOURCE_TYPES),
            )
        if source.get("NORTH") is True and source.get("SOUTH") is True:
            yield _problem(
                at,
                "warning",
                "NORTH and SOUTH are both true: they are exclusive, and the source is labelled "
                "NORTH",
                "make one source per hemisphere",
            )
        lg_nbr = _int(source.get("LG_NBR"))
        if source.get("ON") is True and lg_nbr is not None and lg_nbr < 1:
            yield _problem(
                f"{at}.LG_NBR", "error", f"is {lg_nbr}: an active source needs at least 1"
            )
        yield from _soft(f"{at}.CURRENT", source.get("CURRENT"), CURRENTS, "it sets no beam type")
        mode = source.get("MODE")
        if isinstance(mode, str) and mode.upper() not in ("", "RX", "LO"):
            yield _problem(f"{at}.MODE", "warning", f"{mode!r} is neither RX nor LO")
        yield from _soft(f"{at}.LAG_MODEL", source.get("LAG_MODEL"), LAG_MODELS, "no lag is used")


def _soft(path: str, value: Any, known: Sequence[str], effect: str) -> Iterator[Problem]:
    if isinstance(value, str) and value not in known:
        yield _problem(
            path,
            "warning",
            f"{value!r} is not a value ExPRES knows: {effect}",
            did_you_mean(value, known),
        )


def _unit_rules(document: Dict[str, Any]) -> Iterator[Problem]:
    """The unit pitfalls of §5: every distance uses the central body's RADIUS as unit (1:
    planetary radii, else km), but plot ranges and shell apex distances are always in
    planetary radii. The thresholds flag values off by about the planet's radius in km."""
    central = _central(document)
    radius = _num(central.get("RADIUS"))
    if radius is None:
        return
    if radius <= 0:
        yield _problem("BODY.RADIUS", "error", f"the central body's RADIUS is {radius}")
        return
    km = radius != 1
    bodies = _items(document, "BODY")
    for i, body in enumerate(bodies):
        size = _num(body.get("RADIUS"))
        if body is central or size is None or size <= 0:
            continue
        if (size > 50) != km:
            unit = "km" if size > 50 else "planetary radii"
            yield _problem(
                f"BODY[{i}].RADIUS",
                "warning",
                f"{size} looks like {unit} while the central body's RADIUS ({radius}) means "
                f"{'km' if km else 'planetary radii'}: do not mix units",
            )
    for i, source in enumerate(_items(document, "SOURCE")):
        altitude, lat = _num(source.get("AURORA_ALT")), _num(source.get("LAT"))
        if altitude is not None and altitude > 1:
            yield _problem(
                f"SOURCE[{i}].AURORA_ALT",
                "warning",
                f"{altitude}: ExPRES divides it by the planet's radius, so it is in planetary "
                "radii (inferred), not km",
                "650 km above Jupiter is 0.00909",
            )
        shell = str(source.get("TYPE", "")).lower() in ("l-shell", "m-shell")
        if shell and lat is not None and lat > 200:
            yield _problem(
                f"SOURCE[{i}].LAT",
                "warning",
                f"{lat}: for a shell source it is the apex distance in planetary radii, NOT km",
            )
    movie2d, movie3d = _dict(document.get("MOVIE2D")), _dict(document.get("MOVIE3D"))
    ranges = [("MOVIE2D.RANGE", _num(movie2d.get("RANGE")))]
    for key in ("XRANGE", "YRANGE", "ZRANGE"):
        pair = movie3d.get(key)
        values = [abs(v) for v in pair if _num(v) is not None] if isinstance(pair, list) else []
        ranges.append((f"MOVIE3D.{key}", max(values) if values else None))
    for path, value in ranges:
        if value is not None and abs(value) > 5000:
            yield _problem(path, "warning", f"{value} is in planetary radii, NOT km")
    observer = _dict(document.get("OBSERVER"))
    if observer.get("TYPE") == "Pre-Defined" and observer.get("EPHEM") and not km:
        name = central.get("NAME")
        if name not in KNOWN_PLANETS:
            yield _problem(
                "BODY.RADIUS",
                "error",
                f"an ephemeris needs the central body's RADIUS in km: ExPRES knows the radius "
                f"of {', '.join(KNOWN_PLANETS)} only, not of {name!r}",
                "give the RADIUS (and every distance) in km",
            )
    for i, body in enumerate(bodies):
        if body.get("PHASE") == "auto" and not km and body.get("PARENT") not in KNOWN_PLANETS:
            yield _problem(
                f"BODY[{i}].PHASE",
                "error",
                f'"auto" in planetary radii works only for a body orbiting one of '
                f"{', '.join(KNOWN_PLANETS)}",
                "give every distance in km, or the phase in degrees",
            )
    doi = _dict(document.get("SIMU")).get("DOI")
    if isinstance(doi, str) and "/" in doi:
        yield _problem(
            "SIMU.DOI",
            "warning",
            "contains '/': ExPRES puts it, lower-cased, in a file name, where '/' makes a "
            "sub-directory (inferred)",
        )
    cdf = _dict(_dict(document.get("SPDYN")).get("CDF"))
    if cdf and "SRCPOS" not in cdf:
        yield _problem(
            "SPDYN.CDF.SRCPOS",
            "warning",
            "is missing: the CDF will have no source positions",
            "add SRCPOS: false (or true)",
        )
