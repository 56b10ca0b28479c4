"""The ``download`` command's own work: which results, under which names, what to do with a
file already there, and the transfers themselves through :meth:`uws_lite.Client.download_many`
(progress bars on a terminal; every failure named).

Everything is decided before any transfer (:func:`plan_downloads`): a result whose name is
taken by another file stops the command before anything is fetched.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ..download import matches_local_file
from ..errors import redact_url
from ..naming import safe_filename
from ..text import for_terminal
from ..urls import is_http_url
from .flags import PROG, Flag
from .report import Output, ResultNotSaved
from .usage import CLIError

if TYPE_CHECKING:
    from ..client import Client
    from ..download import DownloadItem
    from ..models import Job, Result

__all__ = ["Planned", "State", "chosen_results", "fetch", "plan_downloads"]


class State(str, enum.Enum):
    """What the command does with one result (the STATUS column, the JSON ``status``)."""

    DOWNLOAD = "download"  # fetched under its own name
    RENAMED = "renamed"  # fetched under a free name (--overwrite rename)
    PRESENT = "present"  # already there, verified: not fetched again
    KEPT = "kept"  # a file that cannot be verified holds the name: left alone

    @property
    def fetched(self) -> bool:
        return self in (State.DOWNLOAD, State.RENAMED)


@dataclass(frozen=True)
class Planned:
    """One result, where it goes, and what is done with it."""

    result: Result
    dest: Path
    state: State


def chosen_results(out: Output, job: Job, wanted: Sequence[str]) -> List[Result]:
    """The results asked for (all by default); results without an http(s) href are
    skipped with a note when downloading all, and refused when asked for by id."""
    if not wanted:
        for result in job.results:
            if not is_http_url(result.href):
                out.info(
                    f"Skipping result {for_terminal(result.id)}: its href "
                    f"{for_terminal(redact_url(result.href))!r} is not an http(s) URL."
                )
        return [r for r in job.results if is_http_url(r.href)]
    chosen: List[Result] = []
    for result_id in wanted:
        found = job.result(result_id)
        if found is None:
            known = ", ".join(for_terminal(r.id) for r in job.results) or "none"
            raise CLIError(
                f"job {for_terminal(job.job_id)} has no result {for_terminal(result_id)!r}",
                hint=f"Its results: {known}.",
            )
        if not is_http_url(found.href):
            raise CLIError(
                f"result {for_terminal(result_id)!r} has no http(s) href "
                f"({for_terminal(redact_url(found.href))!r}), so it cannot be downloaded"
            )
        chosen.append(found)
    return chosen


def plan_downloads(
    results: Sequence[Result], outdir: Path, overwrite: str = "never"
) -> List[Planned]:
    """What to do with each result, decided before any transfer.

    Names come from the result ids made safe (never a path, never a clash). A file
    already under that name is a finished download (downloads are atomic) when it
    matches the result's SHA-1 or size: it is not fetched again, which is how an
    interrupted ``download`` resumes. With ``overwrite="never"`` one that cannot be
    checked is kept, and one that differs is someone else's file: refused. "rename" saves
    the result under a free name instead (``name-1.ext``); "always" replaces the file.
    """
    taken: List[str] = []
    plan: List[Planned] = []
    conflicts: List[str] = []
    for result in results:
        name = safe_filename(result.id, taken)
        taken.append(name)
        dest, state = outdir / name, State.DOWNLOAD
        if overwrite != "always" and (dest.exists() or dest.is_symlink()):
            same = matches_local_file(dest, sha1=result.sha1, size=result.size)
            if same:
                state = State.PRESENT
            elif overwrite == "rename":
                dest, state = _renamed(result, outdir, taken)
                taken.append(dest.name)
            elif same is None:
                state = State.KEPT
            else:
                conflicts.append(str(dest))
        plan.append(Planned(result, dest, state))
    if conflicts:
        raise CLIError(
            f"{', '.join(for_terminal(c) for c in conflicts)} already exist(s) with other content",
            hint=f"Choose another directory with {Flag.OUTPUT_SHORT} DIR, replace them with "
            f"{Flag.OVERWRITE}, or keep both with {Flag.OVERWRITE} rename.",
        )
    return plan


def _renamed(result: Result, outdir: Path, taken: Sequence[str]) -> Tuple[Path, State]:
    """For ``--overwrite rename``: the first of ``name-1.ext``, ``name-2.ext``... that
    already holds the result (PRESENT: a re-run fetches nothing) or is free (RENAMED)."""
    tried = list(taken)
    while True:
        name = safe_filename(result.id, tried)
        dest = outdir / name
        if not (dest.exists() or dest.is_symlink()):
            return dest, State.RENAMED
        if matches_local_file(dest, sha1=result.sha1, size=result.size):
            return dest, State.PRESENT
        tried.append(name)


def fetch(client: Client, out: Output, todo: Sequence[Planned], overwrite: bool) -> None:
    """Download ``todo`` with :meth:`Client.download_many` (progress bars on a terminal).
    Every result is tried; when some failed, each is named and the first one raises
    :class:`~uws_lite.cli.report.ResultNotSaved` (the files saved stay, and the same command
    fetches the rest)."""
    bars = _ProgressBars(out, [(p.dest, p.result.size) for p in todo])
    try:
        report = client.download_many(
            [(p.result, p.dest) for p in todo],
            progress=bars.update if bars.active else None,
            overwrite=overwrite,
        )
    finally:
        bars.close()
    failures = [(o.path, o.error) for o in report.failed if o.error is not None]
    for path, error in failures[1:]:
        out.error(f"{PROG}: {path} was not saved: {for_terminal(str(error))}")
    if failures:
        raise ResultNotSaved(str(failures[0][0]), failures[0][1])


class _ProgressBars:
    """One tqdm bar per download on stderr when it is a terminal (and not --quiet)."""

    def __init__(self, out: Output, files: Sequence[Tuple[Path, Optional[int]]]) -> None:
        isatty = getattr(out.stderr, "isatty", None)
        self.active = bool(files) and not out.quiet and isatty is not None and isatty()
        self.bars: Dict[Path, Any] = {}
        if not self.active:
            return
        from tqdm import tqdm

        for position, (dest, size) in enumerate(files):
            self.bars[dest] = tqdm(
                desc=for_terminal(dest.name)[:40],
                total=size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=out.stderr,
                position=position,
                leave=True,
            )

    def update(self, item: DownloadItem, done: int, total: Optional[int]) -> None:
        bar = self.bars.get(item.dest)
        if bar is None:
            return
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
