"""The errors uws_call_expres adds to uws_lite's hierarchy.

Local mistakes are :class:`uws_lite.InvalidRequest` subclasses (nothing was sent, or nothing
more will be); every other failure is one of uws_lite's own errors (network, HTTP status,
wait timeout, download). A failed *job* is not an error: it is an ``ExpresRun`` with ``ok=False``;
a job whose results were not all saved raises
:class:`~uws_call_expres.outcome.ResultsIncomplete`, next to the run it carries.
"""

from __future__ import annotations

from uws_lite.errors import InvalidRequest

__all__ = [
    "AccessError",
    "CdfError",
    "ConfigError",
    "MissingExtra",
    "OutputError",
    "SCIENCE_INSTALL",
]

# The command that installs what reading and plotting CDFs needs (MissingExtra's hint).
SCIENCE_INSTALL = "pip install 'uws_call_expres[science]'"


class AccessError(InvalidRequest):
    """The access settings are inconsistent (LOGIN without a token, a token without LOGIN,
    an unusable server URL or job list name); raised before any request."""


class ConfigError(InvalidRequest):
    """An input is unusable (config or ephemeris file missing, unreadable or not a JSON
    object; executionDuration or runID of the wrong type or out of the access limits);
    raised before any request."""


class OutputError(InvalidRequest):
    """The output directory cannot be used, or a result would overwrite a file while the
    overwrite policy is ``"never"``."""


class MissingExtra(InvalidRequest, ImportError):
    """An optional dependency is not installed (reading and plotting CDFs need the
    ``science`` extra: cdflib, xarray, matplotlib); the message names the command to run."""


class CdfError(InvalidRequest):
    """A CDF file cannot be read or drawn as an ExPRES result (missing, unreadable, not
    ExPRES-shaped, or without the variable asked for), or a run saved no CDF file."""
