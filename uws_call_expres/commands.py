"""What the command line does once its arguments are parsed, and its exit statuses.

Errors are reported as one line (``uws-call-expres: error: ...``) without a traceback,
unless ``--debug``; with ``--json`` the outcome (or the error) is also printed as one JSON
object on standard output. With ``--no-wait`` (and no ``--json``) standard output holds only
the ids of the jobs started, one per line, for ``JOB=$(uws-call-expres x.json --no-wait)``;
every other line goes to standard error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from uws_lite import Client
from uws_lite.errors import InvalidRequest, JobError, UWSError, WaitTimeout

from .access import resolve_access, split_server
from .cli import is_cdf
from .errors import AccessError, CdfError, ResultsIncomplete
from .outcome import ExpresRun
from .output import Console, printable, progress_wanted
from .run import check_job_id, execute, follow, open_client, prepare
from .saving import check_output_dir
from .sweep import SweepItem, run_sweep
from .words import CLI

__all__ = ["EXIT_CODES", "dispatch", "exit_code_for"]

PROG = "uws-call-expres"
OK, JOB_FAILED, USAGE, TIMEOUT, SERVER, INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = {
    "ok": OK,
    "job_failed": JOB_FAILED,
    "usage": USAGE,
    "timeout": TIMEOUT,
    "server": SERVER,
    "interrupted": INTERRUPTED,
}
# The most serious status wins in a sweep.
_SEVERITY = (USAGE, SERVER, TIMEOUT, JOB_FAILED, OK)


def exit_code_for(error: BaseException) -> int:
    """The exit status for an exception (see ``--help``)."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(error, InvalidRequest):
        return USAGE
    if isinstance(error, WaitTimeout):
        return TIMEOUT
    if isinstance(error, JobError):  # HELD, never started
        return JOB_FAILED
    if isinstance(error, UWSError):
        return SERVER
    if isinstance(error, OSError):  # local files (output directory, disk full)
        return USAGE
    return SERVER


def dispatch(args: argparse.Namespace) -> int:
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
        )
    command = _Command(args)
    try:
        return command.run()
    except KeyboardInterrupt:
        command.emit_json({"ok": False, "exit_code": INTERRUPTED, "error": _error_dict(None)})
        return INTERRUPTED
    except Exception as exc:
        code = exit_code_for(exc)
        command.report_error(exc)
        command.emit_json({"ok": False, "exit_code": code, "error": _error_dict(exc)})
        return code


