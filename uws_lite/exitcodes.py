"""The exit statuses of both command lines (``uws-lite`` and ``uws-call-expres``), defined
once, and the one mapping from an error to its status.

====  ===========  ================================================================
code  name         meaning
====  ===========  ================================================================
0     OK           done
1     JOB_FAILED   the job failed, was aborted, or is stuck (HELD, never started)
2     USAGE        a local mistake: bad command line or option, missing file,
                   unusable ~/.netrc or output directory (nothing was sent)
3     TIMEOUT      the wait's deadline passed (the job goes on)
4     SERVER       the server answered with an error, or could not be reached
130   INTERRUPTED  Ctrl-C (128 + SIGINT, as shells report it)
====  ===========  ================================================================
"""

from __future__ import annotations

import enum
from typing import Iterable

from .errors import InvalidRequest, JobError, UWSError, WaitTimeout

__all__ = ["CommandLineError", "ExitCode", "exit_code_for", "most_serious"]


class ExitCode(enum.IntEnum):
    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    TIMEOUT = 3
    SERVER = 4
    INTERRUPTED = 130


class CommandLineError(InvalidRequest):
    """A command line's own error: a message, what to do next, and its exit status."""

    hint: str
    """What to do next, in the command line's terms ("" when the message says it all)."""

    exit_code: ExitCode
    """The status the command exits with (USAGE unless the error says otherwise)."""

    def __init__(self, message: str, hint: str = "", exit_code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code


# When several jobs end differently (a sweep), the most serious status is the command's.
_SEVERITY = (
    ExitCode.INTERRUPTED,
    ExitCode.USAGE,
    ExitCode.SERVER,
    ExitCode.TIMEOUT,
    ExitCode.JOB_FAILED,
    ExitCode.OK,
)


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit status for an error: the one a :class:`CommandLineError` declares, else by
    the error's type; anything unexpected counts as a server failure."""
    if isinstance(error, CommandLineError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, WaitTimeout):
        return ExitCode.TIMEOUT
    if isinstance(error, JobError):
        return ExitCode.JOB_FAILED
    if isinstance(error, InvalidRequest):
        return ExitCode.USAGE
    if isinstance(error, UWSError):
        return ExitCode.SERVER
    if isinstance(error, OSError):  # local files: the output directory, a full disk
        return ExitCode.USAGE
    return ExitCode.SERVER


def most_serious(codes: Iterable[int]) -> ExitCode:
    """The status of a command whose parts ended with ``codes`` (OK when there are none)."""
    found = {ExitCode(code) for code in codes}
    return next((code for code in _SEVERITY if code in found), ExitCode.OK)
