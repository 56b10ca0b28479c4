"""The command line's own mistakes: :class:`CLIError`, and the checks argparse cannot make
(``NAME=VALUE`` parameters and their files, ``--wait`` against ``--wait-timeout``).

Everything here is checked before any request is sent (exit status 2).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Optional, Sequence

from ..exitcodes import CommandLineError, ExitCode
from ..text import for_terminal
from .flags import PROG, Flag

if TYPE_CHECKING:
    from .._forms import FormValue

__all__ = ["CLIError", "assignments", "wait_seconds"]


class CLIError(CommandLineError):
    """A problem found by ``uws-lite`` itself: one line, what to do next, an exit status.
    Its class name is the ``type`` of the ``--json`` error document."""

    where: str
    """The program or sub-command the message is about (``uws-lite``, ``uws-lite list``):
    the error line starts with it."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        exit_code: ExitCode = ExitCode.USAGE,
        where: str = PROG,
    ) -> None:
        super().__init__(message, hint, exit_code)
        self.where = where


def assignments(items: Sequence[str]) -> Dict[str, FormValue]:
    """``NAME=VALUE`` / ``NAME=@FILE`` / ``NAME=@@TEXT`` -> form values.

    A file becomes a ``Path`` (uploaded as a part named NAME); ``@@TEXT`` is passed on as
    it is: the client sends it as the literal ``@TEXT`` (uws-client's convention).
    Every file is checked here, before anything is sent.
    """
    values: Dict[str, FormValue] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CLIError(
                f"{for_terminal(item)!r} is not NAME=VALUE",
                hint="Write e.g. runId=demo, or config=@example.json to upload a file.",
            )
        if name in values:
            raise CLIError(f"parameter {for_terminal(name)!r} is given twice")
        if value.startswith("@") and not value.startswith("@@"):
            path = Path(value[1:]).expanduser()
            if not path.is_file():
                raise CLIError(
                    f"cannot upload {for_terminal(str(path))!r} for {for_terminal(name)}: "
                    "no such file",
                    hint="Check the path; write @@ for a value that starts with a literal @.",
                )
            values[name] = path
        else:
            values[name] = value
    return values


def wait_seconds(args: argparse.Namespace) -> Optional[float]:
    """``show --wait [SECONDS]`` and its other name ``--wait-timeout SECONDS``: how long to
    wait (inf: no limit), or None for no wait; two different limits are refused."""
    wait: Optional[float] = args.wait
    limit: Optional[float] = args.wait_timeout
    if limit is None:
        return wait
    if wait is not None and not math.isinf(wait) and wait != limit:
        raise CLIError(
            f"{Flag.WAIT} {wait:g} and {Flag.WAIT_TIMEOUT} {limit:g} disagree",
            hint=f"Give one of them: {Flag.WAIT_TIMEOUT} SECONDS is {Flag.WAIT} SECONDS.",
        )
    return limit
