"""A run's settings as one value (:class:`RunOptions`), and their local checks (:func:`prepare`).

The public functions (:func:`~uws_call_expres.uws_call_expres`, :func:`~uws_call_expres.attach`,
:func:`~uws_call_expres.run_sweep`, :func:`~uws_call_expres.run_grid`) keep their documented
keyword parameters and build a :class:`RunOptions` from them; the command line builds one from
its arguments. Everything after that passes the one value: :func:`prepare` checks it for one
config and returns a :class:`PreparedRun`, ready to submit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple, Union

from uws_lite.numbers import check_seconds

from .access import DEFAULT_SERVER, Access, resolve_access
from .config import CheckedInputs, check_inputs, check_run_id
from .config_file import PathArg
from .destination import check_output_dir, check_overwrite
from .errors import ConfigError
from .words import PYTHON, Vocabulary

__all__ = ["KEYWORDS", "PreparedRun", "RunOptions", "check_timeout", "prepare"]

# The documented keyword of each setting (in uws_call_expres, attach, run_sweep, run_grid)
# -> its field: the one place the documented names are mapped.
KEYWORDS = {
    "FILE_EPHEM": "ephemeris",
    "Job_List": "job_list",
    "runID": "run_id",
    "LOOP": "loop",
    "branch": "branch",
    "LOGIN": "login",
    "executionDuration": "execution_duration",
    "TOKEN": "token",
    "server": "server",
    "output_dir": "output_dir",
    "timeout": "timeout",
    "overwrite": "overwrite",
    "strict": "strict",
    "request_timeout": "request_timeout",
    "words": "words",
}


@dataclass(frozen=True)
class RunOptions:
    """The settings of a run, as the caller gave them (checked by :func:`prepare`).

    The fields are those of :func:`~uws_call_expres.uws_call_expres` (``job_list`` is
    ``Job_List``, ``execution_duration`` is ``executionDuration``, ``ephemeris`` is
    ``FILE_EPHEM``, ...). ``words``: how error messages name the settings (the command line
    passes :data:`~uws_call_expres.words.CLI`). ``token`` is never shown in ``repr``.
    """

    job_list: Optional[str] = None
    run_id: Optional[str] = None
    loop: bool = False
    branch: Optional[str] = None
    login: Optional[str] = None
    execution_duration: Union[int, str, None] = None
    token: Optional[str] = field(default=None, repr=False)
    server: str = DEFAULT_SERVER
    output_dir: PathArg = "."
    timeout: Optional[float] = None
    overwrite: str = "rename"
    strict: bool = False
    request_timeout: Optional[float] = None
    ephemeris: Optional[PathArg] = None
    words: Vocabulary = PYTHON

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> RunOptions:
        """The settings among a documented function's arguments, by their documented names
        (:data:`KEYWORDS`; other arguments are not settings and are left out). The public
        functions pass their ``locals()`` as they start, so that each keeps its documented
        signature and none re-lists the mapping."""
        given = {name: value for name, value in arguments.items() if name in KEYWORDS}
        return cls(**{KEYWORDS[name]: value for name, value in given.items()})

    def access(self, *, branch: bool = True) -> Access:
        """The routing these options ask for (see :func:`~uws_call_expres.access.resolve_access`).

        ``branch=False`` for a job that exists already (attach, list, abort, delete): it runs
        on its own branch, so the branch must not pick the job list."""
        return resolve_access(
            server=self.server,
            job_list=self.job_list,
            branch=self.branch if branch else None,
            login=self.login,
            token=self.token,
            request_timeout=self.request_timeout,
            words=self.words,
        )


class PreparedRun(NamedTuple):
    """One run, checked locally and ready to submit (see :func:`prepare`)."""

    access: Access
    inputs: CheckedInputs
    run_id: str
    loop: bool
    output_dir: Path
    overwrite: str
    timeout: Optional[float]

    @property
    def parameters(self) -> Dict[str, Union[str, int]]:
        """What is sent, as the recipe printed it (file parts by the name the server sees)."""
        shown: Dict[str, Union[str, int]] = {"config": self.inputs.config.name}
        if self.inputs.ephemeris is not None:
            shown["ephemeride"] = self.inputs.ephemeris.name
        shown["runId"] = self.run_id
        shown["branch"] = self.access.branch
        if self.inputs.execution_duration is not None:
            shown["executionDuration"] = self.inputs.execution_duration
        return shown

    @property
    def form(self) -> Dict[str, Union[str, int]]:
        """The job's parameters sent as form fields (the files go as file parts)."""
        form: Dict[str, Union[str, int]] = {"runId": self.run_id, "branch": self.access.branch}
        if self.inputs.execution_duration is not None:
            form["executionDuration"] = str(self.inputs.execution_duration)
        return form

    @property
    def protected(self) -> Tuple[Path, ...]:
        """The user's input files: a result is never saved over one of them."""
        inputs = self.inputs
        return tuple(path for path in (inputs.config, inputs.ephemeris) if path is not None)

    @property
    def warnings(self) -> Tuple[str, ...]:
        """What the routing and the config's check found, printed before submitting."""
        return self.access.warnings + self.inputs.warnings


def prepare(config: PathArg, options: RunOptions) -> PreparedRun:
    """Every local decision and check of a run of ``config``; raises before anything is sent
    (with ``options.strict``, also for the errors
    :func:`~uws_call_expres.checks.check_config` finds). Error messages name the settings in
    ``options.words``."""
    words = options.words
    access = options.access()
    inputs = check_inputs(
        config,
        options.ephemeris,
        options.execution_duration,
        max_duration=access.max_duration,
        authenticated=access.authenticated,
        strict=options.strict,
        words=words,
    )
    run_id = check_run_id(options.run_id, words)
    check_overwrite(options.overwrite)
    return PreparedRun(
        access=access,
        inputs=inputs,
        run_id=run_id,
        loop=bool(options.loop),
        output_dir=check_output_dir(options.output_dir, words),
        overwrite=options.overwrite,
        timeout=check_timeout(options.timeout),
    )


def check_timeout(timeout: Optional[float]) -> Optional[float]:
    """The wait's ``timeout``: None (the default deadline) or a finite number of seconds > 0;
    :class:`ConfigError` otherwise, before any request."""
    if timeout is None:
        return None
    return check_seconds(timeout, "timeout", error=ConfigError)
