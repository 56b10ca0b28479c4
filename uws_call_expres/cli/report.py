"""What the command line prints about an outcome: summaries, errors, JSON, job ids.

Messages go to the console (standard output, or standard error when standard output is kept
for ``--json`` or the ``--no-wait`` job ids); an error is one line
(``uws-call-expres: error: ...``) without a traceback, unless ``--debug``. Every server-given
text is made safe for a terminal (:func:`uws_lite.text.for_terminal`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from uws_lite.exitcodes import ExitCode, exit_code_for
from uws_lite.text import for_terminal

from ..flags import PROG
from ..output import Console
from ..words import CLI

if TYPE_CHECKING:
    from ..grid import GridOutcome, GridPoint
    from ..outcome import ExpresRun
    from ..sweep import SweepItem

__all__ = [
    "Report",
    "error_dict",
    "grid_point_code",
    "item_code",
    "item_dict",
    "outcome_code",
    "outcome_dict",
]


class Report:
    """The command's output, as its arguments ask (``--quiet``, ``--json``, ``--no-wait``,
    ``--debug``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # stdout is for the JSON (--json) or the job ids (--no-wait): messages go to stderr.
        self.to_stderr = bool(args.json or getattr(args, "no_wait", False))
        self.console = Console(not args.quiet, to_stderr=self.to_stderr, words=CLI)

    def run(self, run: ExpresRun) -> None:
        if run.files:
            folder = run.files[0].parent
            self.console.info(f"{len(run.files)} result(s) saved in {folder}")

    def sweep(self, items: Sequence[SweepItem]) -> None:
        self.console.info(f"Sweep: {len(items)} job(s)")
        for item in items:
            if item.run is not None and item.error is None:
                where = str(item.run.files[0].parent) if item.run.files else "-"
                status = "completed" if item.run.ok else f"failed ({item.run.phase})"
                if not item.run.finished:
                    status = f"submitted ({item.run.phase})"
                line = f"{item.config.name}: job {item.run.job_id} {status}, results: {where}"
            else:
                line = f"{item.config.name}: job {item.job_id or '-'} error: {item.error}"
            self.console.info("  " + for_terminal(line))

    def grid(self, outcome: GridOutcome) -> None:
        points = outcome.points
        self.console.info(f"Grid: {len(points)} point(s); manifest: {outcome.manifest}")
        rows = [
            (str(p.index + 1), p.status, p.phase or "-", p.job_id or "-", p.folder.name)
            for p in points
        ]
        self.table(("#", "status", "phase", "job", "folder"), rows)
        for point in points:
            error = point.item.error if point.item is not None else None
            if error is not None:
                self.console.info(f"  {point.folder.name}: {for_terminal(str(error))}")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Columns as wide as their widest cell (the last one as it is), indented."""
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
            self.console.info("  " + for_terminal("  ".join(cells)))

    def error(self, error: BaseException) -> None:
        if self.args.debug:
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        message = for_terminal(str(error)) or type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)

    def ids(self, job_ids: Sequence[str]) -> None:
        """``--no-wait`` without ``--json``: the started jobs' ids on stdout, one per line
        (even with ``--quiet``)."""
        if self.args.no_wait and not self.args.json:
            sys.stdout.write("".join(f"{for_terminal(job_id)}\n" for job_id in job_ids))
            sys.stdout.flush()

    def runs(self, runs: List[Dict[str, Any]], code: int) -> None:
        self.json({"ok": code == ExitCode.OK, "exit_code": code, "runs": runs})

    def json(self, document: Dict[str, Any]) -> None:
        if self.args.json:
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()


def item_code(item: SweepItem) -> ExitCode:
    """The exit status of one job of a sweep."""
    return outcome_code(item.run, item.error)


def outcome_code(run: Optional[ExpresRun], error: Optional[BaseException]) -> ExitCode:
    """The exit status of one job: its error's, else OK when it went well."""
    if error is not None:
        return exit_code_for(error)
    return ExitCode.OK if run is not None and run.ok else ExitCode.JOB_FAILED


def grid_point_code(point: GridPoint) -> ExitCode:
    """The exit status of one point of a grid."""
    if point.item is not None:
        return item_code(point.item)
    return ExitCode.OK if point.ok else ExitCode.JOB_FAILED


def item_dict(item: SweepItem) -> Dict[str, Any]:
    """One job of a sweep as the JSON document of ``--json``."""
    return outcome_dict(item.config, item.run, item.error, job_id=item.job_id)


def outcome_dict(
    config: Optional[Path],
    run: Optional[ExpresRun],
    error: Optional[BaseException] = None,
    *,
    job_id: Optional[str] = None,
) -> Dict[str, Any]:
    """One job's outcome as the JSON document of ``--json`` (``config`` None: attached)."""
    document: Dict[str, Any] = {"config": None if config is None else str(config)}
    if run is not None:
        document.update(run.to_dict())
    else:
        document.update({"job_id": job_id, "ok": False})
    document["error"] = None if error is None else error_dict(error)
    if error is not None:
        document["ok"] = False
    document["exit_code"] = outcome_code(run, error)
    return document


def error_dict(error: Optional[BaseException]) -> Dict[str, Any]:
    """An error as JSON (None: the user's Ctrl-C)."""
    if error is None:
        return {"type": "KeyboardInterrupt", "message": "interrupted"}
    return {"type": type(error).__name__, "message": str(error)}
