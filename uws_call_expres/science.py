"""Open an ExPRES output CDF as an :class:`xarray.Dataset` and draw its quick-look.

Needs the ``science`` extra (``pip install 'uws_call_expres[science]'``: cdflib, xarray,
matplotlib); without it every function raises :class:`~uws_call_expres.errors.MissingExtra`.
The file is read with cdflib (pure Python), never spacepy, so the NASA CDF library is not needed.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from .errors import SCIENCE_INSTALL, CdfError, MissingExtra

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

__all__ = [
    "FIGURE_WIDTH",
    "PANEL_HEIGHT",
    "HEADER_HEIGHT",
    "DPI",
    "quicklook",
    "read_cdf",
    "require",
]

# Quick-look figure: 10 in wide, 1.1 in + 2.3 in per panel high, 100 dpi (so a two-source
# Theta figure is 1000 x 570 pixels).
FIGURE_WIDTH = 10.0
PANEL_HEIGHT = 2.3
HEADER_HEIGHT = 1.1
DPI = 100

# DEPEND_i variable -> dimension name (maser4py's names for the first three).
_DIMS = {
    "Epoch": "time",
    "Frequency": "frequency",
    "Src_ID_Label": "source",
    "Hemisphere_ID_Label": "hemisphere",
    "Src_Pos_Coord": "xyz",
}
_SUPPORT = frozenset(_DIMS) | {"Freq_Label"}
# maser4py's order: frequency first, so ``ds.Theta.sel(source=...).plot()`` puts time on x.
_ORDER = ("frequency", "time", "source", "hemisphere", "xyz")


def require(*modules: str) -> None:
    """Import ``modules`` (default: cdflib, xarray, matplotlib) or raise MissingExtra."""
    for name in modules or ("cdflib", "xarray", "matplotlib"):
        try:
            import_module(name)
        except ImportError as exc:
            raise MissingExtra(
                f"reading and plotting ExPRES CDF files needs {name}, which is not installed: "
                f"run {SCIENCE_INSTALL}"
            ) from exc


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1").strip()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, tuple)):
        return [_text(item) for item in value]
    return value


def _labels(cdf: Any, name: str, variables: List[str]) -> Optional[List[str]]:
    if name not in variables:
        return None
    values = cdf.varget(name)
    return [str(_text(v)) for v in (values.tolist() if hasattr(values, "tolist") else values)]


def _masked(values: np.ndarray, fill: Any) -> np.ndarray:
    import numpy as np

    kind = np.float64 if values.dtype == np.float64 else np.float32
    data = values.astype(kind)
    if fill is not None:
        # Compare in the variable's own type: a float32 -1e31 is not float64 -1e31.
        data[values == np.asarray(fill).astype(values.dtype)] = np.nan
    return data


def read_cdf(path: Union[str, os.PathLike[str]]) -> xr.Dataset:
    """Read an ExPRES output CDF into an :class:`xarray.Dataset`.

    Follows maser4py's ``ExpresCdfData.as_xarray`` naming: the dimensions are ``time``
    (from ``Epoch``, TT2000 → ``datetime64[ns]`` UTC), ``frequency`` (``Frequency``, float, attr
    ``units`` = ``"MHz"``) and ``source`` (the ``Src_ID_Label`` strings, e.g. ``"Io NORTH"``),
    and arrays are ordered (frequency, time, source) like maser4py's, so
    ``ds["Theta"].sel(source="Io NORTH").plot()`` draws the usual dynamic spectrum. Unlike
    maser4py, ``VisibleSources`` (dim ``hemisphere``) and ``SrcPosition`` (dim ``xyz``) are
    read too. Each variable keeps its CDF name; attrs ``units`` (``UNITS``), ``title`` and
    ``long_name`` (``CATDESC``). ``FILLVAL`` cells ("not visible") become NaN, so INT2
    ``Polarization`` becomes float32. Variables without records (``ObsLocalTime``) are left out.
    The global attributes are the Dataset's attrs (one string, or a list for multi-entry ones).

    Raises MissingExtra without the ``science`` extra, CdfError for a missing file or a CDF
    without ``Epoch``/``Frequency``.
    """
    require("cdflib", "xarray")
    import cdflib
    import xarray as xr

    file = Path(path)
    if not file.is_file():
        raise CdfError(f"no CDF file at {file}: check the path")
    try:
        cdf = cdflib.CDF(str(file))
        variables = list(cdf.cdf_info().zVariables)
    except Exception as exc:  # cdflib raises OSError, ValueError, NotFoundError...
        raise CdfError(f"{file} is not a readable CDF file: {exc}") from exc
    if "Epoch" not in variables or "Frequency" not in variables:
        raise CdfError(f"{file} is not an ExPRES output CDF (no Epoch or Frequency variable)")
    coords = _coordinates(cdf, variables)
    data_vars: Dict[str, Any] = {}
    for name in variables:
        if name in _SUPPORT:
            continue
        array = _data_array(cdf, name, coords)
        if array is not None:
            data_vars[name] = array
    used = {dim for _, (dims, _, _) in data_vars.items() for dim in dims}
    coords = {k: v for k, v in coords.items() if k in ("time", "frequency", "source") or k in used}
    attrs = {key: _global(value) for key, value in cdf.globalattsget().items()}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _global(value: Any) -> Any:
    value = _text(value)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _coordinates(cdf: Any, variables: List[str]) -> Dict[str, Any]:
    import cdflib
    import numpy as np

    epoch = np.asarray(cdflib.cdfepoch.to_datetime(cdf.varget("Epoch")), dtype="datetime64[ns]")
    frequency = np.asarray(cdf.varget("Frequency"), dtype=np.float64).reshape(-1)
    freq_attrs = cdf.varattsget("Frequency")
    coords: Dict[str, Any] = {
        "time": ("time", epoch, {"long_name": "Time", "standard_name": "time"}),
        "frequency": (
            "frequency",
            frequency,
            {
                "units": str(_text(freq_attrs.get("UNITS", "MHz"))),
                "long_name": "Frequency",
                "scale": str(_text(freq_attrs.get("SCALETYP", "linear"))),
            },
        ),
    }
    for name, dim in (
        ("Src_ID_Label", "source"),
        ("Hemisphere_ID_Label", "hemisphere"),
        ("Src_Pos_Coord", "xyz"),
    ):
        labels = _labels(cdf, name, variables)
        if labels is not None:
            coords[dim] = (dim, labels)
    return coords


def _data_array(cdf: Any, name: str, coords: Dict[str, Any]) -> Optional[Tuple[Any, ...]]:
    import numpy as np

    attrs = cdf.varattsget(name)
    inquiry = cdf.varinq(name)
    if inquiry.Last_Rec < 0 and inquiry.Rec_Vary:
        return None  # declared, never written (ObsLocalTime)
    values = np.asarray(cdf.varget(name))
    depends = [str(_text(attrs[f"DEPEND_{i}"])) for i in range(4) if f"DEPEND_{i}" in attrs]
    dims = [_DIMS.get(depend, f"{name}_dim{i}") for i, depend in enumerate(depends)]
    if not dims or values.ndim != len(dims):
        return None  # not an ExPRES data variable (or an unexpected layout): skip it
    sizes = {dim: len(coords[dim][1]) for dim in dims if dim in coords}
    if any(values.shape[i] != sizes.get(dim, values.shape[i]) for i, dim in enumerate(dims)):
        return None
    data = _masked(values, attrs.get("FILLVAL"))
    order = sorted(
        range(len(dims)), key=lambda i: _ORDER.index(dims[i]) if dims[i] in _ORDER else 9
    )
    data = np.transpose(data, order)
    title = str(_text(attrs.get("CATDESC", name)))
    info = {"units": str(_text(attrs.get("UNITS", ""))), "title": title, "long_name": title}
    return ([dims[i] for i in order], data, info)


def quicklook(
    source: Union[str, os.PathLike[str], xr.Dataset],
    out: Union[str, os.PathLike[str]],
    *,
    variable: str = "Theta",
    cmap: str = "viridis",
    title: Optional[str] = None,
) -> Path:
    """Draw the standard ExPRES dynamic spectrum of ``variable`` and write it as a PNG.

    ``source`` is a CDF path or a Dataset from :func:`read_cdf`. One panel per source
    (``Src_ID_Label``; one panel for a variable without a source dim, e.g. Polarization):
    x = time (UTC), y = frequency (MHz, log axis when the file says so), colour = the
    variable with one colour bar ``"{variable} [{units}]"`` shared by the panels; cells where
    the source is not visible (NaN) are left grey. The figure is :data:`FIGURE_WIDTH` inches
    wide and ``HEADER_HEIGHT + PANEL_HEIGHT * panels`` high at :data:`DPI` dots per inch
    (1000 x 570 pixels for two sources), drawn with matplotlib's Agg backend (no display
    needed). Returns the PNG's path. Raises MissingExtra, or CdfError when the variable is
    absent or is not a (time, frequency) quantity.
    """
    require("cdflib", "xarray", "matplotlib")
    dataset = source if not isinstance(source, (str, os.PathLike)) else read_cdf(source)
    if variable not in dataset.data_vars:
        known = ", ".join(sorted(str(k) for k in dataset.data_vars)) or "none"
        raise CdfError(f"no variable {variable!r} in the CDF (variables: {known})")
    array = dataset[variable]
    if "time" not in array.dims or "frequency" not in array.dims:
        raise CdfError(f"{variable!r} is not a spectrogram (dims {array.dims}): pick e.g. Theta")
    extra = [str(dim) for dim in array.dims if dim not in ("frequency", "time")]
    if len(extra) > 1:
        raise CdfError(f"{variable!r} has dims {array.dims}: only one besides time, frequency")
    label = dataset.attrs.get("Logical_file_id")
    if not isinstance(label, str) or not label:
        label = Path(source).name if isinstance(source, (str, os.PathLike)) else "ExPRES"
    path = Path(out)
    figure = _draw(array, extra[0] if extra else None, cmap, title or label)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def _panels(array: Any, dim: Optional[str]) -> List[Tuple[str, Any]]:
    if dim is None:
        return [(str(array.name), array)]
    names = [str(v) for v in array[dim].values] if dim in array.coords else None
    return [
        (names[i] if names else f"{dim} {i}", array.isel({dim: i})) for i in range(array.sizes[dim])
    ]


def _draw(array: Any, dim: Optional[str], cmap: str, title: str) -> Any:
    # A bare Figure draws with Agg and touches no pyplot state: no display, thread-safe.
    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.figure import Figure

    panels = _panels(array, dim)
    # Whole pixels, plus a quarter pixel: matplotlib versions differ in truncating or rounding
    # inches x dpi (5.7 x 100 is 569.99...), and the picture's size must not depend on that.
    height_px = round((HEADER_HEIGHT + PANEL_HEIGHT * len(panels)) * DPI)
    width_px = round(FIGURE_WIDTH * DPI)
    figure = Figure(
        figsize=((width_px + 0.25) / DPI, (height_px + 0.25) / DPI), layout="constrained"
    )
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)
    values = np.asarray(array.values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    times = array["time"].values
    freqs = array["frequency"].values
    units = str(array.attrs.get("units", ""))
    mesh: Any = None
    for axis, (name, panel) in zip(axes[:, 0], panels):
        grid = np.asarray(panel.transpose("frequency", "time").values, dtype=np.float64)
        axis.set_facecolor("0.85")
        mesh = axis.pcolormesh(
            times, freqs, grid, cmap=cmap, vmin=low, vmax=high, shading="nearest"
        )
        if str(array["frequency"].attrs.get("scale", "")).startswith("log"):
            axis.set_yscale("log")
        axis.set_ylabel(f"Frequency ({array['frequency'].attrs.get('units', 'MHz')})")
        axis.set_title(name, loc="left", fontsize="medium")
    bottom = axes[-1, 0]
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_formatter(formatter)
    bottom.set_xlabel("Time (UTC)")
    bar = figure.colorbar(mesh, ax=list(axes[:, 0]), fraction=0.04, pad=0.01)
    bar.set_label(f"{array.name} [{units}]" if units else str(array.name))
    figure.suptitle(f"{title}: {array.name} (grey: not visible)", fontsize="medium")
    return figure
