"""A real, small ExPRES-shaped CDF for a simulated run (needs ``cdflib``; numpy comes with it).

:func:`build` returns the bytes of a CDF laid out like an ExPRES 1.4 output file (variable names,
types, dims, ``DEPEND_i``, ``UNITS``, ``FILLVAL``, the main global attributes; big-endian, row
major, MD5 checksum, no compression): as built by
ExPRES 1.4.3 (maserlib/ExPRES ``src/build_serpe_skt.pro`` and ``src/m_cdf.pro``).

The shape follows the submitted config where that is cheap: ``TIME.MIN/MAX/NBR``,
``OBSERVER.SCTIME``, ``FREQUENCY.TYPE/MIN/MAX/NBR``, the ``ON`` sources (one per hemisphere
flag, ``LG_NBR`` times) and the ``SPDYN.CDF`` flags, with caps (:data:`MAX_TIMES`,
:data:`MAX_FREQUENCIES`, :data:`MAX_SOURCES`) so a file stays well under a megabyte. Anything
missing or unusable falls back to the saved example's shape (2015-04-30, 0.01-44 MHz linear,
``Io NORTH`` / ``Io SOUTH``).

The values are synthetic but look like a real dynamic spectrum: each source draws curved
visibility arcs (Io-DAM-like, North up to ~38 MHz, South up to ~22 MHz); ``Theta``, ``FP`` and
``FC`` are ``FILLVAL`` (-1e31) wherever the source is not visible, as in real files.

This module imports cdflib and numpy only inside :func:`build` and :func:`available`, so importing
it costs nothing; uws_lite does not depend on uws_call_expres.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "FILL_INT2",
    "FILL_REAL4",
    "MAX_FREQUENCIES",
    "MAX_SOURCES",
    "MAX_TIMES",
    "Shape",
    "available",
    "build",
    "result_bytes",
    "sha1_hex",
    "shape_of",
]

MAX_TIMES = 180
MAX_FREQUENCIES = 120
MAX_SOURCES = 6
FILL_REAL4 = -1e31
FILL_INT2 = 32767
_ROUTINE = ("THETA", "FP", "FC", "CML", "OBSLATITUDE", "OBSDISTANCE", "SRCFREQMAX")
_EXAMPLE_START = datetime(2015, 4, 30)


def available() -> bool:
    """Whether cdflib (and so numpy) can be imported: then :func:`build` works."""
    return importlib.util.find_spec("cdflib") is not None


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


def build(config: bytes) -> bytes:
    """The bytes of a small ExPRES-shaped CDF for ``config`` (raises ImportError without cdflib)."""
    from cdflib import cdfwrite

    shape = shape_of(config)
    handle, path = tempfile.mkstemp(suffix=".cdf", prefix="uws_lite_expres_")
    os.close(handle)
    os.remove(path)  # cdflib refuses to write over an existing file
    try:
        spec = {"Majority": "row_major", "Encoding": 9, "Checksum": True}  # 9 = PPC
        cdf = cdfwrite.CDF(path, cdf_spec=spec)
        try:
            cdf.write_globalattrs(_global_attributes(shape))
            for var_spec, attrs, data in _variables_of(shape):
                cdf.write_var(dict(var_spec, Compress=0), attrs, data)
        finally:
            cdf.close()
        with open(path, "rb") as stream:
            return stream.read()
    finally:
        if os.path.exists(path):
            os.remove(path)


def _global_attributes(shape: Shape) -> Dict[str, Dict[int, Any]]:
    origin = shape.labels[0].rsplit(" ", 1)[0].lower()
    source = f"expres_{shape.observer}_{shape.planet}_{origin}"
    descriptor = "vipal_lossc-wid1deg_3kev_rx"
    stop = shape.start + timedelta(minutes=shape.minutes[-1])
    file_id = f"{source}_{descriptor}_{shape.start:%Y%m%d}_v14"
    attrs: Dict[str, Dict[int, Any]] = {
        "Project": {0: "PADC", 1: "MASER"},
        "Source_name": {0: "ExPRES"},
        "Mission_group": {0: "MASER"},
        "Instrument_type": {0: "Model"},
        "Logical_source": {0: source},
        "Data_type": {0: source[len("expres_") :]},
        "Descriptor": {0: descriptor},
        "Logical_file_id": {0: file_id},
        "Data_version": {0: "01"},
        "Generated_by": {0: "uws_lite.testing (synthetic ExPRES-shaped file, not a simulation)"},
        "PDS_start_time": {0: f"{shape.start:%Y-%m-%dT%H:%M:%S}"},
        "PDS_stop_time": {0: f"{stop:%Y-%m-%dT%H:%M:%S}"},
        "PDS_Observation_target": {0: shape.planet.capitalize()},
        "VESPA_dataproduct_type": {0: "DS>Dynamic Spectrum"},
    }
    hemispheres = {i: label.rsplit(" ", 1)[-1] for i, label in enumerate(shape.labels)}
    attrs["SRP_Source_Hemisphere"] = hemispheres
    attrs["SRP_Source_Origin"] = {
        i: label.rsplit(" ", 1)[0] for i, label in enumerate(shape.labels)
    }
    return attrs


_VarSpec = Tuple[Dict[str, Any], Dict[str, Any], Any]


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


def _variables_of(shape: Shape) -> List[_VarSpec]:
    import numpy as np
    from cdflib import cdfepoch
    from cdflib.cdfwrite import CDF

    times, freqs, sources = len(shape.minutes), len(shape.frequencies), len(shape.labels)
    t0 = shape.start
    base = cdfepoch.compute_tt2000([t0.year, t0.month, t0.day, t0.hour, t0.minute, t0.second, 0])
    epoch = np.array([int(base) + round(m * 60e9) for m in shape.minutes], dtype=np.int64)
    frequency = np.array(shape.frequencies, dtype=np.float32)
    visible, theta = _pattern(shape)
    width = max(len(label) for label in shape.labels)
    out: List[_VarSpec] = [
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
    out.append((_spec("Polarization", CDF.CDF_INT2, [freqs]), polar_attrs, polar))
    out.extend(_physics(shape, visible, theta, epoch))
    return out


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
) -> List[_VarSpec]:
    import numpy as np
    from cdflib.cdfwrite import CDF

    freqs, sources = len(shape.frequencies), len(shape.labels)
    f = np.array(shape.frequencies, dtype=np.float64)[None, :, None]
    grids = {
        "THETA": ("Theta", "Beaming Angle of observed sources", "Degree", theta, (0.0, 90.0)),
        "FC": ("FC", "Cyclotron Frequency in the Source", "MHz", f * 1.02 + 0 * theta, (0, 45)),
        "FP": ("FP", "Plasma Frequency in the Source", "MHz", f * 0.04 + 0 * theta, (0, 45)),
    }
    out: List[_VarSpec] = []
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


def result_bytes(config: bytes) -> Optional[bytes]:
    """:func:`build`, or None when cdflib is missing or the build fails (the server then
    serves generated bytes instead: a simulated run never fails because of its result file)."""
    if not available():
        return None
    try:
        return build(config)
    except Exception:  # an odd config the shape rules did not foresee; numpy/cdflib errors
        return None


def sha1_hex(data: bytes) -> str:
    """The SHA-1 (hex) of a built file, as the server announces it."""
    return hashlib.sha1(data).hexdigest()  # noqa: S324 (OPUS uses SHA-1)
