"""The command line: ``python -m uws_call_expres`` / ``uws-call-expres``.

Only the argument parser lives here, and it imports nothing but the standard library:
``--help`` must start fast. The work is done by :mod:`uws_call_expres.commands`.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

__all__ = ["build_parser", "main"]

PROG = "uws-call-expres"
# access.DEFAULT_SERVER, repeated: this module imports only the standard library.
DEFAULT_SERVER = "https://voparis-uws-maser.obspm.fr/rest/"

DESCRIPTION = """\
Run the ExPRES simulation on the MASER run-on-demand service
(https://voparis-uws-maser.obspm.fr): submit a config, wait for the job, and download
every result. Several CONFIG files make a sweep: the jobs run in parallel (at most
--max-parallel at a time) and each job's results go to OUTPUT_DIR/<job id>/.

Without --login you run as a guest: job list ExPRES, branch master, at most 600 s, and
your runs and results are visible to everybody. With --login NAME (authenticated access,
granted by the MASER team) you may pick any branch and run up to 3 hours; the token is read
from the environment variable EXPRES_TOKEN, else from ~/.netrc (`machine
voparis-uws-maser.obspm.fr login NAME password TOKEN`). It is never taken on the command
line, where other users of the machine could see it.

New here? `%(prog)s --demo` runs the bundled example start to finish on a local server
(no network, no account), and `%(prog)s --example-config example.json` writes that
example config (a real ExPRES config) for a run on the real service."""

EPILOG = """\
examples:
  %(prog)s --demo -o demo/
      offline demo: a local OPUS-compatible server runs the bundled example
  %(prog)s --example-config example.json && %(prog)s example.json
      write the bundled example config, then run it on the real service as a guest
  %(prog)s example.json
      guest run: submit, wait, download the results into the current directory
  %(prog)s example.json --ephem juice.csv --execution-duration 300 -o results/
      with an ephemeris file (the config's OBSERVER.EPHEM must be "juice.csv")
  EXPRES_TOKEN=... %(prog)s --login jdoe --branch develop example.json
      authenticated run on the develop branch (job list ExPRES-dev)
  %(prog)s run_a.json run_b.json run_c.json --max-parallel 2 -o sweep/
      a sweep: results in sweep/<job id>/ for each job
  %(prog)s example.json --no-wait
      submit and start only; prints the job id
  %(prog)s --attach 2a3490 -o results/
      take over a job again (after Ctrl-C, a closed laptop, a network cut)
  %(prog)s --list            your jobs (a guest sees every guest job)
  %(prog)s --abort 2a3490    stop a job
  %(prog)s --delete 2a3490   delete a job and its results on the server
  %(prog)s example.json --json --quiet > outcome.json
      machine-readable outcome on standard output

exit status:
  0    every job completed and its results were saved
  1    a job failed (ERROR), was aborted, or could not finish (HELD)
  2    usage or local input error (bad option, missing or invalid config, no token)
  3    timeout: a job was still running at the deadline (it keeps running; re-attach)
  4    server or network error
  130  interrupted (Ctrl-C); the jobs keep running and the re-attach command is printed
  A sweep exits with the most serious status among its jobs (2, 4, 3, then 1)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "configs",
        nargs="*",
        metavar="CONFIG",
        help="ExPRES config file(s) (JSON); several make a sweep",
    )

    action = parser.add_argument_group("other actions (instead of CONFIG)")
    exclusive = action.add_mutually_exclusive_group()
    exclusive.add_argument(
        "--attach", metavar="JOB_ID", help="wait for an existing job and download its results"
    )
    exclusive.add_argument(
        "--list", action="store_true", help="list your jobs (newest first) and exit"
    )
    exclusive.add_argument("--abort", metavar="JOB_ID", help="abort a job and exit")
    exclusive.add_argument("--delete", metavar="JOB_ID", help="delete a job and exit")
    exclusive.add_argument(
        "--example-config",
        metavar="FILE",
        help="write the bundled example config (a real ExPRES config) to FILE and exit; "
        "never overwrites an existing file",
    )
    exclusive.add_argument(
        "--demo",
        action="store_true",
        help="offline demo: run the bundled example as a guest on a local OPUS-compatible "
        "server started for the purpose (no network); results go to -o DIR (default: a new "
        "folder expres-demo/)",
    )

    run = parser.add_argument_group("run options")
    run.add_argument("--ephem", metavar="FILE", help="ephemeris file to upload with the config")
    run.add_argument(
        "--run-id", metavar="ID", help="the job's run id (default: the config file's name stem)"
    )
    run.add_argument(
        "--execution-duration",
        metavar="SECONDS",
        help="maximum run time (guests: at most 600, authenticated: at most 10800)",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="submit and start the job(s), print the job id(s), and exit",
    )
    run.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up waiting after this long (default: the duration limit plus a margin)",
    )
    run.add_argument(
        "--max-parallel",
        type=int,
        default=4,
        metavar="N",
        help="jobs of a sweep running at the same time (default: 4)",
    )

    access = parser.add_argument_group("access")
    access.add_argument(
        "--login",
        metavar="NAME",
        help="your MASER user name (token from EXPRES_TOKEN or ~/.netrc); default: guest",
    )
    access.add_argument(
        "--branch", metavar="NAME", help="ExPRES git branch (authenticated; default: master)"
    )
    access.add_argument(
        "--job-list",
        metavar="NAME",
        help="job list (authenticated; default: ExPRES, or ExPRES-dev for --branch develop)",
    )
    access.add_argument(
        "--server",
        metavar="URL",
        default=DEFAULT_SERVER,
        help="service base URL (default: %(default)s)",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        default=None,
        help="where results are saved (default: the current directory; with --demo, a new "
        "folder expres-demo/)",
    )
    output.add_argument(
        "--overwrite",
        choices=("rename", "always", "never"),
        default="rename",
        help="when a result's name is taken: rename the new file (default), replace the "
        "old one, or stop; your input files are never overwritten",
    )
    output.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    output.add_argument(
        "--json",
        action="store_true",
        help="print the outcome as JSON on standard output (messages go to standard error)",
    )
    output.add_argument("--no-progress", action="store_true", help="no download progress bars")
    output.add_argument(
        "--debug", action="store_true", help="log HTTP details and show tracebacks on errors"
    )
    output.add_argument("--version", action="version", version="%(prog)s 1.0.0")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status (see ``--help``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version, usage errors (status 2)
        return exc.code if isinstance(exc.code, int) else 2
    problem = _usage_problem(args)
    if problem:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 2
    from .commands import dispatch

    return dispatch(args)


def _usage_problem(args: argparse.Namespace) -> Optional[str]:
    other = [
        name
        for name, given in (
            ("--attach", args.attach),
            ("--list", args.list),
            ("--abort", args.abort),
            ("--delete", args.delete),
            ("--example-config", args.example_config),
            ("--demo", args.demo),
        )
        if given
    ]
    if other and args.configs:
        return f"give either CONFIG files or {other[0]}, not both"
    if not other and not args.configs:
        return (
            "give at least one CONFIG file (or --attach, --list, --abort, --delete); "
            "new here? try --demo, or --example-config example.json"
        )
    if args.max_parallel < 1:
        return "--max-parallel must be at least 1"
    if args.timeout is not None and args.timeout <= 0:
        return "--timeout must be positive"
    problems: List[str] = []
    if args.demo:
        for name, given in (
            ("--server", args.server != DEFAULT_SERVER),
            ("--login", args.login),
            ("--branch", args.branch),
            ("--job-list", args.job_list),
        ):
            if given:
                problems.append(f"--demo runs as a guest on its own local server: drop {name}")
    if args.ephem and other:
        problems.append("--ephem applies to CONFIG runs only")
    if args.no_wait and other:
        problems.append("--no-wait applies to CONFIG runs only")
    return problems[0] if problems else None
