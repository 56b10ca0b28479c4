"""Parameter grids that resume: :func:`run_grid`.

A base config and axes (config path -> values) define the points of a grid, the cartesian
product of the axes (:mod:`uws_call_expres.gridspec`). Each point gets its own folder
``DIR/<KEY=value_...>-<hash8>/`` holding its generated ``config.json`` and its results, and a
``runId`` ``<base stem>-<hash12>`` where the hash is that of the point's whole config.
``DIR/manifest.json`` (:mod:`uws_call_expres.manifest`) records every point's job and files.

Running the same grid again resumes it, and never submits a point twice:

- a COMPLETED point whose files are all there (size, and SHA-1 when the server gave one) is
  skipped without any request;
- a point with a job id is taken over (waited for, its results downloaded into its folder);
- a failed point (ERROR, ABORTED, ARCHIVED) is reported, and submitted again only with
  ``retry_failed=True`` (its old job id is kept under ``previous_jobs``);
- a point without a job id is first looked for in the job list by its runId (one request,
  only when resuming): a job created while the manifest could not record it (a 5xx or a cut
  on creation, a kill at that instant) is taken over rather than submitted again;
- only then are the remaining points submitted.

Everything local is checked before anything is sent: the axes against the base config, and
every generated config as a run would be (:func:`uws_call_expres.options.prepare`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from uws_lite.numbers import check_count

from .access import DEFAULT_SERVER
from .config_file import PathArg, load_config_document, readable_file
from .destination import check_output_dir, check_overwrite
from .errors import ConfigError
from .grid_worker import GridWorkers, decide_tasks, find_lost_jobs
from .gridspec import AxesArg, Axis, GridPointSpec, Scalar, as_axes, config_digest, expand_grid
from .manifest import MANIFEST_NAME, Manifest, write_json_atomic
from .options import PreparedRun, RunOptions, prepare
from .output import Console, progress_wanted
from .sweep import DEFAULT_MAX_PARALLEL, SweepItem
from .words import PYTHON, Vocabulary

__all__ = ["GridOutcome", "GridPoint", "grid", "run_grid"]

_STEM_MAX = 40


@dataclass(frozen=True)
class GridPoint:
    """One point of a grid and what became of it in this call.

    ``status``: "completed" (run and saved now), "skipped" (completed and verified before:
    no request), "submitted" (``LOOP=False``), "failed" (the job ended in ERROR, ABORTED or
    ARCHIVED now), "failed-before" (failed in an earlier run, not retried), "error" (a
    server, network or download failure, a timeout: ``item.error``; run again to resume).
    ``item`` is the point's :class:`SweepItem` when it was run in this call.
    """

    index: int
    parameters: Tuple[Tuple[str, Scalar], ...]
    hash: str
    run_id: str
    folder: Path
    config: Path
    status: str
    job_id: Optional[str] = None
    phase: Optional[str] = None
    files: Tuple[Path, ...] = ()
    item: Optional[SweepItem] = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "skipped", "submitted")

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-able summary (never a credential)."""
        error = self.item.error if self.item is not None else None
        return {
            "index": self.index,
            "parameters": dict(self.parameters),
            "hash": self.hash,
            "run_id": self.run_id,
            "folder": str(self.folder),
            "config": str(self.config),
            "status": self.status,
            "ok": self.ok,
            "job_id": self.job_id,
            "phase": self.phase,
            "files": [str(path) for path in self.files],
            "error": None
            if error is None
            else {"type": type(error).__name__, "message": str(error)},
        }


@dataclass(frozen=True)
class GridOutcome:
    """Every point of a grid, in grid order, and where the manifest is."""

    output_dir: Path
    manifest: Path
    points: Tuple[GridPoint, ...]

    @property
    def ok(self) -> bool:
        return all(point.ok for point in self.points)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "ok": self.ok,
            "output_dir": str(self.output_dir),
            "manifest": str(self.manifest),
            "points": [point.to_dict() for point in self.points],
        }


