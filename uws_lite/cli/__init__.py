"""``uws-lite`` (``python -m uws_lite``): any UWS 1.0/1.1 job list from a shell.

It replaces uws-client's ``uws`` tool, which no longer runs on Python 3.
:mod:`~uws_lite.cli.flags` spells the options and :mod:`~uws_lite.cli.parser` builds the
parser (both import only the standard library, so ``--help`` starts fast);
:mod:`~uws_lite.cli.commands` holds one function per command over :class:`uws_lite.Client`
(the ``download`` command's planning in :mod:`~uws_lite.cli.download`), and is imported only
once the arguments are parsed; :mod:`~uws_lite.cli.service` finds the service and the
credentials, :mod:`~uws_lite.cli.usage` the local mistakes, :mod:`~uws_lite.cli.format` and
:mod:`~uws_lite.cli.report` say what happened.

Exit status (:class:`uws_lite.exitcodes.ExitCode`): 0 ok, 1 the job failed / was aborted /
is stuck, 2 usage or local error, 3 ``--wait`` deadline passed, 4 server or network error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from typing import Optional, Sequence, TextIO

from ..errors import redact_url
from ..exitcodes import ExitCode
from .flags import PROG, Flag
from .parser import bare_overwrite, build_parser
from .report import Output, logging_to, report_error
from .usage import CLIError

__all__ = ["main"]


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    prog = _prog() if argv is None else PROG
    words = list(sys.argv[1:] if argv is None else argv)
    out = Output(
        stdout or sys.stdout,
        stderr or sys.stderr,
        json=Flag.JSON in words,
        quiet=Flag.QUIET in words or Flag.QUIET_SHORT in words,
    )
    try:
        args = build_parser(prog).parse_args(bare_overwrite(words))
    except CLIError as exc:
        return report_error(out, exc, prog, debug=False)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else ExitCode.OK
    out.json, out.quiet = args.json, args.quiet
    if args.command is None:
        build_parser(prog).print_help(out.stderr)
        return ExitCode.USAGE
    again = _hint_prefix(prog, args)
    try:
        with logging_to(out, args.debug):
            from .commands import run_command  # the client's modules: once parsed

            return run_command(args, out, again)
    except KeyboardInterrupt:
        out.error(f"{PROG}: interrupted.")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``uws-lite list | head``): nothing left to tell anyone.
        # Point the real stdout at /dev/null so the flush at exit does not fail again.
        if out.stdout is sys.__stdout__:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), out.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:  # one line, never a traceback (unless --debug)
        return report_error(out, exc, again, args.debug)


def _prog() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m uws_lite" if not name or name.endswith(".py") or name == "-c" else name


def _hint_prefix(prog: str, args: argparse.Namespace) -> str:
    """How to call this command line again with the same service (for hints)."""
    words = [prog]
    if args.url:
        words += [Flag.URL, shlex.quote(redact_url(args.url))]
    if args.login:
        words += [Flag.LOGIN, shlex.quote(args.login)]
    return " ".join(words)
