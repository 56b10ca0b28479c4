"""How ``uws-lite`` reads its command line: the argparse parser with its help texts and
examples, and the checks of single argument values. The options and commands are spelt in
:mod:`uws_lite.cli.flags`.

It imports nothing but the standard library, so ``uws-lite --help`` starts fast; the few
value checks that share uws_lite's own rules (numbers, phases) import them when they run. A
usage error raises :class:`uws_lite.cli.usage.CLIError` rather than exiting, so ``main`` can
report it (as JSON with ``--json``) like any other error.
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, List, NoReturn, Sequence

from .flags import EXAMPLE_DACHS, EXAMPLE_OPUS, OVERWRITE_CHOICES, PROG, Command, Flag

if TYPE_CHECKING:
    from ..models import Phase

__all__ = ["bare_overwrite", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (so ``--json`` can report it) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        from .usage import CLIError  # uws_lite's errors: only when there is one

        raise CLIError(message, hint=f"See: {self.prog} --help", where=self.prog)


# --- argument values --------------------------------------------------------------------


def _phase(text: str) -> Phase:
    from ..models import Phase

    name = text.strip().upper()
    if name not in Phase.__members__:
        choices = ", ".join(Phase.__members__)
        raise argparse.ArgumentTypeError(f"{text!r} is not a UWS phase ({choices})")
    return Phase[name]


def _timestamp(text: str) -> str:
    """Check an ISO 8601 time locally; the text itself is what is sent."""
    value = text.strip()
    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        datetime.fromisoformat(iso)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-11-24T22:39:01 or 2026-11-24T21:39:01Z"
        ) from None
    return value


def _count(text: str) -> int:
    from ..errors import InvalidRequest
    from ..numbers import check_count

    try:
        return check_count(int(text), "", minimum=0)
    except (ValueError, InvalidRequest):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0") from None


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    from ..errors import InvalidRequest
    from ..numbers import check_seconds

    try:
        return check_seconds(float(text), "")  # NaN, inf, 0 and negatives are refused
    except (ValueError, InvalidRequest):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds > 0") from None


# --- the parser -------------------------------------------------------------------------

_RAW = argparse.RawDescriptionHelpFormatter

_MAIN_EPILOG = f"""\
The job list URL comes from --url or the environment variable UWS_URL:
  OPUS (ExPRES)   {EXAMPLE_OPUS}
  DaCHS TAP       {EXAMPLE_DACHS}

Credentials (HTTP Basic; guests need none). There is no --token option on purpose:
other users of the machine can read a command line (ps, /proc) and shells keep it in
their history. The token comes from:
  UWS_TOKEN    the token (OPUS) or password, for --login NAME or UWS_LOGIN
  ~/.netrc     machine voparis-uws-maser.obspm.fr login NAME password TOKEN
  EXPRES_TOKEN uws-call-expres's variable, for --login NAME or UWS_LOGIN (a warning
               when UWS_TOKEN is set to another token: UWS_TOKEN wins)
  a prompt     when --login is given, no token is found and stdin is a terminal
A ~/.netrc entry for another login than --login is never used.

The options shared with uws-call-expres mean the same in both: --url (the job list
URL), --login, --request-timeout (each request), show --wait-timeout (the whole wait),
download -o/--output-dir (alias --output) and --overwrite, --json, -q/--quiet, --debug.

Exit status: 0 ok; 1 the job failed, was aborted or is stuck (HELD, never started);
2 usage or local error; 3 the --wait deadline passed; 4 server or network error;
130 interrupted.

examples:
  export UWS_URL={EXAMPLE_OPUS}
  uws-lite list --last 10
  JOB=$(uws-lite new --run config=@example.json runId=demo)
  uws-lite show $JOB --wait 600
  uws-lite download $JOB -o results/
  uws-lite delete $JOB
  uws-lite --url {EXAMPLE_DACHS} list --phase EXECUTING --json
"""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The parser of ``uws-lite`` (``prog`` is the name its help and usage lines show)."""
    from .._version import __version__  # the one version; no other import

    parser = _Parser(
        prog=prog,
        description="A command line for IVOA UWS 1.0/1.1 job services (OPUS, DaCHS, TAP, ...).",
        epilog=_MAIN_EPILOG,
        formatter_class=_RAW,
    )
    parser.add_argument(Flag.VERSION, action="version", version=f"{PROG} {__version__}")
    _add_common(parser, top=True)
    common = _Parser(add_help=False)
    _add_common(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, summary: str, examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary,
            epilog="examples:\n" + examples,
            formatter_class=_RAW,
        )

    _add_list(command)
    _add_show(command)
    _add_new_and_set(command)
    _add_times(command)
    for name, summary in _JOB_ONLY:
        _add_job(command(name, summary, f"  uws-lite --url {EXAMPLE_OPUS} {name} 2a3490\n"))
    _add_download(command)
    return parser


