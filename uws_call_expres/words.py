"""Messages in the user's own words: Python parameters for the API, options for the CLI.

One table (:data:`FIELDS`) maps each setting a message can name to its Python parameter
(``FILE``, ``executionDuration``, ``output_dir``, ...) and its command-line spelling
(``CONFIG``, ``--execution-duration``, ``-o/--output-dir``, ...). The entry point picks the
:class:`Vocabulary` (:data:`PYTHON` by default; the command line passes :data:`CLI`), and the
local checks and the hints (how to re-attach to a job, where the token comes from) speak it.
The hints are built here and nowhere else.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from .access import Access

__all__ = ["CLI", "FIELDS", "PYTHON", "Vocabulary", "attach_call", "python_attach", "shell_command"]

# field key -> (Python spelling, command-line spelling)
FIELDS: Dict[str, Tuple[str, str]] = {
    "config": ("FILE (the ExPRES config)", "CONFIG"),
    "ephemeris": ("FILE_EPHEM (the ephemeris)", "--ephem file"),
    "execution_duration": ("executionDuration", "--execution-duration"),
    "run_id": ("runID", "--run-id"),
    "job_list": ("Job_List", "--job-list"),
    "branch": ("branch", "--branch"),
    "login": ("LOGIN", "--login"),
    "token": ("TOKEN", "EXPRES_TOKEN"),
    "server": ("server", "--server"),
    "output_dir": ("output_dir", "-o/--output-dir"),
    "overwrite": ("overwrite", "--overwrite"),
    "timeout": ("timeout", "--wait-timeout"),
    "request_timeout": ("request_timeout", "--request-timeout"),
}
# The bare name, where the Python spelling above carries an explanation.
_BARE = {"config": "FILE", "ephemeris": "FILE_EPHEM", "output_dir": "output_dir"}
_CLI_FLAG = {"ephemeris": "--ephem", "output_dir": "--output-dir"}


@dataclass(frozen=True)
class Vocabulary:
    """How messages name settings and spell hints: ``cli`` False (Python) or True."""

    cli: bool

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

    def reattach(self, job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
        """The call (Python) or shell command (CLI) that takes the job over again; never
        with the token."""
        if self.cli:
            return shell_command(["--attach", job_id], access, output_dir)
        return python_attach(job_id, access, output_dir)

    def reattach_hint(self, job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
        """``reattach`` introduced as what to run or call, on its own indented line."""
        how = "run" if self.cli else "call"
        note = ""
        if not self.cli and access.token_source == "TOKEN argument":  # noqa: S105
            note = " (adding your TOKEN= as before)"
        return f"{how}{note}:\n  {self.reattach(job_id, access, output_dir)}"


PYTHON = Vocabulary(cli=False)
CLI = Vocabulary(cli=True)


def python_attach(job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
    """``from uws_call_expres import attach; attach('2a3490', output_dir=..., LOGIN=...)``:
    works whatever the caller imported (``from uws_call_expres import uws_call_expres``
    hides the module behind the function)."""
    return f"from uws_call_expres import attach; {attach_call(job_id, access, output_dir)}"


def attach_call(job_id: str, access: Access, output_dir: Optional[Path] = None) -> str:
    """``attach('2a3490', output_dir=..., LOGIN=...)``: the settings that reach the same job
    (never the token: it comes from the environment or ~/.netrc, or TOKEN= as before)."""
    from .access import DEFAULT_SERVER, MAIN_JOB_LIST

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


def shell_command(action: List[str], access: Access, output_dir: Optional[Path] = None) -> str:
    """``python -m uws_call_expres ACTION`` with the options that reach the same job list
    (never the token)."""
    from .access import DEFAULT_SERVER, MAIN_JOB_LIST

    args = ["python", "-m", "uws_call_expres", *action]
    if access.job_list != MAIN_JOB_LIST:
        args += ["--job-list", access.job_list]
    if access.login is not None:
        args += ["--login", access.login]
    if access.server != DEFAULT_SERVER:
        args += ["--server", access.server]
    if output_dir is not None and output_dir != Path.cwd():
        args += ["--output-dir", str(output_dir)]
    return " ".join(shlex.quote(arg) for arg in args)
