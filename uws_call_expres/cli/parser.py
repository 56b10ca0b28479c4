"""The argument parser of ``python -m uws_call_expres`` / ``uws-call-expres``.

It imports nothing but the standard library (``--help`` must start fast; ``bench/coldstart.py``
measures it). The options are spelt in :mod:`uws_call_expres.flags`; the checks that need
several options together are in :mod:`uws_call_expres.cli.usage`, the work in
:mod:`uws_call_expres.cli.commands`.
"""

from __future__ import annotations

import argparse
from typing import Any, List, NoReturn, Sequence

from ..flags import DEFAULT_SERVER, PROG, Flag

__all__ = [
    "DESCRIPTION",
    "EPILOG",
    "OVERWRITE_CHOICES",
    "bare_overwrite",
    "build_parser",
    "is_cdf",
]

OVERWRITE_CHOICES = ("rename", "always", "never")

DESCRIPTION = """\
Run the ExPRES simulation on the MASER run-on-demand service
(https://voparis-uws-maser.obspm.fr): submit a config, wait for the job, and download
every result. Several CONFIG files make a sweep: the jobs run in parallel (at most
--max-parallel at a time) and each job's results go to OUTPUT_DIR/<job id>/. --grid BASE
with --set PATH=VALUES runs every combination of values over one config, each point in its
own folder, with OUTPUT_DIR/manifest.json; the same command again resumes the grid.

Without --login you run as a guest: job list ExPRES, branch master, at most 600 s, and
your runs and results are visible to everybody. With --login NAME (authenticated access,
granted by the MASER team) you may pick any branch and run up to 3 hours; the token is read
from the environment variable EXPRES_TOKEN, else from ~/.netrc (`machine
voparis-uws-maser.obspm.fr login NAME password TOKEN`), else from UWS_TOKEN (uws-lite's
variable). It is never taken on the command line, where other users of the machine could
see it.

The options shared with uws-lite mean the same in both: --url (the job list URL),
--login, --request-timeout (each request), --wait-timeout (the whole wait), -o/--output-dir
(alias --output), --overwrite, --json, -q/--quiet, --debug.

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
  JOB=$(%(prog)s example.json --no-wait)
      submit and start only; standard output is the job id alone (one per line for a sweep)
  %(prog)s --check run_a.json run_b.json
      check configs locally (no network, no token): one line per problem, exit 1 on errors
  %(prog)s example.json --strict
      refuse to send a config in which the check finds errors
  %(prog)s --attach 2a3490 -o results/
      take over a job again (after Ctrl-C, a closed laptop, a network cut)
  %(prog)s --grid example.json --set 'SOURCE[0].ACCEL=1,3,10' --set 'SOURCE[0].WIDTH=1:2:1' -o grid/
      a 3x2 parameter grid: grid/ACCEL=1_WIDTH=1-<hash>/... and grid/manifest.json; the
      same command again resumes it (takes over running jobs, skips finished points)
  %(prog)s --url https://voparis-uws-maser.obspm.fr/rest/ExPRES --list
      the job list URL, as uws-lite takes it (same as --server URL/rest/ --job-list NAME)
  %(prog)s --list            your jobs (a guest sees every guest job)
  %(prog)s --abort 2a3490    stop a job
  %(prog)s --delete 2a3490   delete a job and its results on the server
  %(prog)s example.json --json --quiet > outcome.json
      machine-readable outcome on standard output
  %(prog)s example.json --plot
      run, then draw each saved CDF's quick-look as <cdf stem>.png beside it
  %(prog)s --plot expres_io.cdf [more.cdf ...]
      no run: draw the quick-look of CDF files you already have (every positional
      argument must then end in .cdf; needs pip install 'uws_call_expres[science]')

exit status:
  0    every job completed and its results were saved
  1    a job failed (ERROR), was aborted, or could not finish (HELD);
       with --check: an error was found in a config
  2    usage or local input error (bad option, missing or invalid config, no token,
       a missing extra, a CDF that --plot cannot draw)
  3    timeout: a job was still running at the deadline (it keeps running; re-attach)
  4    server or network error
  130  interrupted (Ctrl-C); the jobs keep running and the re-attach command is printed
  A sweep or a grid exits with the most serious status among its jobs (2, 4, 3, then 1)."""