_Adder = Callable[[str, str, str], argparse.ArgumentParser]

# The commands that take a job id and nothing else.
_JOB_ONLY = (
    (Command.RUN, "Start a PENDING (or HELD) job: PHASE=RUN."),
    (Command.ABORT, "Abort a job: PHASE=ABORT."),
    (Command.DELETE, "Delete a job and its results."),
    (Command.RESULTS, "List a job's results as a table (id, mime type, size, href)."),
    (Command.ERROR, "Show why a job failed: the error summary and the error document."),
)


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, before or after the command name.

    In the sub-commands their default is SUPPRESS, so that a sub-parser does not
    overwrite a value given before the command name with its own default.
    """
    group = parser.add_argument_group("common options")

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    group.add_argument(
        Flag.URL, default=default(None), metavar="URL", help="the job list URL (default: $UWS_URL)"
    )
    group.add_argument(
        Flag.LOGIN,
        default=default(None),
        metavar="NAME",
        help="log in as NAME (default: $UWS_LOGIN, or the ~/.netrc login for the host)",
    )
    group.add_argument(
        Flag.REQUEST_TIMEOUT,
        Flag.TIMEOUT,
        dest="timeout",
        type=_seconds,
        default=default(None),
        metavar="SECONDS",
        help="how long to wait for each answer of the server (default: 90); --timeout is "
        "the old name of --request-timeout",
    )
    group.add_argument(
        Flag.JSON,
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout",
    )
    group.add_argument(
        Flag.QUIET_SHORT,
        Flag.QUIET,
        action="store_true",
        default=default(False),
        help="print only the essential (ids, phase); no messages, no progress bar",
    )
    group.add_argument(
        Flag.DEBUG,
        action="store_true",
        default=default(False),
        help="show tracebacks and HTTP logs",
    )
    group.add_argument(
        Flag.TOKEN,
        Flag.PASSWORD,
        nargs="?",
        action=_RefuseToken,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )


class _RefuseToken(argparse.Action):
    """``--token``/``--password`` exist only to refuse them without echoing the value."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from .usage import CLIError

        raise CLIError(
            f"there is no {self.option_strings[0]} option: a token on the command line can be "
            "read by other users (ps, /proc) and stays in the shell history",
            hint=f"Set UWS_TOKEN, or put it in ~/.netrc (see {PROG} --help).",
        )


def _add_job(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", help="the job id, e.g. 2a3490")


def _add_list(command: _Adder) -> None:
    p = command(
        Command.LIST,
        "List the jobs as a table (id, phase, run id, creation time), newest first.",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} list --last 10
  uws-lite --url {EXAMPLE_DACHS} list --phase EXECUTING --phase QUEUED
  uws-lite list --after 2026-11-24T00:00:00 --json
""",
    )
    p.add_argument(
        Flag.PHASE,
        action="append",
        type=_phase,
        metavar="P",
        help="only jobs in phase P (repeatable)",
    )
    p.add_argument(
        Flag.AFTER, type=_timestamp, metavar="TIME", help="only jobs created after TIME (ISO 8601)"
    )
    p.add_argument(Flag.LAST, type=_positive, metavar="N", help="only the N newest jobs")


def _add_show(command: _Adder) -> None:
    p = command(
        Command.SHOW,
        "Show a job's summary; with --wait, wait until it ends, showing its phase changes.",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} show 2a3490
  uws-lite show 2a3490 --wait          # until it ends, however long it takes
  uws-lite show 2a3490 --wait 600      # at most 10 minutes (exit status 3 after that)
""",
    )
    _add_job(p)
    p.add_argument(
        Flag.WAIT,
        nargs="?",
        type=_seconds,
        const=math.inf,
        metavar="SECONDS",
        help="wait (UWS 1.1 WAIT long-polls, else polling) until the job is COMPLETED, ERROR, "
        "ABORTED or ARCHIVED, at most SECONDS; exit status 1 if it failed or was aborted",
    )
    p.add_argument(
        Flag.WAIT_TIMEOUT,
        type=_seconds,
        metavar="SECONDS",
        help="the same as --wait SECONDS (the name uws-call-expres uses for the whole wait)",
    )


