"""Several configs at once: a sweep, with bounded concurrency and results kept apart.

Every config is checked before the first job is submitted (one bad file stops the sweep
before anything is sent). Then at most ``max_parallel`` jobs run at a time, each saving its
results into ``<output_dir>/<job id>/``. One job's failure, timeout or server error is
recorded in its :class:`SweepItem` and the others go on.

The workers share one client per job list, its connections bounded, and wait for their jobs
through one job watcher: one job-list request per tick for all of them, whatever their
number (:mod:`uws_call_expres.connections`).

The workers are daemon threads: on Ctrl-C the sweep closes the watcher (every wait ends,
the remote jobs keep running), prints how to re-attach to each job it started and returns
control at once; a worker busy creating a job or downloading ends with the interpreter.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple, Union

from uws_lite.errors import WatcherClosed
from uws_lite.numbers import check_count

from .access import DEFAULT_SERVER
from .config_file import PathArg
from .errors import ConfigError
from .notebook import files_html, job_link, phase_html, table_html
from .options import PreparedRun, RunOptions, prepare
from .outcome import ExpresRun, ResultsIncomplete
from .output import LOGGER, Console
from .run import execute
from .submit import created_job_id
from .words import PYTHON, Vocabulary

if TYPE_CHECKING:
    from .connections import SharedConnections

__all__ = [
    "DEFAULT_MAX_PARALLEL",
    "SweepItem",
    "SweepPool",
    "SweepResults",
    "run_sweep",
    "sweep",
]
# The service runs few jobs at a time per user; more in parallel only queue on the server.
DEFAULT_MAX_PARALLEL = 4


@dataclass(frozen=True)
class SweepItem:
    """The outcome of one config of a sweep (``config`` as given): ``run`` when it got one,
    else ``error``
    (``job_id`` is set as soon as the job was created, even if following it failed)."""

    config: Path
    run: Optional[ExpresRun] = None
    error: Optional[Exception] = field(default=None, compare=False)
    job_id: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.run is not None and self.run.ok and self.error is None

    def _repr_html_(self) -> str:
        """This config's outcome as a one-row table in a notebook (text escaped)."""
        return _sweep_html([self])

    def html_row(self) -> Tuple[str, ...]:
        """The cells of this item in a sweep's table: config, job (linked), phase, files,
        error (escaped)."""
        run = self.run
        job = job_link(run.job_id, run.job_url) if run else escape(self.job_id or "-")
        phase = phase_html(run.phase) if run else "-"
        files = files_html([str(p) for p in run.files]) if run and run.files else "-"
        if self.error is not None:
            error = f"{type(self.error).__name__}: {self.error}"
        elif run is not None and run.error_summary is not None:
            error = run.error_summary.message
        else:
            error = ""
        return (
            escape(str(self.config)),
            job,
            phase,
            files,
            f"<pre>{escape(error)}</pre>" if error else "",
        )


class SweepResults(Tuple[SweepItem, ...]):
    """What :func:`run_sweep` returns: a plain tuple of :class:`SweepItem`, one per config in
    order, which shows as a table in a notebook."""

    __slots__ = ()

    @property
    def ok(self) -> bool:
        """Every job completed and saved its results."""
        return all(item.ok for item in self)

    def _repr_html_(self) -> str:
        return _sweep_html(self)


def _sweep_html(items: Sequence[SweepItem]) -> str:
    """One row per config: config, job (linked), phase, files, error."""
    header = ("config", "job", "phase", "files", "error")
    return table_html("uws-call-expres-sweep", header, [item.html_row() for item in items])


def run_sweep(
    configs: Sequence[PathArg],
    *,
    FILE_EPHEM: Optional[PathArg] = None,
    Job_List: Optional[str] = None,
    runID: Optional[str] = None,
    LOOP: bool = True,
    branch: Optional[str] = None,
    LOGIN: Optional[str] = None,
    executionDuration: Union[int, str, None] = None,
    TOKEN: Optional[str] = None,
    server: str = DEFAULT_SERVER,
    output_dir: PathArg = ".",
    timeout: Optional[float] = None,
    verbose: bool = True,
    overwrite: str = "rename",
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    to_stderr: bool = False,
    on_done: Optional[Callable[[SweepItem], None]] = None,
    strict: bool = False,
    words: Vocabulary = PYTHON,
    request_timeout: Optional[float] = None,
) -> SweepResults:
    """Run every config (as :func:`uws_call_expres` with these options; ``runID`` defaults
    to each config's file stem) and return one :class:`SweepItem` per config, in order.

    Local mistakes in any config raise before anything is submitted; every config's content
    is checked (``strict``: its errors are local mistakes too). ``on_done`` is called
    (from a worker thread) as each job's outcome is known. ``words``: how messages name
    settings (the command line passes ``words.CLI``). The tuple returned shows as a table in
    a notebook.
    """
    options = RunOptions.from_arguments(locals())
    return sweep(
        configs,
        options,
        verbose=verbose,
        max_parallel=max_parallel,
        to_stderr=to_stderr,
        on_done=on_done,
    )