class _Version(argparse.Action):
    """``--version``: reads the one version (:mod:`uws_lite._version`) only when asked, so
    that building the parser imports nothing but the standard library."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        from uws_lite._version import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the command line (its options are spelt in :class:`Flag`)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "configs",
        nargs="*",
        metavar=Flag.CONFIG,
        help="ExPRES config file(s) (JSON); several make a sweep; with --plot, .cdf files "
        "instead are drawn without any run",
    )
    _add_actions(parser.add_argument_group("other actions (instead of CONFIG)"))
    _add_run_options(parser.add_argument_group("run options"))
    _add_access(parser.add_argument_group("access"))
    _add_output(parser.add_argument_group("output"))
    return parser


def _add_actions(action: argparse._ArgumentGroup) -> None:
    exclusive = action.add_mutually_exclusive_group()
    exclusive.add_argument(
        Flag.ATTACH, metavar="JOB_ID", help="wait for an existing job and download its results"
    )
    exclusive.add_argument(
        Flag.LIST, action="store_true", help="list your jobs (newest first) and exit"
    )
    exclusive.add_argument(Flag.ABORT, metavar="JOB_ID", help="abort a job and exit")
    exclusive.add_argument(Flag.DELETE, metavar="JOB_ID", help="delete a job and exit")
    exclusive.add_argument(
        Flag.GRID,
        metavar="BASE",
        help="run a parameter grid over the config BASE (with --set); run it again to resume",
    )
    action.add_argument(
        Flag.SET,
        action="append",
        default=[],
        metavar="PATH=VALUES",
        dest="axes",
        help="a grid axis (repeatable; the last varies fastest): a config path such as "
        'SOURCE[0].ACCEL and comma-separated JSON values (1,3,10 or \'"a","b"\'; a bare '
        "word is a string) or a range START:STOP:STEP (STOP included when a step lands on it)",
    )
    action.add_argument(
        Flag.RETRY_FAILED,
        action="store_true",
        help="with --grid: submit again the points whose job failed in an earlier run",
    )
    exclusive.add_argument(
        Flag.CHECK,
        action="store_true",
        help="check the CONFIG file(s) locally and exit (nothing is sent): one line per "
        "problem, `FILE: PATH: SEVERITY: MESSAGE (HINT)`; exit 1 if there is an error",
    )
    exclusive.add_argument(
        Flag.EXAMPLE_CONFIG,
        metavar="FILE",
        help="write the bundled example config (a real ExPRES config) to FILE and exit; "
        "never overwrites an existing file",
    )
    exclusive.add_argument(
        Flag.DEMO,
        action="store_true",
        help="offline demo: run the bundled example as a guest on a local OPUS-compatible "
        "server started for the purpose (no network); results go to -o DIR (default: a new "
        "folder expres-demo/)",
    )


def _add_run_options(run: argparse._ArgumentGroup) -> None:
    run.add_argument(Flag.EPHEM, metavar="FILE", help="ephemeris file to upload with the config")
    run.add_argument(
        Flag.RUN_ID, metavar="ID", help="the job's run id (default: the config file's name stem)"
    )
    run.add_argument(
        Flag.EXECUTION_DURATION,
        metavar="SECONDS",
        help="maximum run time (guests: at most 600, authenticated: at most 10800)",
    )
    run.add_argument(
        Flag.NO_WAIT,
        action="store_true",
        help="submit and start the job(s), print only their id(s) on standard output "
        "(one per line; other messages go to standard error), and exit",
    )
    run.add_argument(
        Flag.STRICT,
        action="store_true",
        help="refuse to send a config in which the check finds errors (default: they are "
        "printed as warnings and the config is sent)",
    )
    run.add_argument(
        Flag.WAIT_TIMEOUT,
        Flag.TIMEOUT,
        dest="timeout",
        type=float,
        metavar="SECONDS",
        help="give up waiting for the job's end after this long (default: the duration limit "
        "plus a margin); --timeout is the old name of --wait-timeout",
    )
    run.add_argument(
        Flag.REQUEST_TIMEOUT,
        type=float,
        metavar="SECONDS",
        help="how long to wait for each answer of the server (default: 90)",
    )
    run.add_argument(
        Flag.MAX_PARALLEL,
        type=int,
        default=4,
        metavar="N",
        help="jobs of a sweep running at the same time (default: 4)",
    )


def _add_access(access: argparse._ArgumentGroup) -> None:
    access.add_argument(
        Flag.LOGIN,
        metavar="NAME",
        help="your MASER user name (token from EXPRES_TOKEN, ~/.netrc or UWS_TOKEN); "
        "default: guest",
    )
    access.add_argument(
        Flag.BRANCH, metavar="NAME", help="ExPRES git branch (authenticated; default: master)"
    )
    access.add_argument(
        Flag.JOB_LIST,
        metavar="NAME",
        help="job list (authenticated; default: ExPRES, or ExPRES-dev for --branch develop)",
    )
    where = access.add_mutually_exclusive_group()
    where.add_argument(
        Flag.SERVER,
        metavar="URL",
        default=DEFAULT_SERVER,
        help="service base URL (default: %(default)s); a job list URL "
        "(.../rest/ExPRES-dev) is understood as base URL plus --job-list",
    )
    where.add_argument(
        Flag.URL,
        metavar="URL",
        help="the job list URL, e.g. https://voparis-uws-maser.obspm.fr/rest/ExPRES "
        "(as in uws-lite), instead of --server",
    )


def _add_output(output: argparse._ArgumentGroup) -> None:
    output.add_argument(
        Flag.OUTPUT_SHORT,
        Flag.OUTPUT_DIR,
        Flag.OUTPUT,
        dest="output_dir",
        metavar="DIR",
        default=None,
        help="where results are saved, created if missing and checked writable before "
        "anything is sent (default: the current directory; with --demo, a new folder "
        "expres-demo/)",
    )
    output.add_argument(
        Flag.OVERWRITE,
        choices=OVERWRITE_CHOICES,
        default=None,
        help="when a result's name is taken by another file: rename the new file (default), "
        "replace the old one, or stop; --overwrite alone means always; a file already there "
        "that is the result (verified) is kept and not downloaded again; your input files are "
        "never overwritten (--grid: default always, its point folders are its own)",
    )
    output.add_argument(
        Flag.PLOT,
        action="store_true",
        help="draw a quick-look PNG (Theta, else Polarization; x time, y frequency, one panel "
        "per source) as <cdf stem>.png beside each saved CDF, replacing an older one; needs "
        "pip install 'uws_call_expres[science]'",
    )
    output.add_argument(
        Flag.QUIET_SHORT, Flag.QUIET, action="store_true", help="print nothing but errors"
    )
    output.add_argument(
        Flag.JSON,
        action="store_true",
        help="print the outcome as JSON on standard output (messages go to standard error)",
    )
    output.add_argument(Flag.NO_PROGRESS, action="store_true", help="no download progress bars")
    output.add_argument(
        Flag.DEBUG, action="store_true", help="log HTTP details and show tracebacks on errors"
    )
    output.add_argument(Flag.VERSION, action=_Version, help="show the version and exit")


def bare_overwrite(argv: Sequence[str], choices: Sequence[str]) -> List[str]:
    """``argv`` with a bare ``--overwrite`` (not followed by one of ``choices``) written
    ``--overwrite=always``: the flag form uws-lite has always taken, which neither eats the
    next word (a CONFIG, a JOB) nor needs a value. Words after ``--`` are left alone."""
    words = list(argv)
    for index, word in enumerate(words):
        if word == "--":
            break
        following = words[index + 1] if index + 1 < len(words) else None
        # "--ov" and longer prefixes, as argparse's abbreviations allow
        if len(word) > 3 and Flag.OVERWRITE.startswith(word) and following not in choices:
            words[index] = f"{Flag.OVERWRITE}=always"
    return words


def is_cdf(name: str) -> bool:
    """A positional argument naming a CDF file (drawn with --plot, never run)."""
    return name.lower().endswith(".cdf")
