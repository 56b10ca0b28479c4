"""Local checks on the inputs of a run, before anything is sent.

Errors (:class:`ConfigError`) stop the run: a missing or unreadable file, a config that is not
a JSON object, an executionDuration that is not a positive integer within the access limit.
Warnings only flag what ExPRES is likely to reject later (missing sections, an ephemeris that
the config does not name as uploaded): the server accepts anything and fails minutes later.
"""

from __future__ import annotations

import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from .errors import ConfigError

__all__ = [
    "EXPRES_SECTIONS",
    "DEFAULT_RUN_ID",
    "CheckedInputs",
    "check_execution_duration",
    "check_inputs",
    "check_run_id",
]

PathLike = Union[str, "os.PathLike[str]"]

# The top-level sections every ExPRES config has (the "required" list of the ExPRES JSON
# schema v1.0.3, maserlib/ExPRES schema/expres-v1.0.3.json).
EXPRES_SECTIONS = (
    "SIMU",
    "NUMBER",
    "TIME",
    "FREQUENCY",
    "OBSERVER",
    "SPDYN",
    "MOVIE2D",
    "MOVIE3D",
    "BODY",
    "SOURCE",
)
DEFAULT_RUN_ID = "test_job"
# A config is a few kB; refusing huge files keeps a wrong path (a CDF, a tarball) from being
# read into memory and uploaded.
_MAX_CONFIG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class CheckedInputs:
    """The inputs of one run, checked: absolute paths, the duration as an int, warnings."""

    config: Path
    ephemeris: Optional[Path]
    execution_duration: Optional[int]
    warnings: Tuple[str, ...] = ()


# Kept in sync with example.EXAMPLE_CONFIG_COMMAND (tests/expres/test_example.py checks it).
_EXAMPLE_HINT = (
    " To get an example config: python -m uws_call_expres --example-config example.json"
    " (or try python -m uws_call_expres --demo)."
)


def check_inputs(
    config: PathLike,
    ephemeris: Optional[PathLike],
    execution_duration: Union[int, str, None],
    *,
    max_duration: int,
    authenticated: bool,
) -> CheckedInputs:
    """Check the files and the duration; raise :class:`ConfigError` or return warnings."""
    config_path = _readable_file(config, "FILE (the ExPRES config)", missing_hint=_EXAMPLE_HINT)
    ephem_path = (
        None if ephemeris is None else _readable_file(ephemeris, "FILE_EPHEM (the ephemeris)")
    )
    document = _load_json_object(config_path)
    duration = check_execution_duration(
        execution_duration, max_duration=max_duration, authenticated=authenticated
    )
    warnings = _sanity_warnings(config_path, document, ephem_path)
    return CheckedInputs(config_path, ephem_path, duration, tuple(warnings))


def check_execution_duration(
    value: Union[int, str, None], *, max_duration: int, authenticated: bool
) -> Optional[int]:
    """``value`` as a positive number of seconds within the access limit (None: not sent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError("executionDuration must be a number of seconds, not True/False.")
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ConfigError(
                f"executionDuration {value!r} is not a whole number of seconds (e.g. 600)."
            )
        seconds = int(text)
    else:
        try:
            seconds = operator.index(value)
        except TypeError:
            raise ConfigError(
                f"executionDuration must be an integer number of seconds (int or numeric "
                f"string), not {type(value).__name__} {value!r}."
            ) from None
    if seconds <= 0:
        raise ConfigError(f"executionDuration must be positive, got {seconds}.")
    if seconds > max_duration:
        who = "authenticated users" if authenticated else "guests"
        hint = "" if authenticated else " (authenticated access allows 3 hours)"
        raise ConfigError(
            f"executionDuration {seconds} s is over the {max_duration} s limit for {who}"
            f"{hint}: the server would kill the run."
        )
    return seconds


def check_run_id(run_id: Optional[str]) -> str:
    """The run id to send: ``"test_job"`` by default (the documented default)."""
    if run_id is None:
        return DEFAULT_RUN_ID
    if not isinstance(run_id, str) or not run_id.strip():
        raise ConfigError(f"runID must be a non-empty string, got {run_id!r}.")
    if any(ord(c) < 32 or ord(c) == 127 for c in run_id):
        raise ConfigError(f"runID {run_id!r} contains control characters.")
    return run_id


def _readable_file(value: PathLike, what: str, *, missing_hint: str = "") -> Path:
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigError(f"{what} must be a file path, got {value!r}.")
    path = Path(os.fspath(value)).expanduser()
    if not path.exists():
        raise ConfigError(f"{what} {os.fspath(value)!r} does not exist.{missing_hint}")
    if not path.is_file():
        raise ConfigError(f"{what} {os.fspath(value)!r} is not a regular file.")
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as exc:
        raise ConfigError(f"{what} {os.fspath(value)!r} cannot be read: {exc.strerror}.") from None
    return path.resolve()


def _load_json_object(path: Path) -> Dict[str, Any]:
    if path.stat().st_size > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{path.name} is larger than 16 MiB: not an ExPRES config.")
    try:
        # utf-8-sig: a byte-order mark written by some editors is not a JSON error.
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name} is not UTF-8 text (byte {exc.start}): an ExPRES config is JSON."
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path.name} holds a JSON {type(document).__name__}, not an object: an ExPRES "
            "config is an object with SIMU, NUMBER, TIME, ... sections."
        )
    return document


def _sanity_warnings(config: Path, document: Dict[str, Any], ephem: Optional[Path]) -> List[str]:
    warnings: List[str] = []
    missing = [name for name in EXPRES_SECTIONS if name not in document]
    if missing:
        warnings.append(
            f"{config.name} has no {', '.join(missing)} section"
            f"{'s' if len(missing) > 1 else ''}: ExPRES will probably reject it."
        )
    observer = document.get("OBSERVER")
    named = observer.get("EPHEM") if isinstance(observer, dict) else None
    named = named.strip() if isinstance(named, str) else ""
    if ephem is not None:
        # OPUS stores the upload under its basename; ExPRES opens OBSERVER.EPHEM by that name.
        if not named:
            warnings.append(
                f"An ephemeris ({ephem.name}) is uploaded but {config.name} does not use it "
                f"(OBSERVER.EPHEM is empty); set OBSERVER.EPHEM to {ephem.name!r}."
            )
        elif named != ephem.name:
            warnings.append(
                f"{config.name} names the ephemeris {named!r} (OBSERVER.EPHEM) but the uploaded "
                f"file is {ephem.name!r}: set OBSERVER.EPHEM to {ephem.name!r}, or upload the "
                "file it names."
            )
    elif named:
        warnings.append(
            f"{config.name} names an ephemeris {named!r} (OBSERVER.EPHEM) but none is given: "
            "pass it with FILE_EPHEM (--ephem)."
        )
    return warnings
