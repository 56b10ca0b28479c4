"""Where ``uws-lite``'s output goes, and how an error is told: one line saying what happened
and what to do next (no traceback unless ``--debug``), a JSON document with ``--json``, and
the exit status of :mod:`uws_lite.exitcodes`.

Every line written passes through :meth:`Output.scrub`, the last line of defence that keeps
the token out of the terminal even if a server echoed it; server text is made safe for a
terminal with :func:`uws_lite.text.for_terminal`.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, TextIO, Tuple

from ..errors import (
    AuthenticationError,
    ConnectionFailed,
    DownloadError,
    JobError,
    JobFailed,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    RequestTimeout,
    UWSError,
    WaitTimeout,
    redact,
)
from ..exitcodes import CommandLineError, ExitCode, exit_code_for
from ..text import for_terminal
from .flags import PROG, Command, Flag
from .format import job_doc, to_json
from .usage import CLIError

__all__ = ["Outcome", "Output", "ResultNotSaved", "logging_to", "report_error"]

_MESSAGE_LIMIT = 500  # characters of an error message in the error line
# The errors that are no bug: the service's, and local files' (exit status 2).
_EXPECTED = (UWSError, OSError)


@dataclass(frozen=True)
class Outcome:
    """What a command produced: the JSON document, the text for people, the exit status."""

    doc: Any
    text: Optional[str] = None
    quiet: Optional[str] = None  # what --quiet prints instead of ``text``
    code: ExitCode = ExitCode.OK


class Output:
    """Where output goes: the result on ``stdout``, messages on ``stderr``, as ``--json`` and
    ``--quiet`` ask. Every write passes through :meth:`scrub`."""

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json: bool, quiet: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json = json
        self.quiet = quiet
        self.secrets: Tuple[str, ...] = ()  # the forms of the token to scrub

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)

    def info(self, text: str) -> None:
        """A message for the person at the terminal (stderr; silenced by --quiet)."""
        if not self.quiet:
            self.error(text)

    def error(self, text: str) -> None:
        """A message shown even with --quiet (stderr)."""
        print(self.scrub(text), file=self.stderr, flush=True)

    def emit(self, outcome: Outcome) -> None:
        """The command's result on stdout: JSON, the --quiet form or the text."""
        if self.json:
            text: Optional[str] = to_json(outcome.doc)
        elif self.quiet:
            text = outcome.quiet
        else:
            text = outcome.text
        if text:
            print(self.scrub(text), file=self.stdout, flush=True)


class ResultNotSaved(DownloadError):
    """A result the ``download`` command could not save (the first of them): the message
    names the file, and the exit status, hint and ``--json`` type are those of its
    :attr:`error`."""

    path: str
    """The file the result was to be saved as."""

    error: UWSError
    """Why it was not saved (an IntegrityError, an HTTP refusal, ...)."""

    def __init__(self, path: str, error: UWSError) -> None:
        url = error.url if isinstance(error, DownloadError) else None
        super().__init__(f"{path} was not saved: {error}", url=url)
        self.path = path
        self.error = error


def report_error(out: Output, exc: BaseException, again: str, debug: bool) -> ExitCode:
    """Tell ``exc`` (one line on stderr, the JSON document with --json, the traceback with
    --debug) and return the exit status. ``again``: how to call this command line again
    (``uws-lite --url URL``), for the hints."""
    cause = exc.error if isinstance(exc, ResultNotSaved) else exc
    code = exit_code_for(cause)
    line = _error_line(exc, cause, again)
    if debug:
        import traceback

        out.error("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    where = exc.where if isinstance(exc, CLIError) else PROG
    out.error(f"{where}: {line}")
    if out.json:
        error: Dict[str, Any] = {"type": type(cause).__name__, "message": line, "exit_code": code}
        if isinstance(cause, JobError):
            error["job"] = job_doc(cause.job)
        print(out.scrub(to_json({"error": error})), file=out.stdout, flush=True)
    return code


def _error_line(exc: BaseException, cause: BaseException, again: str) -> str:
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, _EXPECTED):
        message = f"unexpected {type(exc).__name__}: {message}"
    message = for_terminal(message).strip()
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + " [...]"
    hint = _hint(cause, again)
    if hint:
        message = f"{message.rstrip('.')}. {hint}"
    return message


def _hint(exc: BaseException, again: str) -> str:
    """What to do next, in terms of this command line."""
    if isinstance(exc, CommandLineError):
        return exc.hint
    if isinstance(exc, JobError):
        return _job_hint(exc, again, shlex.quote(for_terminal(exc.job.job_id)))
    if isinstance(exc, JobNotFound):
        return f"See the existing jobs with: {again} {Command.LIST}"
    # The client's messages already say what to do in general; add where this
    # command line takes the setting in question.
    if isinstance(exc, AuthenticationError):
        return (
            f"The login comes from {Flag.LOGIN} or UWS_LOGIN, the token from UWS_TOKEN or ~/.netrc."
        )
    if isinstance(exc, ConnectionFailed):
        return f"The URL comes from {Flag.URL} or UWS_URL."
    if isinstance(exc, RequestTimeout):
        return f"Give a slow server more time with {Flag.REQUEST_TIMEOUT} SECONDS."
    if isinstance(exc, DownloadError):
        return "Files already downloaded are kept; the same command fetches the rest."
    if not isinstance(exc, _EXPECTED):
        return f"This looks like a bug: run again with {Flag.DEBUG} and report the traceback."
    return ""


def _job_hint(exc: JobError, again: str, job: str) -> str:
    if isinstance(exc, WaitTimeout):
        return f"The job goes on; wait again with: {again} {Command.SHOW} {job} {Flag.WAIT}"
    if isinstance(exc, JobNotStarted):
        return f"Start it with: {again} {Command.RUN} {job}"
    if isinstance(exc, JobHeld):
        return f"Ask the server to run it again with: {again} {Command.RUN} {job}"
    if isinstance(exc, JobFailed):
        return f"See why with: {again} {Command.ERROR} {job}"
    return ""


class _ScrubbedStream:
    """A text stream for log records that goes through :meth:`Output.scrub` to stderr."""

    def __init__(self, out: Output) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.stderr.write(self.out.scrub(text))

    def flush(self) -> None:
        self.out.stderr.flush()


@contextlib.contextmanager
def logging_to(out: Output, debug: bool) -> Iterator[None]:
    """Log records on stderr, scrubbed: uws_lite's warnings (errors only with --quiet),
    or with --debug everything (urllib3's requests included). Undone on return, so
    calling :func:`uws_lite.cli.main` in-process leaves the caller's logging as it was."""
    import logging

    logger = logging.getLogger() if debug else logging.getLogger("uws_lite")
    level = logging.DEBUG if debug else logging.ERROR if out.quiet else logging.WARNING
    handler = logging.StreamHandler(_ScrubbedStream(out))
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    handler.setLevel(level)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
