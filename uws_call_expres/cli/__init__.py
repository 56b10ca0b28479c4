"""The command line: ``python -m uws_call_expres`` / ``uws-call-expres``.

:mod:`~uws_call_expres.flags` spells the options, :mod:`~uws_call_expres.cli.parser`
builds the parser and :mod:`~uws_call_expres.cli.usage` finds the mistakes argparse cannot
see (all three import only the standard library: ``--help`` must start fast);
:mod:`~uws_call_expres.cli.commands` does the work, and is imported only once the arguments
are known to be usable.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["main"]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status (see ``--help``)."""
    from ..flags import PROG
    from .parser import OVERWRITE_CHOICES, bare_overwrite, build_parser
    from .usage import usage_problem

    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(bare_overwrite(words, OVERWRITE_CHOICES))
    except SystemExit as exc:  # --help, --version, usage errors (status 2)
        return exc.code if isinstance(exc.code, int) else 2
    args.overwrite_given = args.overwrite is not None
    if args.overwrite is None:
        args.overwrite = "rename"
    problem = usage_problem(args)
    from uws_lite.exitcodes import ExitCode  # after parsing: --help imports no uws_lite

    if problem:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    from .commands import dispatch

    return dispatch(args)