def run_grid(
    base: Union[PathArg, Mapping[str, Any]],
    axes: AxesArg,
    *,
    output_dir: PathArg,
    FILE_EPHEM: Optional[PathArg] = None,
    Job_List: Optional[str] = None,
    LOOP: bool = True,
    branch: Optional[str] = None,
    LOGIN: Optional[str] = None,
    executionDuration: Union[int, str, None] = None,
    TOKEN: Optional[str] = None,
    server: str = DEFAULT_SERVER,
    timeout: Optional[float] = None,
    verbose: bool = True,
    overwrite: str = "always",
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    progress: Optional[bool] = None,
    retry_failed: bool = False,
    strict: bool = False,
    request_timeout: Optional[float] = None,
    to_stderr: bool = False,
    words: Vocabulary = PYTHON,
    on_point: Optional[Callable[[int, Dict[str, Any]], None]] = None,
) -> GridOutcome:
    """Run every point of the grid ``axes`` over the config ``base`` (a path or a dict),
    results in ``output_dir``; running it again resumes (see the module doc).

    ``axes``: ``{"SOURCE[0].ACCEL": [1, 3, 10], "SOURCE[0].WIDTH": [1, 2]}`` (or
    :class:`~uws_call_expres.gridspec.Axis` items): the last axis varies fastest. The run
    options are those of :func:`uws_call_expres.run_sweep`; ``overwrite`` defaults to
    "always" as each point folder belongs to the grid (a resumed download replaces what an
    interrupted one left; the point's config.json is never overwritten). ``on_point(index,
    manifest entry)`` is called from a worker thread after each manifest change. ``strict``:
    a point whose config has errors (:func:`~uws_call_expres.checks.check_config`) stops
    the grid before anything is sent.

    Raises :class:`ConfigError` (and the other local errors of a run) before anything is
    sent; server failures of one point are in its :class:`GridPoint`.
    """
    options = RunOptions.from_arguments(locals())
    return grid(
        base,
        axes,
        options,
        verbose=verbose,
        max_parallel=max_parallel,
        progress=progress,
        retry_failed=retry_failed,
        to_stderr=to_stderr,
        on_point=on_point,
    )


def grid(
    base: Union[PathArg, Mapping[str, Any]],
    axes: AxesArg,
    options: RunOptions,
    *,
    verbose: bool = True,
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    progress: Optional[bool] = None,
    retry_failed: bool = False,
    to_stderr: bool = False,
    on_point: Optional[Callable[[int, Dict[str, Any]], None]] = None,
) -> GridOutcome:
    """:func:`run_grid` with its run settings as one value (the command line's entry)."""
    check_count(max_parallel, "max_parallel", error=ConfigError)
    document, base_name = _load_base(base)
    checked_axes = as_axes(axes)
    points = expand_grid(document, checked_axes)
    out = check_output_dir(options.output_dir, options.words)
    check_overwrite(options.overwrite)
    definition = _definition(document, base_name, checked_axes, options)
    entries = [_entry(point, _run_stem(base_name)) for point in points]
    path = out / MANIFEST_NAME
    resuming = path.exists()
    # An existing manifest is checked (same grid?) before any file is written.
    manifest = Manifest.open(path, definition, entries) if resuming else None
    plans = _plans(points, entries, out, options)
    if manifest is None:
        manifest = Manifest.open(path, definition, entries)
    console = Console(verbose, to_stderr=to_stderr, words=options.words)
    tasks, statuses = decide_tasks(manifest, points, out, retry_failed, console)
    done: Dict[int, Tuple[str, Optional[SweepItem]]] = {
        index: (status, None) for index, status in statuses.items()
    }
    if resuming:
        tasks = find_lost_jobs(manifest, tasks, plans[0].access, console)
    workers = GridWorkers(
        [plans[t.point] for t in tasks],
        tasks,
        manifest,
        loop=options.loop,
        verbose=verbose,
        to_stderr=to_stderr,
        progress=progress_wanted(progress, verbose),
        on_point=on_point,
        words=options.words,
    )
    items = workers.run(min(max_parallel, len(tasks))) if tasks else ()
    for task, item in zip(tasks, items):
        done[task.point] = _ran(manifest, task.point, item, options.loop)
    return GridOutcome(
        out,
        manifest.path,
        tuple(_point(manifest, spec, out, done[spec.index]) for spec in points),
    )


