"""Local checks on the inputs of a run, before anything is sent.

Errors (:class:`ConfigError`) stop the run: a missing or unreadable file, a config that is not
a JSON object, an executionDuration that is not a positive integer within the access limit.
The config's content is checked by :func:`uws_call_expres.checks.check_config`; its problems
become warnings (the server accepts anything and ExPRES fails minutes later), unless
``strict``, where its errors raise :class:`ConfigError`.
"""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

from uws_lite.errors import InvalidRequest
from uws_lite.text import has_control

from .checks import check_config
from .checks_base import Problem
from .config_file import PathArg, load_config_document, readable_file
from .errors import ConfigError
from .example import EXAMPLE_CONFIG_COMMAND
from .flags import Flag
from .words import PYTHON, Vocabulary, command_line

__all__ = [
    "DEFAULT_RUN_ID",
    "CheckedInputs",
    "check_execution_duration",
    "check_inputs",
    "check_job_id",
    "check_run_id",
    "problem_warnings",
]

DEFAULT_RUN_ID = "test_job"
# A run prints at most this many of the check's problems (``--check`` lists them all).
_MAX_SHOWN_PROBLEMS = 10
# A job id is one path segment of the job URL (OPUS: 6 hex digits).
_JOB_ID_RE = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")


class CheckedInputs(NamedTuple):
    """The inputs of one run, checked: absolute paths, the duration as an int, warnings
    (``problems``: what :func:`~uws_call_expres.checks.check_config` found)."""

    config: Path
    ephemeris: Optional[Path]
    execution_duration: Optional[int]
    warnings: Tuple[str, ...] = ()
    problems: Tuple[Problem, ...] = ()


_EXAMPLE_HINT = (
    f" To get an example config: {EXAMPLE_CONFIG_COMMAND} (or try {command_line(Flag.DEMO)})."
)


def check_inputs(
    config: PathArg,
    ephemeris: Optional[PathArg],
    execution_duration: Union[int, str, None],
    *,
    max_duration: int,
    authenticated: bool,
    strict: bool = False,
    words: Vocabulary = PYTHON,
) -> CheckedInputs:
    """Check the files, the duration and the config's content; raise :class:`ConfigError`
    or return the warnings. The content's errors are warnings too, unless ``strict``.
    Messages name the settings in ``words`` (Python parameters, or command-line options)."""
    config_path = readable_file(config, words.name("config"), missing_hint=_EXAMPLE_HINT)
    ephem_path = None if ephemeris is None else readable_file(ephemeris, words.name("ephemeris"))
    document = load_config_document(config_path)
    duration = check_execution_duration(
        execution_duration, max_duration=max_duration, authenticated=authenticated, words=words
    )
    problems = tuple(check_config(document, ephemeris=ephem_path, authenticated=authenticated))
    errors = [p for p in problems if p.is_error]
    if strict and errors:
        listed = "; ".join(str(p) for p in errors)
        raise ConfigError(
            f"{config_path.name} has {len(errors)} error(s) (strict: nothing was sent): "
            f"{listed}. Fix them, or run without strict to send it anyway."
        )
    warnings = problem_warnings(config_path.name, problems)
    return CheckedInputs(config_path, ephem_path, duration, warnings, problems)


def problem_warnings(name: str, problems: Sequence[Problem]) -> Tuple[str, ...]:
    """The check's problems as the warnings a run prints (at most 10, then a count).

    Errors are marked: the server accepts the file, but ExPRES will probably fail on it.
    """
    shown: List[str] = []
    for problem in problems[:_MAX_SHOWN_PROBLEMS]:
        where = f"{name}: {problem.path or '(root)'}"
        hint = f" ({problem.hint})" if problem.hint else ""
        if problem.is_error:
            shown.append(
                f"{where}: error: {problem.message}{hint} [sent anyway: ExPRES will probably "
                f"fail; strict=True / {Flag.STRICT} refuses to send]"
            )
        else:
            shown.append(f"{where}: {problem.message}{hint}")
    if len(problems) > _MAX_SHOWN_PROBLEMS:
        shown.append(
            f"{name}: {len(problems) - _MAX_SHOWN_PROBLEMS} more problem(s): see "
            f"`{command_line(Flag.CHECK, name)}`"
        )
    return tuple(shown)


def check_execution_duration(
    value: Union[int, str, None],
    *,
    max_duration: int,
    authenticated: bool,
    words: Vocabulary = PYTHON,
) -> Optional[int]:
    """``value`` as a positive number of seconds within the access limit (None: not sent)."""
    if value is None:
        return None
    name = words.name("execution_duration")
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a number of seconds, not True/False.")
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ConfigError(f"{name} {value!r} is not a whole number of seconds (e.g. 600).")
        seconds = int(text)
    else:
        try:
            seconds = operator.index(value)
        except TypeError:
            raise ConfigError(
                f"{name} must be an integer number of seconds (int or numeric "
                f"string), not {type(value).__name__} {value!r}."
            ) from None
    if seconds <= 0:
        raise ConfigError(f"{name} must be positive, got {seconds}.")
    if seconds > max_duration:
        who = "authenticated users" if authenticated else "guests"
        hint = (
            "" if authenticated else f" ({words.name('login')} gives authenticated access: 3 hours)"
        )
        raise ConfigError(
            f"{name} {seconds} s is over the {max_duration} s limit for {who}"
            f"{hint}: the server would kill the run."
        )
    return seconds


def check_run_id(run_id: Optional[str], words: Vocabulary = PYTHON) -> str:
    """The run id to send: ``"test_job"`` by default (the documented default)."""
    if run_id is None:
        return DEFAULT_RUN_ID
    name = words.name("run_id")
    if not isinstance(run_id, str) or not run_id.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {run_id!r}.")
    if has_control(run_id):
        raise ConfigError(f"{name} {run_id!r} contains control characters.")
    return run_id


def check_job_id(job_id: str) -> str:
    """``job_id`` if it can be one path segment of a job URL; :class:`InvalidRequest`
    otherwise, before any request."""
    if not isinstance(job_id, str) or not _JOB_ID_RE.match(job_id):
        raise InvalidRequest(
            f"{job_id!r} is not a job id (letters, digits, '.', '_', '-', '~'; e.g. '2a3490')."
        )
    return job_id
