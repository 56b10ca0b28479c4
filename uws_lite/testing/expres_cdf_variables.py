"""The variables of the ExPRES-shaped CDF (needs numpy and cdflib, imported when called).

Laid out like an ExPRES 1.4 output file (variable names, types, dims, ``DEPEND_i``, ``UNITS``,
``FILLVAL``), as built by ExPRES 1.4.3 (maserlib/ExPRES ``src/build_serpe_skt.pro``). The
values are synthetic but look like a real dynamic spectrum: each source draws curved
visibility arcs (Io-DAM-like, North up to ~38 MHz, South up to ~22 MHz); ``Theta``, ``FP`` and
``FC`` are ``FILLVAL`` (-1e31) wherever the source is not visible, as in real files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from .expres_cdf_shape import Shape

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FILL_INT2", "FILL_REAL4", "VarSpec", "variables"]

FILL_REAL4 = -1e31
FILL_INT2 = 32767

VarSpec = Tuple[Dict[str, Any], Dict[str, Any], Any]


def _spec(name: str, kind: int, dims: List[int], *, varying: bool = True, chars: int = 1) -> Any:
    return {
        "Variable": name,
        "Data_Type": kind,
        "Num_Elements": chars,
        "Rec_Vary": varying,
        "Dim_Sizes": dims,
    }


def _data_attrs(
    name: str, catdesc: str, units: str, depends: List[str], valid: Tuple[float, float]
) -> Dict[str, Any]:
    attrs: Dict[str, Any] = {
        "FIELDNAM": name,
        "LABLAXIS": name,
        "CATDESC": catdesc,
        "UNITS": units,
        "VAR_TYPE": "data",
        "DISPLAY_TYPE": "spectrogram" if len(depends) > 1 else "time_series",
        "FILLVAL": [FILL_REAL4, "CDF_REAL4"],
        "VALIDMIN": [valid[0], "CDF_REAL4"],
        "VALIDMAX": [valid[1], "CDF_REAL4"],
        "FORMAT": "E12.2",
    }
    for i, depend in enumerate(depends):
        attrs[f"DEPEND_{i}"] = depend
    return attrs


def variables(shape: Shape) -> List[VarSpec]:
    """Every variable of the file for ``shape``: (spec, attributes, data) for cdflib's
    ``write_var``, in ExPRES's order."""
    import numpy as np
    from cdflib import cdfepoch

    t0 = shape.start
    base = cdfepoch.compute_tt2000([t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second, 0])
    epoch = np.array([int(base) + round(m * 60e9) for m in shape.minutes], dtype=np.int64)
    visible, theta = _pattern(shape)
    return [
        *_support(shape, epoch),
        _polarization(shape, visible),
        *_physics(shape, visible, theta, epoch),
    ]


def _support(shape: Shape, epoch: np.ndarray) -> List[VarSpec]:
    """Time and frequency axes, and the label variables."""
    import numpy as np
    from cdflib.cdfwrite import CDF

    freqs, sources = len(shape.frequencies), len(shape.labels)
    frequency = np.array(shape.frequencies, dtype=np.float32)
    width = max(len(label) for label in shape.labels)
    return [
        (
            _spec("Epoch", CDF.CDF_TIME_TT2000, []),
            {
                "FIELDNAM": "Epoch",
                "CATDESC": "Default time",
                "UNITS": "ns",
                "VAR_TYPE": "support_data",
                "MONOTON": "INCREASE",
                "TIME_BASE": "J2000",
                "TIME_SCALE": "Terrestrial Time",
                "FILLVAL": [int(np.iinfo(np.int64).min), "CDF_TIME_TT2000"],
            },
            epoch,
        ),
        (
            _spec("Frequency", CDF.CDF_REAL4, [freqs], varying=False),
            {
                "FIELDNAM": "Frequency",
                "CATDESC": "Observation Frequency",
                "UNITS": "MHz",
                "VAR_TYPE": "support_data",
                "SCALETYP": "logarithm" if shape.log_frequency else "linear",
                "FILLVAL": [FILL_REAL4, "CDF_REAL4"],
                "VALIDMIN": [float(frequency.min()), "CDF_REAL4"],
                "VALIDMAX": [float(frequency.max()), "CDF_REAL4"],
            },
            frequency,
        ),
        (
            _spec("Freq_Label", CDF.CDF_CHAR, [freqs], varying=False, chars=9),
            {"VAR_TYPE": "metadata"},
            [f"{f:5.2f} MHz".rjust(9) for f in shape.frequencies],
        ),
        (
            _spec("Src_ID_Label", CDF.CDF_CHAR, [sources], varying=False, chars=width),
            {"VAR_TYPE": "metadata"},
            [label.ljust(width) for label in shape.labels],
        ),
        (
            _spec("Hemisphere_ID_Label", CDF.CDF_CHAR, [2], varying=False, chars=5),
            {"VAR_TYPE": "metadata"},
            ["North", "South"],
        ),
        (
            _spec("Src_Pos_Coord", CDF.CDF_CHAR, [3], varying=False, chars=1),
            {"VAR_TYPE": "metadata"},
            ["X", "Y", "Z"],
        ),
    ]