class _Command:
    def __init__(self, args: argparse.Namespace) -> None:
        if args.output_dir is None and not args.demo:  # --demo picks a new folder itself
            args.output_dir = "."
        self.args = args
        self.verbose = not args.quiet
        # stdout is for the JSON (--json) or the job ids (--no-wait): messages go to stderr.
        self.to_stderr = bool(args.json or getattr(args, "no_wait", False))
        self.console = Console(self.verbose, to_stderr=self.to_stderr, words=CLI)

    def run(self) -> int:
        args = self.args
        if args.plot:
            from .science import require

            require()  # a missing extra is a usage error, found before any request
            if args.configs and all(is_cdf(name) for name in args.configs):
                return self.plot_files(args.configs)
        if args.list:
            return self.list_jobs()
        if args.abort:
            return self.abort(args.abort)
        if args.delete:
            return self.delete(args.delete)
        if args.attach:
            return self.attach(args.attach)
        if args.grid:
            return self.grid(args.grid, args.axes)
        if args.check:
            return self.check(args.configs)
        if args.example_config:
            return self.example_config(args.example_config)
        if args.demo:
            return self.demo()
        if len(args.configs) == 1:
            return self.single(args.configs[0])
        return self.sweep(args.configs)

    # -- runs
    def run_options(self) -> Dict[str, Any]:
        """The options shared by a single run and a sweep (the token comes from the
        environment or ~/.netrc: never from the command line)."""
        args = self.args
        return {
            "Job_List": args.job_list,
            "LOOP": not args.no_wait,
            "branch": args.branch,
            "LOGIN": args.login,
            "executionDuration": args.execution_duration,
            "server": self.server(),
            "output_dir": args.output_dir,
            "timeout": args.timeout,
            "overwrite": args.overwrite,
            "strict": args.strict,
            "request_timeout": args.request_timeout,
        }

    def server(self) -> str:
        """``--server``, or ``--url`` (which must name a job list), checked locally."""
        url: Optional[str] = getattr(self.args, "url", None)
        if url is None:
            return str(self.args.server)
        base, job_list = split_server(url)
        if job_list is None:
            raise AccessError(
                f"--url {url!r} is a base URL, not a job list URL: give --url "
                f"{base}ExPRES (or ExPRES-dev), or --server {base}"
            )
        return url

    def single(self, config: str) -> int:
        args = self.args
        run_id = args.run_id if args.run_id is not None else Path(config).stem
        plan = prepare(config, args.ephem, runID=run_id, words=CLI, **self.run_options())
        progress = progress_wanted(False if args.no_progress else None, self.verbose)
        try:
            run = execute(plan, self.console, progress=progress)
        except ResultsIncomplete as exc:
            self.report_error(exc)
            self.emit_runs([_item_dict(SweepItem(Path(config), exc.run, exc))], SERVER)
            return SERVER
        code = OK if run.ok else JOB_FAILED
        self.summarise_run(run)
        document = _item_dict(SweepItem(Path(config), run))
        code = self.plot_run(run, document, code)
        self.emit_ids([run.job_id])
        self.emit_runs([document], code)
        return code

    def sweep(self, configs: Sequence[str]) -> int:
        args = self.args
        items = run_sweep(
            configs,
            FILE_EPHEM=args.ephem,
            runID=args.run_id,
            verbose=self.verbose,
            max_parallel=args.max_parallel,
            to_stderr=self.to_stderr,
            words=CLI,
            **self.run_options(),
        )
        codes = [_item_code(item) for item in items]
        self.summarise_sweep(items)
        documents = [_item_dict(item) for item in items]
        for i, (item, document) in enumerate(zip(items, documents)):
            if item.run is not None and item.error is None:
                codes[i] = self.plot_run(item.run, document, codes[i])
        code = next(c for c in _SEVERITY if c in codes or c == OK)
        self.emit_ids([i.run.job_id for i in items if i.run is not None and i.error is None])
        self.emit_runs(documents, code)
        return code

    def grid(self, base: str, settings: Sequence[str]) -> int:
        from .grid import run_grid
        from .gridspec import parse_axis

        args = self.args
        options = self.run_options()
        options["overwrite"] = args.overwrite if args.overwrite_given else "always"
        outcome = run_grid(
            base,
            [parse_axis(text) for text in settings],
            FILE_EPHEM=args.ephem,
            verbose=self.verbose,
            max_parallel=args.max_parallel,
            progress=False if args.no_progress else None,
            retry_failed=args.retry_failed,
            to_stderr=self.to_stderr,
            words=CLI,
            **options,
        )
        codes = [_grid_point_code(point) for point in outcome.points]
        code = next(c for c in _SEVERITY if c in codes or c == OK)
        self.summarise_grid(outcome)
        self.emit_ids([point.job_id for point in outcome.points if point.job_id])
        self.emit_json(dict(outcome.to_dict(), ok=code == OK, exit_code=code))
        return code

    def attach(self, job_id: str) -> int:
        args = self.args
        access = resolve_access(
            server=self.server(),
            job_list=args.job_list,
            login=args.login,
            request_timeout=args.request_timeout,
            words=CLI,
        )
        output_dir = check_output_dir(args.output_dir, CLI)
        try:
            run = follow(
                check_job_id(job_id),
                access,
                self.console,
                output_dir=output_dir,
                overwrite=args.overwrite,
                timeout=args.timeout,
                progress=progress_wanted(False if args.no_progress else None, self.verbose),
            )
        except ResultsIncomplete as exc:
            self.report_error(exc)
            self.emit_runs([_item_dict(SweepItem(Path(), exc.run, exc), config=False)], SERVER)
            return SERVER
        code = OK if run.ok else JOB_FAILED
        self.summarise_run(run)
        document = _item_dict(SweepItem(Path(), run), config=False)
        code = self.plot_run(run, document, code)
        self.emit_runs([document], code)
        return code

    def check(self, configs: Sequence[str]) -> int:
        """``--check``: each config's problems as linter lines on standard output (nothing is
        sent; no token needed); exit 1 if any is an error."""
        from .checks import check_config

        authenticated = self.args.login is not None  # the limits of the size warnings
        reports: List[Dict[str, Any]] = []
        for config in configs:
            problems = check_config(config, ephemeris=self.args.ephem, authenticated=authenticated)
            if not self.args.json:
                for problem in problems:
                    sys.stdout.write(printable(f"{config}: {problem}") + "\n")
            reports.append(
                {
                    "config": config,
                    "ok": not any(p.is_error for p in problems),
                    "problems": [dataclasses.asdict(p) for p in problems],
                }
            )
        sys.stdout.flush()
        errors = sum(1 for r in reports for p in r["problems"] if p["severity"] == "error")
        warnings = sum(len(r["problems"]) for r in reports) - errors
        code = JOB_FAILED if errors else OK
        summary = f"{len(configs)} config(s) checked: {errors} error(s), {warnings} warning(s)"
        if self.verbose:
            print(summary, file=sys.stderr)
        self.emit_json({"ok": code == OK, "exit_code": code, "checks": reports})
        return code

    # -- quick-looks (--plot)
    def plot_run(self, run: ExpresRun, document: Dict[str, Any], code: int) -> int:
        """With --plot, draw each CDF a successful run saved; record the PNGs in its JSON
        ``document``; return the exit status (2 when a quick-look could not be drawn)."""
        if not self.args.plot or not run.ok:
            return code
        if not run.cdf_files:
            self.console.warning(f"job {printable(run.job_id)} saved no .cdf file to plot")
        plots = [self.plot_one(path) for path in run.cdf_files]
        document["plots"] = plots
        return USAGE if any(plot["error"] for plot in plots) and code == OK else code

    def plot_files(self, names: Sequence[str]) -> int:
        """--plot with .cdf files and no run: draw each one beside itself."""
        plots = [self.plot_one(Path(name)) for name in names]
        code = USAGE if any(plot["error"] for plot in plots) else OK
        self.emit_json({"ok": code == OK, "exit_code": code, "plots": plots})
        return code

    def plot_one(self, cdf: Path) -> Dict[str, Any]:
        from .science import quicklook, read_cdf

        png = cdf.with_suffix(".png")
        try:
            dataset = read_cdf(cdf)
            variable = "Theta" if "Theta" in dataset.data_vars else "Polarization"
            quicklook(dataset, png, variable=variable, title=cdf.name)
        except (CdfError, OSError) as exc:
            self.report_error(exc)
            return {"cdf": str(cdf), "png": None, "error": _error_dict(exc)}
        self.console.info(f"Quick-look: {printable(str(png))}")
        return {"cdf": str(cdf), "png": str(png), "error": None}

    def demo(self) -> int:
        """A guest run of the bundled example on a local server, through :meth:`single`."""
        from .demo import DEMO_RUN_ID, demo_server, new_demo_dir
        from .example import EXAMPLE_CONFIG_COMMAND, example_config_path

        args = self.args
        if args.output_dir is None:
            args.output_dir = str(new_demo_dir())
        if args.run_id is None:
            args.run_id = DEMO_RUN_ID
        with demo_server() as server, example_config_path() as config:
            args.server = server.rest_url
            self.console.info(
                f"Demo: a local OPUS-compatible server on {server.rest_url} (nothing leaves "
                "this machine) runs the bundled example config as a guest."
            )
            try:
                code = self.single(str(config))
            except KeyboardInterrupt:
                self.console.notice(
                    "Demo interrupted: the local server is stopped, and its job with it "
                    "(re-attaching is not possible; nothing ran on the real service)."
                )
                raise
        self.console.info(
            f"Demo finished; its files are in {Path(args.output_dir).absolute()}. The local "
            f"server is stopped. A real run: {EXAMPLE_CONFIG_COMMAND} && "
            "python -m uws_call_expres example.json"
        )
        return code

    def example_config(self, path: str) -> int:
        from .example import write_example_config

        written = write_example_config(path)
        self.console.info(
            f"Wrote the example ExPRES config {written}; run it with:\n"
            f"  python -m uws_call_expres {shlex.quote(printable(path))}"
        )
        self.emit_json({"ok": True, "exit_code": OK, "example_config": str(written)})
        return OK

    # -- job management
    def client(self) -> Client:
        access = resolve_access(
            server=self.server(),
            job_list=self.args.job_list,
            login=self.args.login,
            request_timeout=self.args.request_timeout,
            words=CLI,
        )
        for warning in access.warnings:
            self.console.warning(warning)
        return open_client(access)

    def list_jobs(self) -> int:
        with self.client() as client:
            jobs = client.get_job_list().newest_first()
        rows = [
            {
                "job_id": job.job_id,
                "phase": job.phase.value,
                "run_id": job.run_id,
                "owner_id": job.owner_id,
                "creation_time": job.creation_time.isoformat() if job.creation_time else None,
            }
            for job in jobs
        ]
        for row in rows:
            self.console.info(
                "  ".join(
                    printable(str(row[key] or "-")).ljust(width)
                    for key, width in (
                        ("job_id", 8),
                        ("phase", 10),
                        ("creation_time", 20),
                        ("run_id", 0),
                    )
                ).rstrip()
            )
        if not rows:
            self.console.info("No jobs.")
        self.emit_json({"ok": True, "exit_code": OK, "jobs": rows})
        return OK

    def abort(self, job_id: str) -> int:
        with self.client() as client:
            job = client.abort_job(check_job_id(job_id))
        self.console.info(f"Job {printable(job.job_id)}: {job.phase}")
        self.emit_json(
            {"ok": True, "exit_code": OK, "job_id": job.job_id, "phase": job.phase.value}
        )
        return OK

    def delete(self, job_id: str) -> int:
        with self.client() as client:
            client.delete_job(check_job_id(job_id))
        self.console.info(f"Job {printable(job_id)} deleted")
        self.emit_json({"ok": True, "exit_code": OK, "job_id": job_id, "deleted": True})
        return OK

    # -- reporting
    def summarise_run(self, run: ExpresRun) -> None:
        if run.files:
            folder = run.files[0].parent
            self.console.info(f"{len(run.files)} result(s) saved in {folder}")

    def summarise_sweep(self, items: Sequence[SweepItem]) -> None:
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
            self.console.info("  " + printable(line))

    def summarise_grid(self, outcome: Any) -> None:
        points = outcome.points
        self.console.info(f"Grid: {len(points)} point(s); manifest: {outcome.manifest}")
        rows = [
            (str(p.index + 1), p.status, p.phase or "-", p.job_id or "-", p.folder.name)
            for p in points
        ]
        header = ("#", "status", "phase", "job", "folder")
        widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
            self.console.info("  " + printable("  ".join(cells)))
        for point in points:
            error = point.item.error if point.item is not None else None
            if error is not None:
                self.console.info(f"  {point.folder.name}: {printable(str(error))}")

    def report_error(self, error: BaseException) -> None:
        if self.args.debug:
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        message = printable(str(error)) or type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)

    def emit_ids(self, job_ids: Sequence[str]) -> None:
        """``--no-wait`` without ``--json``: the started jobs' ids on stdout, one per line
        (even with ``--quiet``)."""
        if self.args.no_wait and not self.args.json:
            sys.stdout.write("".join(f"{printable(job_id)}\n" for job_id in job_ids))
            sys.stdout.flush()

    def emit_runs(self, runs: List[Dict[str, Any]], code: int) -> None:
        self.emit_json({"ok": code == OK, "exit_code": code, "runs": runs})

    def emit_json(self, document: Dict[str, Any]) -> None:
        if self.args.json:
            sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()


def _item_code(item: SweepItem) -> int:
    if item.error is not None:
        return exit_code_for(item.error)
    return OK if item.run is not None and item.run.ok else JOB_FAILED


def _grid_point_code(point: Any) -> int:
    if point.item is not None:
        return _item_code(point.item)
    return OK if point.ok else JOB_FAILED


def _item_dict(item: SweepItem, *, config: bool = True) -> Dict[str, Any]:
    document: Dict[str, Any] = {"config": str(item.config) if config else None}
    if item.run is not None:
        document.update(item.run.to_dict())
    else:
        document.update({"job_id": item.job_id, "ok": False})
    document["error"] = None if item.error is None else _error_dict(item.error)
    if item.error is not None:
        document["ok"] = False
    document["exit_code"] = _item_code(item)
    return document


def _error_dict(error: Optional[BaseException]) -> Dict[str, Any]:
    if error is None:
        return {"type": "KeyboardInterrupt", "message": "interrupted"}
    return {"type": type(error).__name__, "message": str(error)}