def _definition(
    document: Mapping[str, Any],
    base_name: Optional[str],
    axes: Sequence[Axis],
    options: RunOptions,
) -> Dict[str, Any]:
    """What makes a grid the same grid on a re-run (``base`` is only shown)."""
    access = options.access()
    ephemeris_hash = None
    if options.ephemeris is not None:
        ephem = readable_file(options.ephemeris, options.words.name("ephemeris"))
        ephemeris_hash = hashlib.sha256(ephem.read_bytes()).hexdigest()
    return {
        "base": base_name,
        "base_hash": config_digest(document),
        "axes": [{"path": a.path, "values": list(a.values)} for a in axes],
        "ephemeris_hash": ephemeris_hash,
        "job_list": access.job_list,
        "server": access.server,
    }


def _plans(
    points: Sequence[GridPointSpec],
    entries: Sequence[Mapping[str, Any]],
    out: Path,
    options: RunOptions,
) -> List[PreparedRun]:
    """Write each point's config.json and check it as a run would (nothing is sent)."""
    plans = []
    for point in points:
        config = out / point.folder / "config.json"
        write_json_atomic(config, point.config)
        # prepare() checks every generated config as it checks any run's (check_config),
        # before anything is sent; the grid's workers follow the jobs themselves.
        point_options = replace(
            options,
            run_id=entries[point.index]["run_id"],
            loop=False,
            output_dir=out / point.folder,
        )
        plans.append(prepare(config, point_options))
    return plans


def _load_base(base: Union[PathArg, Mapping[str, Any]]) -> Tuple[Dict[str, Any], Optional[str]]:
    if isinstance(base, Mapping):
        try:
            document = json.loads(json.dumps(base, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"The base config is not plain JSON: {exc}.") from None
        if not isinstance(document, dict):
            raise ConfigError("The base config must be a JSON object.")
        return document, None
    path = readable_file(base, "The grid's base config")
    return load_config_document(path), str(path)


def _run_stem(base_name: Optional[str]) -> str:
    if base_name is None:
        return "grid"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(base_name).stem).strip("._-")
    return stem[:_STEM_MAX] or "grid"


def _entry(point: GridPointSpec, stem: str) -> Dict[str, Any]:
    return {
        "index": point.index,
        "parameters": dict(point.overrides),
        "hash": point.hash,
        "run_id": f"{stem}-{point.hash}",
        "folder": point.folder,
        "config": f"{point.folder}/config.json",
        "job_id": None,
        "job_url": None,
        "phase": None,
        "files": [],
        "error": None,
        "previous_jobs": [],
    }


def _ran(
    manifest: Manifest, point: int, item: SweepItem, loop: bool
) -> Tuple[str, Optional[SweepItem]]:
    if item.error is not None:
        manifest.update(point, error=f"{type(item.error).__name__}: {item.error}")
        return "error", item
    if item.run is None:
        return "error", item
    if not loop and not item.run.finished:
        return "submitted", item
    return ("completed" if item.run.ok else "failed"), item


def _point(
    manifest: Manifest, spec: GridPointSpec, out: Path, done: Tuple[str, Optional[SweepItem]]
) -> GridPoint:
    entry = manifest.point(spec.index)
    status, item = done
    folder = out / spec.folder
    return GridPoint(
        index=spec.index,
        parameters=spec.overrides,
        hash=spec.hash,
        run_id=entry["run_id"],
        folder=folder,
        config=folder / "config.json",
        status=status,
        job_id=entry.get("job_id"),
        phase=entry.get("phase"),
        files=tuple(folder / f["name"] for f in entry.get("files") or []),
        item=item,
    )