def _polarization(shape: Shape, visible: np.ndarray) -> VarSpec:
    import numpy as np
    from cdflib.cdfwrite import CDF

    times, freqs, sources = len(shape.minutes), len(shape.frequencies), len(shape.labels)
    # Polarization: -1 North (RX), +1 South, the last visible source wins; 32767 where none.
    sign = np.array([1 if label.endswith("SOUTH") else -1 for label in shape.labels], np.int16)
    polar = np.full((times, freqs), FILL_INT2, dtype=np.int16)
    for s in range(sources):
        polar[visible[:, :, s]] = sign[s]
    polar_attrs = {
        "FIELDNAM": "Polarization",
        "LABLAXIS": "Polarization",
        "CATDESC": "Polarization of observed sources: North: -1; South: +1",
        "UNITS": "Degree of polarization",
        "VAR_TYPE": "data",
        "DISPLAY_TYPE": "spectrogram",
        "DEPEND_0": "Epoch",
        "DEPEND_1": "Frequency",
        "FILLVAL": [FILL_INT2, "CDF_INT2"],
        "VALIDMIN": [-1, "CDF_INT2"],
        "VALIDMAX": [1, "CDF_INT2"],
        "FORMAT": "I5",
    }
    return (_spec("Polarization", CDF.CDF_INT2, [freqs]), polar_attrs, polar)


