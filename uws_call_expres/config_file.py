"""An ExPRES config file, read: the type of a path argument, the sections every config has,
and the checked reading of a file into its JSON document (used by the run's checks, by
:func:`~uws_call_expres.checks.check_config` and by grids)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Union

from .errors import ConfigError

__all__ = ["EXPRES_SECTIONS", "PathArg", "load_config_document", "readable_file"]

PathArg = Union[str, "os.PathLike[str]"]


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
# A config is a few kB; refusing huge files keeps a wrong path (a CDF, a tarball) from being
# read into memory and uploaded.
_MAX_CONFIG_BYTES = 16 * 1024 * 1024


def readable_file(value: PathArg, what: str, *, missing_hint: str = "") -> Path:
    """``value`` as the absolute path of a regular file that can be read; :class:`ConfigError`
    naming it as ``what`` otherwise."""
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


def load_config_document(path: Path) -> Dict[str, Any]:
    """The JSON object in the config file ``path``; :class:`ConfigError` if it is not one."""
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
    except RecursionError:
        raise ConfigError(
            f"{path.name} is nested too deeply to be read: not an ExPRES config."
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path.name} holds a JSON {type(document).__name__}, not an object: an ExPRES "
            "config is an object with SIMU, NUMBER, TIME, ... sections."
        )
    return document