def _add_new_and_set(command: _Adder) -> None:
    p = command(
        Command.NEW,
        "Create a job from NAME=VALUE parameters and print its id.",
        f"""\
  NAME=VALUE      a form value
  NAME=@FILE      upload FILE as a file part named NAME
  NAME=@@TEXT     the literal value @TEXT

  uws-lite --url {EXAMPLE_OPUS} new --run config=@example.json runId=demo
  uws-lite --url {EXAMPLE_DACHS} new --run REQUEST=doQuery LANG=ADQL \\
      "QUERY=SELECT TOP 5 * FROM tap_schema.tables"
  uws-lite --url {EXAMPLE_DACHS} new --run REQUEST=doQuery LANG=ADQL \\
      UPLOAD=t1,param:t1 t1=@table.xml "QUERY=SELECT * FROM TAP_UPLOAD.t1"
""",  # noqa: S608 (help text showing an ADQL query, not SQL built from input)
    )
    p.add_argument(Flag.RUN, action="store_true", help="start the job at once (PHASE=RUN)")
    p.add_argument(
        "parameters", nargs="*", default=[], metavar="NAME=VALUE", help="parameters (see below)"
    )
    p = command(
        Command.SET,
        "Change parameters of a PENDING job (NAME=VALUE, NAME=@FILE, NAME=@@TEXT as in 'new').",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} set 2a3490 runId=second-try
  uws-lite set 2a3490 config=@other.json
""",
    )
    _add_job(p)
    p.add_argument("parameters", nargs="+", metavar="NAME=VALUE")


def _add_times(command: _Adder) -> None:
    p = command(
        Command.DURATION,
        "Set a PENDING job's maximum execution duration (0 = no limit, if the server allows).",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} duration 2a3490 600
""",
    )
    _add_job(p)
    p.add_argument("seconds", type=_count, metavar="SECONDS")
    p = command(
        Command.DESTRUCTION,
        "Set when the server destroys the job (ISO 8601 time).",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} destruction 2a3490 2026-12-31T12:00:00
  uws-lite --url {EXAMPLE_DACHS} destruction 1a2b3c 2026-12-31T12:00:00Z
""",
    )
    _add_job(p)
    p.add_argument("time", type=_timestamp, metavar="TIME")


def _add_download(command: _Adder) -> None:
    p = command(
        Command.DOWNLOAD,
        "Download a job's results (all, or the RESULT ids given), safely named and verified.",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} download 2a3490 -o results/
  uws-lite download 2a3490 expres_test_run_a.cdf stdout

Files are named after the result ids, made safe (no directories, no hidden files,
no clashes). An interrupted download resumes when the command is run again.
""",
    )
    _add_job(p)
    # default=[]: argparse otherwise lists a "*" positional as required in its messages
    p.add_argument(
        "results", nargs="*", default=[], metavar="RESULT", help="result ids (default: all)"
    )
    p.add_argument(
        Flag.OUTPUT_SHORT,
        Flag.OUTPUT,
        Flag.OUTPUT_DIR,
        dest="output",
        default=".",
        metavar="DIR",
        help="directory (default: .)",
    )
    p.add_argument(
        Flag.OVERWRITE,
        choices=OVERWRITE_CHOICES,
        default="never",
        help="when a file of that name exists: stop if its content differs (never, the "
        "default; one that cannot be checked is kept), replace it (always; also --overwrite "
        "alone) or save the result under a new name (rename); a file verified to be the "
        "result (SHA-1 or size) is not downloaded again",
    )


def bare_overwrite(argv: Sequence[str]) -> List[str]:
    """``argv`` with a bare ``--overwrite`` (not followed by one of the
    :data:`~uws_lite.cli.flags.OVERWRITE_CHOICES`) written ``--overwrite=always``: the flag
    form taken before the choices existed keeps working and never eats the next word (a JOB,
    a RESULT). Words after ``--`` are left alone."""
    words = list(argv)
    for index, word in enumerate(words):
        if word == "--":
            break
        following = words[index + 1] if index + 1 < len(words) else None
        # "--ov" and longer prefixes, as argparse's abbreviations allow
        if len(word) > 3 and Flag.OVERWRITE.startswith(word) and following not in OVERWRITE_CHOICES:
            words[index] = f"{Flag.OVERWRITE}=always"
    return words