def _pattern(shape: Shape) -> Tuple[np.ndarray, np.ndarray]:
    """Where each source is visible ``[time, frequency, source]`` and its beaming angle there.

    Arcs at fixed fractions of the run's span (so a short run shows some too), shaped like
    Io-DAM arcs: at frequency f a North arc is seen ``0.25 * span * (f/fmax - 0.5)**2`` after
    its vertex (a "(" shape, vertex-early), a South one as long before it (")", vertex-late),
    over a window that narrows towards fmax.
    """
    import numpy as np

    u = np.array(shape.minutes, dtype=np.float64)
    u = (u - u[0]) / max(u[-1] - u[0], 1e-9)  # 0..1 over the run
    f = np.array(shape.frequencies, dtype=np.float64)
    fmax_all = max(float(f.max()), 1e-6)
    times, freqs, sources = len(u), len(f), len(shape.labels)
    visible = np.zeros((times, freqs, sources), dtype=bool)
    theta = np.zeros((times, freqs, sources), dtype=np.float64)
    for s, label in enumerate(shape.labels):
        south = label.endswith("SOUTH")
        fmax = min(22.0 if south else 38.0, 0.9 * fmax_all) * (1.0 - 0.06 * (s // 2))
        x = np.clip(f / fmax, 0.0, None)  # 1 at the arc's top frequency
        for vertex in (0.22 + 0.05 * s, 0.68 + 0.05 * s) if not south else (0.3, 0.8):
            lag = (-1.0 if south else 1.0) * 0.25 * (np.minimum(x, 1.0) - 0.5) ** 2
            centre = vertex + lag  # per frequency
            half = 0.01 + 0.014 * (1.0 - np.minimum(x, 1.0))
            distance = np.abs(u[:, None] - centre[None, :])
            seen = (distance < half[None, :]) & (x[None, :] <= 1.0) & (f[None, :] > 0.3)
            visible[:, :, s] |= seen
            angle = 88.0 - 30.0 * x[None, :] - 120.0 * distance
            theta[:, :, s] = np.where(seen, angle, theta[:, :, s])
    return visible, np.clip(theta, 0.0, 90.0)


def _physics(
    shape: Shape, visible: np.ndarray, theta: np.ndarray, epoch: np.ndarray
) -> List[VarSpec]:
    import numpy as np
    from cdflib.cdfwrite import CDF

    freqs, sources = len(shape.frequencies), len(shape.labels)
    f = np.array(shape.frequencies, dtype=np.float64)[None, :, None]
    grids = {
        "THETA": ("Theta", "Beaming Angle of observed sources", "Degree", theta, (0.0, 90.0)),
        "FC": ("FC", "Cyclotron Frequency in the Source", "MHz", f * 1.02 + 0 * theta, (0, 45)),
        "FP": ("FP", "Plasma Frequency in the Source", "MHz", f * 0.04 + 0 * theta, (0, 45)),
    }
    out: List[VarSpec] = []
    depends = ["Epoch", "Frequency", "Src_ID_Label"]
    for flag, (name, catdesc, units, values, valid) in grids.items():
        if flag in shape.variables:
            data = np.where(visible, values, FILL_REAL4).astype(np.float32)
            attrs = _data_attrs(name, catdesc, units, depends, valid)
            attrs.update({"LABL_PTR_1": "Freq_Label", "LABL_PTR_2": "Src_ID_Label"})
            out.append((_spec(name, CDF.CDF_REAL4, [freqs, sources]), attrs, data))
    hours = (epoch - epoch[0]).astype(np.float64) / 3.6e12
    series = {
        "CML": ("CML", "Central Meridian Longitude of Observer", "deg", (hours * 36.27) % 360),
        "OBSLATITUDE": (
            "ObsLatitude",
            "Latitude of Observer in Planetary Frame",
            "deg",
            3.3 + 0.1 * np.sin(hours / 24.0),
        ),
        "OBSDISTANCE": (
            "ObsDistance",
            "Distance of Observer from Planet",
            "Rp",
            9300.0 + 2.0 * hours,
        ),
    }
    for flag, (name, catdesc, units, values) in series.items():
        if flag in shape.variables:
            attrs = _data_attrs(name, catdesc, units, ["Epoch"], (-360.0, 1e30))
            out.append((_spec(name, CDF.CDF_REAL4, []), attrs, values.astype(np.float32)))
    if "OBSLOCALTIME" in shape.variables:
        catdesc = "Local Time of Observer in Planetary Frame"
        attrs = _data_attrs("ObsLocalTime", catdesc, "hr", ["Epoch"], (0.0, 24.0))
        out.append((_spec("ObsLocalTime", CDF.CDF_REAL4, []), attrs, None))
    if "SRCFREQMAX" in shape.variables:
        column = np.array(shape.frequencies, dtype=np.float64)[:, None]
        fmax = np.where(visible.any(axis=0), column, 0.0).max(axis=0)  # [S]
        for name, factor, extra in (("SrcFreqMax", 1.0, ""), ("SrcFreqMaxCMI", 0.92, " (CMI)")):
            row = (fmax * factor).astype(np.float32)
            data = np.repeat(row[None, :], len(hours), axis=0)
            catdesc = f"Maximal Frequency on the Magnetic Flux Tube{extra}"
            attrs = _data_attrs(name, catdesc, "MHz", ["Epoch", "Src_ID_Label"], (0.0, 65.0))
            out.append((_spec(name, CDF.CDF_REAL4, [sources]), attrs, data))
    return out
