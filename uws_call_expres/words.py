"""Messages in the user's own words: Python parameters for the API, options for the CLI.

One table (:data:`FIELDS`) maps each setting a message can name to its Python parameter
(``FILE``, ``executionDuration``, ``output_dir``, ...) and its command-line spelling
(``CONFIG``, ``--execution-duration``, ``-o/--output-dir``, ...), taken from the parser's own
option names (:class:`~uws_call_expres.cli.flags.Flag`): renaming an option there renames it
in every hint. The entry point picks the :class:`Vocabulary` (:data:`PYTHON` by default; the
command line passes :data:`CLI`), and the local checks and the hints (how to re-attach to a
job, list or delete jobs, where the token comes from) speak it. The hints are built here and
nowhere else.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Protocol, Sequence, Tuple

from .flags import DEFAULT_SERVER, MAIN_JOB_LIST, Flag


class Routing(Protocol):
    """What a hint needs of a job's routing (an :class:`~uws_call_expres.access.Access`):
    where the job is, and where the token came from (never the token)."""

    @property
    def server(self) -> str: ...

    @property
    def job_list(self) -> str: ...

    @property
    def login(self) -> Optional[str]: ...

    @property
    def token_source(self) -> Optional[str]: ...


__all__ = [
    "CLI",
    "FIELDS",
    "PYTHON",
    "Routing",
    "Vocabulary",
    "attach_call",
    "command_line",
    "delete_command",
    "list_command",
    "python_attach",
    "shell_command",
]

# How the command line is started in every hint.
_PROGRAM = ("python", "-m", "uws_call_expres")
# field key -> (Python spelling, command-line spelling)
FIELDS: Dict[str, Tuple[str, str]] = {
    "config": ("FILE (the ExPRES config)", Flag.CONFIG),
    "ephemeris": ("FILE_EPHEM (the ephemeris)", f"{Flag.EPHEM} file"),
    "execution_duration": ("executionDuration", Flag.EXECUTION_DURATION),
    "run_id": ("runID", Flag.RUN_ID),
    "job_list": ("Job_List", Flag.JOB_LIST),
    "branch": ("branch", Flag.BRANCH),
    "login": ("LOGIN", Flag.LOGIN),
    # Never an option (other users of the machine could read it): access.TOKEN_ENV.
    "token": ("TOKEN", "EXPRES_TOKEN"),
    "server": ("server", Flag.SERVER),
    "output_dir": ("output_dir", f"{Flag.OUTPUT_SHORT}/{Flag.OUTPUT_DIR}"),
    "overwrite": ("overwrite", Flag.OVERWRITE),
    "timeout": ("timeout", Flag.WAIT_TIMEOUT),
    "request_timeout": ("request_timeout", Flag.REQUEST_TIMEOUT),
}
# The bare name, where the spelling above carries an explanation.
_BARE = {"config": "FILE", "ephemeris": "FILE_EPHEM", "output_dir": "output_dir"}
_CLI_FLAG = {"ephemeris": Flag.EPHEM, "output_dir": Flag.OUTPUT_DIR}


class Vocabulary(NamedTuple):
    """How messages name settings and spell hints: ``cli`` False (Python) or True."""

    cli: bool

    @property
    def verb(self) -> str:
        """What the user does with a hint: "run" a command, or "call" a function."""
        return "run" if self.cli else "call"

    def name(self, field: str) -> str:
        """How the user spells ``field`` (a key of :data:`FIELDS`), for prose."""
        return FIELDS[field][1 if self.cli else 0]

    def setting(self, field: str, value: str) -> str:
        """``field`` set to ``value``, as the user would write it: ``Job_List='x'`` or
        ``--job-list x``."""
        if self.cli:
            return f"{_CLI_FLAG.get(field, FIELDS[field][1])} {shlex.quote(value)}"
        return f"{_BARE.get(field, FIELDS[field][0])}={value!r}"

    def give_token(self) -> str:
        """Where a token may come from (never a command-line option: other users of the
        machine could read it)."""
        prefix = "" if self.cli else "pass TOKEN=..., "
        return (
            f"{prefix}set the environment variable EXPRES_TOKEN (or UWS_TOKEN), "
            "or add a ~/.netrc line"
        )

    def reattach(self, job_id: str, access: Routing, output_dir: Optional[Path] = None) -> str:
        """The call (Python) or shell command (CLI) that takes the job over again; never
        with the token."""
        if self.cli:
            return shell_command([Flag.ATTACH, job_id], access, output_dir)
        return python_attach(job_id, access, output_dir)

    def reattach_hint(self, job_id: str, access: Routing, output_dir: Optional[Path] = None) -> str:
        """``reattach`` introduced as what to run or call, on its own indented line."""
        note = ""
        if not self.cli and access.token_source == "TOKEN argument":  # noqa: S105
            note = " (adding your TOKEN= as before)"
        return f"{self.verb}{note}:\n  {self.reattach(job_id, access, output_dir)}"


PYTHON = Vocabulary(cli=False)
CLI = Vocabulary(cli=True)


def python_attach(job_id: str, access: Routing, output_dir: Optional[Path] = None) -> str:
    """``from uws_call_expres import attach; attach('2a3490', output_dir=..., LOGIN=...)``:
    works whatever the caller imported (``from uws_call_expres import uws_call_expres``
    hides the module behind the function)."""
    return f"from uws_call_expres import attach; {attach_call(job_id, access, output_dir)}"


def attach_call(job_id: str, access: Routing, output_dir: Optional[Path] = None) -> str:
    """``attach('2a3490', output_dir=..., LOGIN=...)``: the settings that reach the same job
    (never the token: it comes from the environment or ~/.netrc, or TOKEN= as before)."""
    args: List[str] = [repr(job_id)]
    if output_dir is not None and output_dir != Path.cwd():
        args.append(f"output_dir={str(output_dir)!r}")
    if access.login is not None:
        args.append(f"LOGIN={access.login!r}")
    if access.job_list != MAIN_JOB_LIST:
        args.append(f"Job_List={access.job_list!r}")
    if access.server != DEFAULT_SERVER:
        args.append(f"server={access.server!r}")
    return f"attach({', '.join(args)})"


def command_line(*words: str) -> str:
    """``python -m uws_call_expres WORDS...``, each word quoted for a POSIX shell."""
    return " ".join(shlex.quote(word) for word in (*_PROGRAM, *words))


def shell_command(action: Sequence[str], access: Routing, output_dir: Optional[Path] = None) -> str:
    """``python -m uws_call_expres ACTION`` with the options that reach the same job list
    (never the token)."""
    args = list(action)
    if access.job_list != MAIN_JOB_LIST:
        args += [Flag.JOB_LIST, access.job_list]
    if access.login is not None:
        args += [Flag.LOGIN, access.login]
    if access.server != DEFAULT_SERVER:
        args += [Flag.SERVER, access.server]
    if output_dir is not None and output_dir != Path.cwd():
        args += [Flag.OUTPUT_DIR, str(output_dir)]
    return command_line(*args)


def list_command(access: Routing) -> str:
    """The shell command that lists the user's jobs."""
    return shell_command([Flag.LIST], access)


def delete_command(job_id: str, access: Routing) -> str:
    """The shell command that deletes the job (never with the token)."""
    return shell_command([Flag.DELETE, job_id], access)
