"""uws_call_expres: run ExPRES on demand, on https://voparis-uws-maser.obspm.fr.

    from uws_call_expres import uws_call_expres
    run = uws_call_expres(FILE="example.json", LOOP=True)   # the documented call
    print(run.ok, run.job_id, run.files)

The documented function with its bugs fixed, returning an :class:`ExpresRun`;
:func:`attach` takes over a running job; :func:`run_sweep` runs several configs;
:func:`run_grid` runs a parameter grid over one config, and resumes it.
``run.open()``, :func:`read_cdf` and :func:`quicklook` read and draw the result CDF
(``pip install 'uws_call_expres[science]'``).
Command line: ``python -m uws_call_expres --help``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uws_lite._version import __version__

    from .access import Access
    from .checks import check_config
    from .checks_base import Problem
    from .errors import (
        AccessError,
        CdfError,
        ConfigError,
        MissingExtra,
        OutputError,
    )
    from .grid import GridOutcome, GridPoint, run_grid
    from .outcome import ExpresRun, ResultsIncomplete
    from .run import attach, uws_call_expres
    from .science import quicklook, read_cdf
    from .sweep import SweepItem, SweepResults, run_sweep

__all__ = [
    "uws_call_expres",
    "attach",
    "run_sweep",
    "run_grid",
    "ExpresRun",
    "SweepItem",
    "GridOutcome",
    "GridPoint",
    "SweepResults",
    "Access",
    # checking a config before it is sent
    "check_config",
    "Problem",
    # reading and plotting a result (the "science" extra: cdflib, xarray, matplotlib)
    "read_cdf",
    "quicklook",
    # errors (local mistakes; server and network failures are uws_lite's errors)
    "AccessError",
    "ConfigError",
    "OutputError",
    "ResultsIncomplete",
    "CdfError",
    "MissingExtra",
    "__version__",
]

# Names are imported on first use (PEP 562), so that `python -m uws_call_expres --help`
# starts without loading requests, lxml or the client.
_LAZY = {
    "uws_call_expres": ".run",
    "attach": ".run",
    "run_sweep": ".sweep",
    "ExpresRun": ".outcome",
    "SweepItem": ".sweep",
    "run_grid": ".grid",
    "GridOutcome": ".grid",
    "GridPoint": ".grid",
    "SweepResults": ".sweep",
    "Access": ".access",
    "check_config": ".checks",
    "Problem": ".checks_base",
    "AccessError": ".errors",
    "ConfigError": ".errors",
    "OutputError": ".errors",
    "ResultsIncomplete": ".outcome",
    "CdfError": ".errors",
    "MissingExtra": ".errors",
    "read_cdf": ".science",
    "quicklook": ".science",
    "__version__": "uws_lite._version",  # the one version of both packages
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
