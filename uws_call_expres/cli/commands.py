"""What the command line does once its arguments are parsed: one method per action.

The exit statuses are :class:`uws_lite.exitcodes.ExitCode` (the same for both command
lines); what is printed is :mod:`uws_call_expres.cli.report`'s. With ``--json`` the outcome
(or the error) is also printed as one JSON object on standard output. With ``--no-wait`` (and
no ``--json``) standard output holds only the ids of the jobs started, one per line, for
``JOB=$(uws-call-expres x.json --no-wait)``; every other line goes to standard error.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from uws_lite import Client
from uws_lite.exitcodes import ExitCode, exit_code_for, most_serious
from uws_lite.text import for_terminal

from ..access import open_client, split_server
from ..config import check_job_id
from ..errors import AccessError, CdfError
from ..flags import Flag
from ..following import follow_existing
from ..options import RunOptions, prepare
from ..outcome import ExpresRun, ResultsIncomplete
from ..output import progress_wanted
from ..run import execute
from ..words import CLI, command_line
from .parser import is_cdf
from .report import Report, error_dict, grid_point_code, item_code, item_dict, outcome_dict

__all__ = ["dispatch"]


def dispatch(args: argparse.Namespace) -> int:
    """Do what the parsed ``args`` ask; return the exit status."""
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
        )
    command = _Command(args)
    try:
        return command.run()
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
        command.report.json({"ok": False, "exit_code": code, "error": error_dict(None)})
        return code
    except Exception as exc:
        code = exit_code_for(exc)
        command.report.error(exc)
        command.report.json({"ok": False, "exit_code": code, "error": error_dict(exc)})
        return code


class _Command:
    def __init__(self, args: argparse.Namespace) -> None:
        if args.output_dir is None and not args.demo:  # --demo picks a new folder itself
            args.output_dir = "."
        self.args = args
        self.verbose = not args.quiet
        self.report = Report(args)
        self.console = self.report.console

    def run(self) -> int:
        args = self.args
        if args.plot:
            from ..science import require

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
    def options(self) -> RunOptions:
        """The run's settings from the arguments (the token comes from the environment or
        ~/.netrc: never from the command line)."""
        args = self.args
        return RunOptions(
            job_list=args.job_list,
            run_id=args.run_id,
            loop=not args.no_wait,
            branch=args.branch,
            login=args.login,
            execution_duration=args.execution_duration,
            server=self.server(),
            output_dir=args.output_dir,
            timeout=args.timeout,
            overwrite=args.overwrite,
            strict=args.strict,
            request_timeout=args.request_timeout,
            ephemeris=args.ephem,
            words=CLI,
        )

    def progress(self) -> bool:
        return progress_wanted(False if self.args.no_progress else None, self.verbose)

    def server(self) -> str:
        """``--server``, or ``--url`` (which must name a job list), checked locally."""
        url: Optional[str] = getattr(self.args, "url", None)
        if url is None:
            return str(self.args.server)
        base, job_list = split_server(url)
        if job_list is None:
            raise AccessError(
                f"{Flag.URL} {url!r} is a base URL, not a job list URL: give {Flag.URL} "
                f"{base}ExPRES (or ExPRES-dev), or {Flag.SERVER} {base}"
            )
        return url

    def single(self, config: str) -> int:
        options = self.options()
        if options.run_id is None:
            options = dataclasses.replace(options, run_id=Path(config).stem)
        plan = prepare(config, options)
        try:
            run = execute(plan, self.console, progress=self.progress())
        except ResultsIncomplete as exc:
            return self.incomplete(exc, outcome_dict(Path(config), exc.run, exc))
        self.report.ids([run.job_id])
        return self.finished(run, outcome_dict(Path(config), run))

    def attach(self, job_id: str) -> int:
        options = self.options()
        try:
            run = follow_existing(job_id, options, self.console, progress=self.progress())
        except ResultsIncomplete as exc:
            return self.incomplete(exc, outcome_dict(None, exc.run, exc))
        return self.finished(run, outcome_dict(None, run))

    def finished(self, run: ExpresRun, document: Dict[str, Any]) -> int:
        """Report one run that went to its end (or was started, ``--no-wait``)."""
        self.report.run(run)
        code = self.plot_run(run, document, ExitCode.OK if run.ok else ExitCode.JOB_FAILED)
        self.report.runs([document], code)
        return code

    def incomplete(self, error: ResultsIncomplete, document: Dict[str, Any]) -> int:
        """Report a completed job some of whose results could not be saved."""
        self.report.error(error)
        self.report.runs([document], ExitCode.SERVER)
        return ExitCode.SERVER

    def sweep(self, configs: Sequence[str]) -> int:
        from ..sweep import sweep  # a single run does not load the sweep machinery

        items = sweep(
            configs,
            self.options(),
            verbose=self.verbose,
            max_parallel=self.args.max_parallel,
            to_stderr=self.report.to_stderr,
        )
        codes = [item_code(item) for item in items]
        self.report.sweep(items)
        documents = [item_dict(item) for item in items]
        for i, (item, document) in enumerate(zip(items, documents)):
            if item.run is not None and item.error is None:
                codes[i] = self.plot_run(item.run, document, codes[i])
        code = most_serious(codes)
        self.report.ids([i.run.job_id for i in items if i.run is not None and i.error is None])
        self.report.runs(documents, code)
        return code

    def grid(self, base: str, settings: Sequence[str]) -> int:
        from ..grid import grid
        from ..gridspec import parse_axis

        args = self.args
        overwrite = args.overwrite if args.overwrite_given else "always"
        outcome = grid(
            base,
            [parse_axis(text) for text in settings],
            dataclasses.replace(self.options(), overwrite=overwrite),
            verbose=self.verbose,
            max_parallel=args.max_parallel,
            progress=False if args.no_progress else None,
            retry_failed=args.retry_failed,
            to_stderr=self.report.to_stderr,
        )
        code = most_serious(grid_point_code(point) for point in outcome.points)
        self.report.grid(outcome)
        self.report.ids([point.job_id for point in outcome.points if point.job_id])
        self.report.json(dict(outcome.to_dict(), ok=code == ExitCode.OK, exit_code=code))
        return code

    def check(self, configs: Sequence[str]) -> int:
        """``--check``: each config's problems as linter lines on standard output (nothing is
        sent; no token needed); exit 1 if any is an error."""
        from ..checks import check_config

        authenticated = self.args.login is not None  # the limits of the size warnings
        reports: List[Dict[str, Any]] = []
        for config in configs:
            problems = check_config(config, ephemeris=self.args.ephem, authenticated=authenticated)
            if not self.args.json:
                for problem in problems:
                    sys.stdout.write(for_terminal(f"{config}: {problem}") + "\n")
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
        code = ExitCode.JOB_FAILED if errors else ExitCode.OK
        summary = f"{len(configs)} config(s) checked: {errors} error(s), {warnings} warning(s)"
        if self.verbose:
            print(summary, file=sys.stderr)
        self.report.json({"ok": code == ExitCode.OK, "exit_code": code, "checks": reports})
        return code

    # -- quick-looks (--plot)
    def plot_run(self, run: ExpresRun, document: Dict[str, Any], code: ExitCode) -> ExitCode:
        """With --plot, draw each CDF a successful run saved; record the PNGs in its JSON
        ``document``; return the exit status (2 when a quick-look could not be drawn)."""
        if not self.args.plot or not run.ok:
            return code
        if not run.cdf_files:
            self.console.warning(f"job {for_terminal(run.job_id)} saved no .cdf file to plot")
        plots = [self.plot_one(path) for path in run.cdf_files]
        document["plots"] = plots
        failed = any(plot["error"] for plot in plots) and code == ExitCode.OK
        return ExitCode.USAGE if failed else code

    def plot_files(self, names: Sequence[str]) -> int:
        """--plot with .cdf files and no run: draw each one beside itself."""
        plots = [self.plot_one(Path(name)) for name in names]
        code = ExitCode.USAGE if any(plot["error"] for plot in plots) else ExitCode.OK
        self.report.json({"ok": code == ExitCode.OK, "exit_code": code, "plots": plots})
        return code

    def plot_one(self, cdf: Path) -> Dict[str, Any]:
        from ..science import quicklook, read_cdf

        png = cdf.with_suffix(".png")
        try:
            dataset = read_cdf(cdf)
            variable = "Theta" if "Theta" in dataset.data_vars else "Polarization"
            quicklook(dataset, png, variable=variable, title=cdf.name)
        except (CdfError, OSError) as exc:
            self.report.error(exc)
            return {"cdf": str(cdf), "png": None, "error": error_dict(exc)}
        self.console.info(f"Quick-look: {for_terminal(str(png))}")
        return {"cdf": str(cdf), "png": str(png), "error": None}

    # -- the bundled example
    def demo(self) -> int:
        """A guest run of the bundled example on a local server, through :meth:`single`."""
        from ..demo import DEMO_RUN_ID, demo_server, new_demo_dir
        from ..example import EXAMPLE_CONFIG_COMMAND, example_config_path

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
            f"{command_line('example.json')}"
        )
        return code

    def example_config(self, path: str) -> int:
        from ..example import write_example_config

        written = write_example_config(path)
        self.console.info(
            f"Wrote the example ExPRES config {written}; run it with:\n"
            f"  {command_line(for_terminal(path))}"
        )
        self.report.json({"ok": True, "exit_code": ExitCode.OK, "example_config": str(written)})
        return ExitCode.OK

    # -- job management
    def client(self) -> Client:
        access = self.options().access(branch=False)
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
        columns = (("job_id", 8), ("phase", 10), ("creation_time", 20), ("run_id", 0))
        for row in rows:
            cells = (for_terminal(str(row[key] or "-")).ljust(width) for key, width in columns)
            self.console.info("  ".join(cells).rstrip())
        if not rows:
            self.console.info("No jobs.")
        self.report.json({"ok": True, "exit_code": ExitCode.OK, "jobs": rows})
        return ExitCode.OK

    def abort(self, job_id: str) -> int:
        with self.client() as client:
            job = client.abort_job(check_job_id(job_id))
        self.console.info(f"Job {for_terminal(job.job_id)}: {job.phase}")
        self.report.json(
            {"ok": True, "exit_code": ExitCode.OK, "job_id": job.job_id, "phase": job.phase.value}
        )
        return ExitCode.OK

    def delete(self, job_id: str) -> int:
        with self.client() as client:
            client.delete_job(check_job_id(job_id))
        self.console.info(f"Job {for_terminal(job_id)} deleted")
        self.report.json({"ok": True, "exit_code": ExitCode.OK, "job_id": job_id, "deleted": True})
        return ExitCode.OK
