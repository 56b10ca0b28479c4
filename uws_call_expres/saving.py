"""Where a job's results go: safe, unique local names, and the (parallel) downloads.

Result ids come from the server and are untrusted. Each becomes one safe file name in the
output directory (:func:`uws_lite.naming.safe_filename`: no separators, no ``..``), unique
within the job, and never the name of one of the user's input files. What happens to other
existing files is the overwrite policy:

- ``"rename"`` (default): nothing is lost; a result whose name is taken by another file gets
  ``name-1.ext``... (printed: ``<id> saved as name-1.ext``).
- ``"always"``: existing outputs are replaced (re-running into the same directory), except
  the input files, which are never overwritten.
- ``"never"``: if any result would replace a file, nothing is downloaded
  (:class:`~uws_call_expres.errors.OutputError`).

Whatever the policy, runs are idempotent: a file already there that *is* the result (verified:
see :mod:`uws_call_expres.existing`) is not downloaded again, not duplicated, and reported as
``<name> is already there (verified)``; it is one of the run's files. Re-attaching after
Ctrl-C, or attaching twice, into the same directory downloads only what is missing.

Results are downloaded :data:`DOWNLOAD_WORKERS` at a time by
:meth:`uws_lite.Client.download_many`, which says what happened to each: one broken result
costs no other result, and each failure has its own reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from uws_lite.download import DownloadItem, DownloadOutcome, DownloadStatus
from uws_lite.errors import UnsafeURL, redact_url
from uws_lite.naming import safe_filename
from uws_lite.text import for_terminal
from uws_lite.urls import is_http_url

from .destination import check_overwrite
from .errors import OutputError
from .existing import is_known_copy, mark_saved, same_content
from .output import Console, DownloadProgress
from .words import PYTHON, Vocabulary

if TYPE_CHECKING:
    from uws_lite import Client
    from uws_lite.models import Result

__all__ = [
    "DOWNLOAD_WORKERS",
    "Planned",
    "plan_saving",
    "save_results",
]

# Parallel downloads per job: within requests' connection pool (10) so connections are reused.
DOWNLOAD_WORKERS = 4


DOWNLOAD, PRESENT, COMPARE = "download", "present", "compare"


@dataclass(frozen=True)
class Planned:
    """Where one result goes, decided before any transfer (see :func:`plan_saving`).

    ``status``: ``"download"`` (to ``dest``), ``"present"`` (``dest`` already is the result,
    verified: nothing to do), or ``"compare"`` (``existing`` may be the result but cannot be
    verified without it: download to ``dest``, the next free name, and keep only one of the
    two if they are identical). ``renamed``: ``dest`` is not the result's own name.
    """

    result: Result
    dest: Path
    status: str = DOWNLOAD
    existing: Optional[Path] = None
    renamed: bool = False


def plan_saving(
    results: Sequence[Result],
    output_dir: Path,
    *,
    protected: Iterable[Path] = (),
    overwrite: str = "rename",
    words: Vocabulary = PYTHON,
) -> Tuple[Planned, ...]:
    """A safe destination for every result, following the overwrite policy, and whether the
    file already there is the result (then it is not downloaded again).

    ``protected``: the user's input files; those in ``output_dir`` are never overwritten.
    Raises :class:`OutputError` under ``"never"`` when a result would replace a file.
    """
    check_overwrite(overwrite)
    here = _resolved(output_dir)
    inputs = [p.name for p in protected if _resolved(p.parent) == here]
    existing = _existing_names(output_dir)
    on_disk: Dict[str, str] = {name.casefold(): name for name in existing}
    taken: List[str] = list(inputs)
    planned: List[Planned] = []
    clashes: List[str] = []
    for result in results:
        own = safe_filename(result.id, fallback="result")
        name = safe_filename(result.id, taken, fallback="result")
        item = Planned(result, output_dir / name, renamed=name != own)
        there = on_disk.get(name.casefold())
        if there is not None:
            item = _against_existing(item, output_dir / there, taken + existing, overwrite)
            if item.status != PRESENT and overwrite == "never":
                clashes.append(there)
        taken.append(item.dest.name)
        planned.append(item)
    if clashes:
        other = " or ".join(words.setting("overwrite", p) for p in ("rename", "always"))
        raise OutputError(
            f"{', '.join(clashes)} already exist in {output_dir} and "
            f"{words.setting('overwrite', 'never')} is set: choose another output "
            f"directory ({words.name('output_dir')}), or {other}."
        )
    return tuple(planned)


def _against_existing(item: Planned, there: Path, taken: List[str], overwrite: str) -> Planned:
    """The plan for a result whose name is taken by the file ``there``."""
    same = is_known_copy(there, item.result) if there.name == item.dest.name else False
    if same:
        return Planned(item.result, there, PRESENT, there, item.renamed)
    if overwrite != "rename":
        return item  # "always": replace it; "never": a clash, refused by the caller
    free = item.dest.with_name(safe_filename(item.result.id, taken, fallback="result"))
    if same is None:
        return Planned(item.result, free, COMPARE, there, True)
    return Planned(item.result, free, DOWNLOAD, None, True)


def save_results(
    client: Client,
    planned: Sequence[Union[Planned, Tuple[Result, Path]]],
    console: Console,
    *,
    overwrite: str,
    progress: bool,
    max_workers: int = DOWNLOAD_WORKERS,
) -> Tuple[Tuple[Path, ...], Tuple[Tuple[str, str], ...]]:
    """Download every planned result not already there, ``max_workers`` at a time; return
    (the result files in result order, already there ones included; (result id, reason)
    failures).

    One failed result does not stop the others (a failed job's logs are worth having even
    when one of them is missing); the caller decides whether failures are an error.
    """
    plan = [p if isinstance(p, Planned) else _pair(*p) for p in planned]
    if not plan:
        return (), ()
    plan[0].dest.parent.mkdir(parents=True, exist_ok=True)
    for item in plan:
        if item.status == PRESENT:
            console.info(f"{item.dest.name} is already there (verified): not downloaded again")
    todo = [item for item in plan if item.status != PRESENT]
    for item in todo:
        console.info(f"Downloading {for_terminal(item.result.id)}")
    outcomes = _download(client, todo, overwrite=overwrite, progress=progress, workers=max_workers)
    files: List[Path] = []
    failures: List[Tuple[str, str]] = []
    for item in plan:
        outcome = outcomes.get(id(item))
        if outcome is None:  # PRESENT in the plan
            files.append(item.dest)
        elif outcome.status is DownloadStatus.SAVED:
            files.append(_keep_one(item, console))
        elif outcome.status is DownloadStatus.PRESENT and item.result.sha1:
            files.append(item.dest)  # appeared meanwhile, and is the result (by its SHA-1)
        else:
            reason = str(outcome.error or f"{item.dest} appeared meanwhile: it was left alone")
            failures.append((item.result.id, reason))
            console.warning(f"{for_terminal(item.result.id)} was not saved: {reason}")
    return tuple(files), tuple(failures)


def _pair(result: Result, dest: Path) -> Planned:
    # A (result, destination) pair: a file already there may be it.
    present = dest.exists() and is_known_copy(dest, result)
    return Planned(result, dest, PRESENT if present else DOWNLOAD, dest if present else None)


def _download(
    client: Client, todo: Sequence[Planned], *, overwrite: str, progress: bool, workers: int
) -> Dict[int, DownloadOutcome]:
    """What happened to each planned item (by ``id``), downloaded in parallel by
    :meth:`uws_lite.Client.download_many`. "Saved" is what that call saved: a file found
    under a destination name is never taken for a result on sight (another process may
    have put it there). A result whose href is not http(s) fails without a request."""
    outcomes: Dict[int, DownloadOutcome] = {}
    fetchable: List[Planned] = []
    for item in todo:
        href = item.result.href
        if is_http_url(href):
            fetchable.append(item)
            continue
        error = UnsafeURL(
            f"its href {for_terminal(redact_url(href))!r} is not an http(s) URL: it cannot be "
            "downloaded",
            url=href,
        )
        download = DownloadItem(str(href or ""), item.dest)
        outcomes[id(item)] = DownloadOutcome(download, DownloadStatus.FAILED, error)
    if not fetchable:
        return outcomes
    bars = {item.dest: DownloadProgress(item.dest.name, progress) for item in fetchable}

    def report(download: DownloadItem, done: int, total: Optional[int]) -> None:
        # Called only from the worker running ``download``: each bar has a single writer.
        bars[download.dest](done, total)

    try:
        report_all = client.download_many(
            [(item.result, item.dest) for item in fetchable],
            max_workers=workers,
            progress=report if progress else None,
            overwrite=overwrite == "always",
        )
    finally:
        for bar in bars.values():
            bar.close()
    for item, outcome in zip(fetchable, report_all):
        outcomes[id(item)] = outcome
    return outcomes


def _keep_one(item: Planned, console: Console) -> Path:
    """The file that holds a downloaded result: the download, or (``"compare"``) the file
    that was already there when the download turned out identical (the download is removed)."""
    shown = for_terminal(item.result.id)
    if item.status == COMPARE and item.existing is not None:
        if same_content(item.existing, item.dest):
            try:
                item.dest.unlink()
            except OSError as exc:
                console.warning(
                    f"{item.dest} (identical to {item.existing.name}) was kept: "
                    f"it could not be removed ({exc.strerror})"
                )
            else:
                mark_saved(item.existing, item.result)
                console.info(
                    f"{item.existing.name} is already there (verified: downloaded again and "
                    "compared, identical)"
                )
                return item.existing
        else:
            console.info(
                f"{shown} saved as {item.dest.name} ({item.existing.name} holds something else)"
            )
    elif item.renamed:
        console.info(f"{shown} saved as {item.dest.name}")
    mark_saved(item.dest, item.result)
    return item.dest


def _existing_names(directory: Path) -> List[str]:
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(f"{directory} cannot be listed: {exc.strerror}.") from None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
