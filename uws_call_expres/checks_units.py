"""Unit pitfalls of an ExPRES config (the project's reference notes on ExPRES configs, §5),
for :func:`uws_call_expres.checks.check_config`."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

from .checks_base import Problem, as_dict, as_number, central_body, dicts_in, new_problem

__all__ = ["KNOWN_PLANETS", "unit_problems"]

# Planets whose radius ExPRES knows (PHASE "auto" in planetary radii; EPHEM with RADIUS 1).
KNOWN_PLANETS = ("Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune")


def unit_problems(document: Dict[str, Any]) -> List[Problem]:
    """The unit pitfalls of ``document`` (see :func:`_unit_warnings`)."""
    return list(_unit_warnings(document))


def _unit_warnings(document: Dict[str, Any]) -> Iterator[Problem]:
    """The unit pitfalls of §5: every distance uses the central body's RADIUS as unit (1:
    planetary radii, else km), but plot ranges and shell apex distances are always in
    planetary radii. The thresholds flag values off by about the planet's radius in km."""
    central = central_body(document)
    radius = as_number(central.get("RADIUS"))
    if radius is None:
        return
    if radius <= 0:
        yield new_problem("BODY.RADIUS", "error", f"the central body's RADIUS is {radius}")
        return
    km = radius != 1
    yield from _body_radii(document, central, radius, km)
    yield from _source_distances(document)
    yield from _plot_ranges(document)
    yield from _needs_km(document, central, km)
    yield from _output_pitfalls(document)


def _body_radii(
    document: Dict[str, Any], central: Dict[str, Any], radius: float, km: bool
) -> Iterator[Problem]:
    """Other bodies' radii in the other unit than the central body's."""
    for i, body in enumerate(dicts_in(document, "BODY")):
        size = as_number(body.get("RADIUS"))
        if body is central or size is None or size <= 0:
            continue
        if (size > 50) != km:
            unit = "km" if size > 50 else "planetary radii"
            yield new_problem(
                f"BODY[{i}].RADIUS",
                "warning",
                f"{size} looks like {unit} while the central body's RADIUS ({radius}) means "
                f"{'km' if km else 'planetary radii'}: do not mix units",
            )


def _source_distances(document: Dict[str, Any]) -> Iterator[Problem]:
    """Source distances that are in planetary radii whatever the unit (looking like km)."""
    for i, source in enumerate(dicts_in(document, "SOURCE")):
        altitude, lat = as_number(source.get("AURORA_ALT")), as_number(source.get("LAT"))
        if altitude is not None and altitude > 1:
            yield new_problem(
                f"SOURCE[{i}].AURORA_ALT",
                "warning",
                f"{altitude}: ExPRES divides it by the planet's radius, so it is in planetary "
                "radii (inferred), not km",
                "650 km above Jupiter is 0.00909",
            )
        shell = str(source.get("TYPE", "")).lower() in ("l-shell", "m-shell")
        if shell and lat is not None and lat > 200:
            yield new_problem(
                f"SOURCE[{i}].LAT",
                "warning",
                f"{lat}: for a shell source it is the apex distance in planetary radii, NOT km",
            )


def _plot_ranges(document: Dict[str, Any]) -> Iterator[Problem]:
    """Plot ranges (always in planetary radii) that look like km."""
    movie2d, movie3d = as_dict(document.get("MOVIE2D")), as_dict(document.get("MOVIE3D"))
    ranges = [("MOVIE2D.RANGE", as_number(movie2d.get("RANGE")))]
    for key in ("XRANGE", "YRANGE", "ZRANGE"):
        pair = movie3d.get(key)
        values = (
            [abs(v) for v in pair if as_number(v) is not None] if isinstance(pair, list) else []
        )
        ranges.append((f"MOVIE3D.{key}", max(values) if values else None))
    for path, value in ranges:
        if value is not None and abs(value) > 5000:
            yield new_problem(path, "warning", f"{value} is in planetary radii, NOT km")


def _needs_km(document: Dict[str, Any], central: Dict[str, Any], km: bool) -> Iterator[Problem]:
    """What works in planetary radii only around the planets ExPRES knows the radius of."""
    if km:
        return
    observer = as_dict(document.get("OBSERVER"))
    if observer.get("TYPE") == "Pre-Defined" and observer.get("EPHEM"):
        name = central.get("NAME")
        if name not in KNOWN_PLANETS:
            yield new_problem(
                "BODY.RADIUS",
                "error",
                f"an ephemeris needs the central body's RADIUS in km: ExPRES knows the radius "
                f"of {', '.join(KNOWN_PLANETS)} only, not of {name!r}",
                "give the RADIUS (and every distance) in km",
            )
    for i, body in enumerate(dicts_in(document, "BODY")):
        if body.get("PHASE") == "auto" and body.get("PARENT") not in KNOWN_PLANETS:
            yield new_problem(
                f"BODY[{i}].PHASE",
                "error",
                f'"auto" in planetary radii works only for a body orbiting one of '
                f"{', '.join(KNOWN_PLANETS)}",
                "give every distance in km, or the phase in degrees",
            )


def _output_pitfalls(document: Dict[str, Any]) -> Iterator[Problem]:
    """What makes ExPRES's output files surprising."""
    doi = as_dict(document.get("SIMU")).get("DOI")
    if isinstance(doi, str) and "/" in doi:
        yield new_problem(
            "SIMU.DOI",
            "warning",
            "contains '/': ExPRES puts it, lower-cased, in a file name, where '/' makes a "
            "sub-directory (inferred)",
        )
    cdf = as_dict(as_dict(document.get("SPDYN")).get("CDF"))
    if cdf and "SRCPOS" not in cdf:
        yield new_problem(
            "SPDYN.CDF.SRCPOS",
            "warning",
            "is missing: the CDF will have no source positions",
            "add SRCPOS: false (or true)",
        )
