"""Output size and run time of an ExPRES config (the project's reference notes on ExPRES
configs, §6): :func:`estimate_cdf_size` and the warnings of :func:`load_problems`.

No ExPRES run was timed for this (there is no public benchmark): the run-time model is a
proportionality to the saved example, stated with its thresholds in :func:`load_problems`.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from .checks_base import Problem, as_dict, as_int, dicts_in, new_problem

__all__ = ["estimate_cdf_size", "load_problems"]

# -- size and run time (reference notes §6) -------------------------------------------------
_CDF_METADATA_BYTES = 40_000
# The saved example (T=1440 steps, F=781 frequencies, S=2 sources) is a documented-scale run:
# "a few tens of seconds to a few minutes". Taking it as at most 150 s, the 600 s guest limit
# is reached near 4x its work T*S*F, and the 3 h limit near 72x (an estimate, not measured).
_EXAMPLE_WORK = 1440 * 2 * 781
_GUEST_WORK_LIMIT = 4 * _EXAMPLE_WORK
_AUTH_WORK_LIMIT = 72 * _EXAMPLE_WORK
_GUEST_BYTES_LIMIT = 250_000_000  # about 8x the example's 29 MB CDF
_AUTH_BYTES_LIMIT = 2_000_000_000


def estimate_cdf_size(
    document: Dict[str, Any], *, time_steps: Optional[int] = None
) -> Optional[int]:
    """The uncompressed size in bytes of the CDF a config produces, or None if unknown.

    Model (reference notes §6, checked there against a cdflib replica of the example's
    layout, 29,340,304 bytes): with T time steps (``TIME.NBR``, or ``time_steps`` for an
    ephemeris), F frequencies (``FREQUENCY.NBR``, or the length of a Pre-Defined ``SC``
    list) and S = the sum of ``LG_NBR`` over the active sources, each record holds
    8 + 2F bytes (Epoch, Polarization), plus 4FS per THETA, FP, FC and AZIMUTH, 12FS for
    SRCPOS, 4F for SRCVIS, 4 per CML, OBSLATITUDE and OBSDISTANCE, 4S for SRCLONGITUDE and
    8S for SRCFREQMAX (OBSLOCALTIME writes no records); size = T x record + 13F + 40 kB.
    """
    axes = _axes(document, time_steps)
    if axes is None:
        return None
    t, f, s = axes
    cdf = as_dict(as_dict(document.get("SPDYN")).get("CDF"))

    def on(*keys: str) -> int:
        return sum(1 for key in keys if cdf.get(key) is True)

    record = 8 + 2 * f + 4 * f * s * on("THETA", "FP", "FC", "AZIMUTH") + 12 * f * s * on("SRCPOS")
    record += 4 * f * on("SRCVIS") + 4 * on("CML", "OBSLATITUDE", "OBSDISTANCE")
    record += 4 * s * on("SRCLONGITUDE") + 8 * s * on("SRCFREQMAX")
    return t * record + 13 * f + _CDF_METADATA_BYTES


def load_problems(
    document: Dict[str, Any], authenticated: bool, ephemeris_rows: Optional[int]
) -> List[Problem]:
    """Warnings for a run likely to pass the time limit or to make a very large output
    (``ephemeris_rows``: the ephemeris's line count when the config uses one)."""
    return list(_load_warnings(document, authenticated, ephemeris_rows))


def _load_warnings(
    document: Dict[str, Any], authenticated: bool, ephemeris_rows: Optional[int]
) -> Iterator[Problem]:
    """Warnings for a run likely to pass the time limit or to make a very large output.

    Run time: ExPRES's main loop runs once per time step over all objects, with per-step work
    in F, so the work is taken as T x S x F and compared with the saved example's (T=1440,
    S=2, F=781: a documented-scale run, taken as at most 150 s): a guest run (600 s) is
    flagged above 4x that work, an authenticated one (3 h) above 72x. Movies (MOVIE2D/3D ON)
    are flagged for guests (likely the slowest option). Size: the CDF of
    :func:`estimate_cdf_size` plus, with ``SPDYN.INFOS``, the IDL .sav of 8 x S x T x F
    bytes; flagged above 250 MB for a guest and 2 GB when authenticated.
    """
    if not authenticated:
        for key in ("MOVIE2D", "MOVIE3D"):
            if as_dict(document.get(key)).get("ON") is True:
                yield new_problem(
                    f"{key}.ON",
                    "warning",
                    "a movie is likely the slowest output (inferred): a guest run may pass the "
                    "600 s limit",
                    "raise SUBCYCLE, or turn the movie off",
                )
    uses_ephemeris = bool(as_dict(document.get("OBSERVER")).get("EPHEM"))
    rows = ephemeris_rows if uses_ephemeris else None
    size = estimate_cdf_size(document, time_steps=rows)
    axes = _axes(document, rows)
    if (uses_ephemeris and rows is None) or size is None or axes is None:
        return  # unknown axes (with an ephemeris: its rows are the time steps)
    t, f, s = axes
    if as_dict(document.get("SPDYN")).get("INFOS") is True:
        size += 8 * s * t * f
    limit_s, work_limit, byte_limit = (
        (10_800, _AUTH_WORK_LIMIT, _AUTH_BYTES_LIMIT)
        if authenticated
        else (600, _GUEST_WORK_LIMIT, _GUEST_BYTES_LIMIT)
    )
    shape = f"T={t} steps x F={f} frequencies x S={s} sources"
    if t * s * f > work_limit:
        yield new_problem(
            "",
            "warning",
            f"a large run ({shape}, {t * s * f / _EXAMPLE_WORK:.0f}x the ExPRES example's "
            f"work): it may pass the {limit_s} s limit and be killed",
            "fewer time steps, frequencies or longitudes"
            + ("" if authenticated else ", or authenticated access (3 h)"),
        )
    if size > byte_limit:
        yield new_problem(
            "",
            "warning",
            f"a very large output: about {size / 1e6:.0f} MB ({shape})",
            "turn off SPDYN.CDF flags you do not need, or use fewer steps",
        )


def _axes(document: Dict[str, Any], time_steps: Optional[int]) -> Optional[Tuple[int, int, int]]:
    """(T, F, S): time steps, frequencies, sum of LG_NBR over active sources; None if unknown."""
    freq = as_dict(document.get("FREQUENCY"))
    sc = freq.get("SC")
    steps = (
        time_steps if time_steps is not None else as_int(as_dict(document.get("TIME")).get("NBR"))
    )
    if freq.get("TYPE") == "Pre-Defined" and isinstance(sc, list):
        frequencies: Optional[int] = len(sc)
    else:
        frequencies = as_int(freq.get("NBR"))
    sources = [x for x in dicts_in(document, "SOURCE") if x.get("ON") is True]
    counts = [as_int(x.get("LG_NBR")) for x in sources]
    if steps is None or frequencies is None or any(c is None for c in counts):
        return None
    return max(steps, 0), max(frequencies, 0), sum(max(c or 0, 0) for c in counts)
