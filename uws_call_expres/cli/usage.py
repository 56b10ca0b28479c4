"""The usage mistakes argparse cannot see: options that do not go together, bad numbers.

Each check returns the one-line message of the first problem (the command line prints it as
``uws-call-expres: error: ...`` after the usage line, exit 2), or None. Nothing here sends
anything; only the number checks import uws_lite (after parsing, never for ``--help``).
"""

from __future__ import annotations

import argparse
from typing import List, Optional

from ..flags import DEFAULT_SERVER, Flag
from .parser import is_cdf

__all__ = ["usage_problem"]


def usage_problem(args: argparse.Namespace) -> Optional[str]:
    """The first usage mistake in the parsed ``args``, or None."""
    other = _other_actions(args)
    return (
        _action_problem(args, other)
        or _grid_problem(args)
        or _number_problem(args)
        or _scope_problem(args, other)
    )


def _other_actions(args: argparse.Namespace) -> List[str]:
    """The actions given instead of CONFIG files, by their option."""
    return [
        name
        for name, given in (
            (Flag.ATTACH, args.attach),
            (Flag.LIST, args.list),
            (Flag.ABORT, args.abort),
            (Flag.DELETE, args.delete),
            (Flag.GRID, args.grid),
            (Flag.EXAMPLE_CONFIG, args.example_config),
            (Flag.DEMO, args.demo),
        )
        if given
    ]


def _action_problem(args: argparse.Namespace, other: List[str]) -> Optional[str]:
    if other and args.configs:
        return f"give either {Flag.CONFIG} files or {other[0]}, not both"
    if args.check and not args.configs:
        return f"{Flag.CHECK} needs at least one {Flag.CONFIG} file"
    problem = _plot_problem(args, other)
    if problem:
        return problem
    if not other and not args.configs:
        return (
            f"give at least one {Flag.CONFIG} file (or {Flag.ATTACH}, {Flag.LIST}, "
            f"{Flag.ABORT}, {Flag.DELETE}, {Flag.GRID}); new here? try {Flag.DEMO}, or "
            f"{Flag.EXAMPLE_CONFIG} example.json"
        )
    return None


def _plot_problem(args: argparse.Namespace, other: List[str]) -> Optional[str]:
    cdfs = [name for name in args.configs if is_cdf(name)]
    if cdfs and not args.plot:
        return f"{cdfs[0]} is a CDF file, not a config: add {Flag.PLOT} to draw its quick-look"
    if not args.plot:
        return None
    if other and other[0] not in (Flag.ATTACH, Flag.DEMO):
        return (
            f"{Flag.PLOT} applies to runs, {Flag.ATTACH}, {Flag.DEMO} and .cdf files, "
            f"not to {other[0]}"
        )
    if args.no_wait:
        return f"{Flag.PLOT} needs the results: it cannot go with {Flag.NO_WAIT}"
    if cdfs and len(cdfs) != len(args.configs):
        return f"give either {Flag.CONFIG} files to run or .cdf files to plot, not both"
    if cdfs and args.ephem:
        return f"{Flag.EPHEM} applies to {Flag.CONFIG} runs only"
    return None


def _grid_problem(args: argparse.Namespace) -> Optional[str]:
    if args.grid and not args.axes:
        return f"{Flag.GRID} needs at least one {Flag.SET} PATH=VALUES"
    if args.axes and not args.grid:
        return f"{Flag.SET} applies to {Flag.GRID} only"
    if args.retry_failed and not args.grid:
        return f"{Flag.RETRY_FAILED} applies to {Flag.GRID} only"
    if args.grid and args.run_id is not None:
        return (
            f"{Flag.RUN_ID} does not apply to {Flag.GRID} (each point's runId is made from "
            "its hash)"
        )
    return None


def _number_problem(args: argparse.Namespace) -> Optional[str]:
    """NaN, inf, zero or negative numbers of the options (exit 2). After parsing only, so
    ``--help`` does not import uws_lite (its numbers module is pure Python anyway)."""
    from uws_lite.errors import InvalidRequest
    from uws_lite.numbers import check_count, check_seconds

    try:
        check_count(args.max_parallel, Flag.MAX_PARALLEL)
        if args.timeout is not None:
            check_seconds(args.timeout, f"{Flag.WAIT_TIMEOUT} ({Flag.TIMEOUT})")
        if args.request_timeout is not None:
            check_seconds(args.request_timeout, Flag.REQUEST_TIMEOUT)
    except InvalidRequest as exc:
        return str(exc)
    return None


def _scope_problem(args: argparse.Namespace, other: List[str]) -> Optional[str]:
    """Options given with an action they do not apply to."""
    if args.demo:
        for name, given in (
            (Flag.SERVER, args.server != DEFAULT_SERVER),
            (Flag.LOGIN, args.login),
            (Flag.BRANCH, args.branch),
            (Flag.JOB_LIST, args.job_list),
        ):
            if given:
                return f"{Flag.DEMO} runs as a guest on its own local server: drop {name}"
    runs = [name for name in other if name != Flag.GRID]
    only_runs = f"applies to {Flag.CONFIG} runs and {Flag.GRID} only"
    if args.ephem and runs:
        return f"{Flag.EPHEM} {only_runs}"
    if args.no_wait and (runs or args.check):
        return f"{Flag.NO_WAIT} {only_runs}"
    if args.strict and runs:
        return f"{Flag.STRICT} {only_runs}"
    return None