def sweep(
    configs: Sequence[PathArg],
    options: RunOptions,
    *,
    verbose: bool = True,
    max_parallel: int = DEFAULT_MAX_PARALLEL,
    to_stderr: bool = False,
    on_done: Optional[Callable[[SweepItem], None]] = None,
) -> SweepResults:
    """:func:`run_sweep` with its run settings as one value (the command line's entry):
    every config is prepared with ``options`` (``run_id`` None: each config's file stem)."""
    check_count(max_parallel, "max_parallel", error=ConfigError)
    given = [Path(os.fspath(config)) for config in configs]
    plans: List[PreparedRun] = []
    for config, path in zip(configs, given):
        run_id = path.stem if options.run_id is None else options.run_id
        plans.append(prepare(config, replace(options, run_id=run_id)))
    pool = SweepPool(plans, given, verbose, to_stderr, on_done, options.words)
    return SweepResults(pool.run(min(max_parallel, len(plans))))


class SweepPool:
    """The worker threads running the prepared jobs of a sweep, ``workers`` at a time
    (:meth:`run`); :class:`~uws_call_expres.grid_worker.GridWorkers` runs a grid's points
    with it."""

    shared: SharedConnections
    """The workers' client and watcher (made by :meth:`run`: one worker alone long-polls)."""

    def __init__(
        self,
        plans: Sequence[PreparedRun],
        configs: Sequence[Path],
        verbose: bool,
        to_stderr: bool,
        on_done: Optional[Callable[[SweepItem], None]],
        words: Vocabulary = PYTHON,
    ) -> None:
        self.words = words
        self.plans = plans
        self.configs = configs  # as the caller gave them, for reports
        self.verbose = verbose
        self.to_stderr = to_stderr
        self.on_done = on_done
        self.todo: queue.Queue[int] = queue.Queue()
        self.done: queue.Queue[Tuple[int, SweepItem]] = queue.Queue()
        self.started: Dict[int, Tuple[str, str]] = {}  # index -> (job id, re-attach command)
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set on Ctrl-C: submit nothing more
        self._working = 0  # workers not yet ended: the last one out closes the connections

    def run(self, workers: int) -> Tuple[SweepItem, ...]:
        from .connections import SharedConnections  # a single run needs no watcher

        for index in range(len(self.plans)):
            self.todo.put(index)
        self.shared = SharedConnections(watch=workers > 1)
        self._working = workers
        for _ in range(workers):
            threading.Thread(target=self._worker, name="uws-call-expres-sweep", daemon=True).start()
        items: Dict[int, SweepItem] = {}
        try:
            while len(items) < len(self.plans):
                # A timeout, so that Ctrl-C reaches the main thread promptly.
                try:
                    index, item = self.done.get(timeout=0.2)
                except queue.Empty:
                    continue
                items[index] = item
        except KeyboardInterrupt:
            self.stop.set()
            self.shared.stop_watching()  # every wait ends; the jobs keep running
            self._report_interrupted(items)
            raise
        self.shared.close()  # every job is done (the last worker out closes them too)
        return tuple(items[i] for i in range(len(self.plans)))

    def _worker(self) -> None:
        try:
            self._work()
        finally:
            with self.lock:
                self._working -= 1
                last = self._working == 0
            if last:
                self.shared.close()

    def _work(self) -> None:
        while not self.stop.is_set():
            try:
                index = self.todo.get_nowait()
            except queue.Empty:
                return
            item = self._one(index)
            if self.stop.is_set() and isinstance(item.error, WatcherClosed):
                return  # interrupted: the sweep has said what it left running
            if self.on_done is not None:
                try:
                    self.on_done(item)
                except Exception:  # a reporting hook must not stop the sweep
                    LOGGER.exception("The sweep's on_done callback failed")
            self.done.put((index, item))

    def _one(self, index: int) -> SweepItem:
        total = len(self.plans)
        # The parameter line (first of each job) names the config; the number ties lines to it.
        prefix = f"[{index + 1}/{total}] " if total > 1 else ""
        console = Console(self.verbose, to_stderr=self.to_stderr, prefix=prefix, words=self.words)

        def submitted(job_id: str, command: str) -> None:
            with self.lock:
                self.started[index] = (job_id, command)

        try:
            run = self._execute(index, console, submitted)
        except Exception as exc:
            if not (self.stop.is_set() and isinstance(exc, WatcherClosed)):
                console.warning(f"{type(exc).__name__}: {exc}")
            with self.lock:
                # Created but not started or read back: new_job named it on the error.
                job_id = self.started.get(index, (None, ""))[0] or created_job_id(exc)
            # A completed job whose downloads failed still has an outcome worth reporting.
            partial = exc.run if isinstance(exc, ResultsIncomplete) else None
            return SweepItem(self.configs[index], partial, exc, job_id)
        return SweepItem(self.configs[index], run, None, run.job_id)

    def _execute(
        self, index: int, console: Console, submitted: Callable[[str, str], None]
    ) -> ExpresRun:
        """Run job ``index`` (a grid runs its points its own way)."""
        plan = self.plans[index]
        return execute(plan, console, per_job_dir=True, on_submitted=submitted, shared=self.shared)

    def _report_interrupted(self, finished: Dict[int, SweepItem]) -> None:
        with self.lock:
            running = [v for k, v in sorted(self.started.items()) if k not in finished]
        console = Console(self.verbose, words=self.words)
        if not running:
            console.notice("Interrupted; no job was left running.")
            return
        lines = [f"  {command}" for _, command in running]
        console.notice(
            f"Interrupted. {len(running)} job(s) keep running on the server; to re-attach, "
            f"{self.words.verb}:\n" + "\n".join(lines)
        )
