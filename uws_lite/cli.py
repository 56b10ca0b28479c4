"""``uws-lite`` (``python -m uws_lite``): any UWS 1.0/1.1 job list from a shell.

It replaces uws-client's ``uws`` tool, which no longer runs on Python 3. Each command
is a small function over :class:`uws_lite.Client`; the parser is in
:mod:`uws_lite.cli_parser`, the service and credentials in :mod:`uws_lite.cli_auth`,
the presentation in :mod:`uws_lite.cli_format`. Heavy modules (the client, tqdm,
netrc) are imported only when a command needs them, so ``--help`` starts fast.

Exit status: 0 ok, 1 the job failed / was aborted / is stuck, 2 usage or local error,
3 ``--wait`` deadline passed, 4 server or network error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    TextIO,
    Tuple,
)

from . import cli_format as fmt
from .cli_auth import service
from .cli_parser import (
    EXIT_INTERRUPTED,
    EXIT_JOB,
    EXIT_OK,
    EXIT_SERVER,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CLIError,
    assignments,
    bare_overwrite,
    build_parser,
)
from .errors import (
    AuthenticationError,
    ConnectionFailed,
    DownloadError,
    HTTPStatusError,
    InvalidRequest,
    JobError,
    JobFailed,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    NotFound,
    RequestTimeout,
    ServiceErrorDocument,
    UWSError,
    WaitTimeout,
    redact,
    redact_url,
    secret_forms,
)
from .models import Phase
from .urls import is_http_url

if TYPE_CHECKING:
    from .client import Client
    from .download import DownloadItem
    from .models import Job, Result

# build_parser and CLIError are re-exported: tests and callers import them from here.
__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_JOB",
    "EXIT_OK",
    "EXIT_SERVER",
    "EXIT_TIMEOUT",
    "CLIError",
    "build_parser",
    "main",
]

_DETAIL_LIMIT = 20_000  # characters of an error detail document shown to a person


@dataclass(frozen=True)
class _Outcome:
    """What a command produced: the JSON document, the text for people, the exit code."""

    doc: Any
    text: Optional[str] = None
    quiet: Optional[str] = None  # what --quiet prints instead of ``text``
    code: int = EXIT_OK


class _Out:
    """Where output goes. Every write passes through :meth:`scrub`, the last line of
    defence that keeps the token out of the terminal even if a server echoed it."""

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json: bool, quiet: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json = json
        self.quiet = quiet
        self.secrets: Tuple[str, ...] = ()

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)

    def info(self, text: str) -> None:
        """A message for the person at the terminal (stderr; silenced by --quiet)."""
        if not self.quiet:
            print(self.scrub(text), file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        print(self.scrub(text), file=self.stderr, flush=True)

    def emit(self, outcome: _Outcome) -> None:
        if self.json:
            text: Optional[str] = fmt.to_json(outcome.doc)
        elif self.quiet:
            text = outcome.quiet
        else:
            text = outcome.text
        if text:
            print(self.scrub(text), file=self.stdout, flush=True)


@dataclass
class _Context:
    client: Client
    out: _Out
    again: str  # the command prefix to show in hints ("uws-lite --url ...")


# --- commands ---------------------------------------------------------------------------


def _cmd_list(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    phases, after = args.phase or None, args.after
    jobs = ctx.client.get_job_list(phases=phases, after=after).newest_first()
    if args.last is not None:
        if all(j.creation_time is not None for j in jobs):
            # Sorted here rather than asking LAST=n: OPUS returns the *oldest* n.
            jobs = jobs[: args.last]
        else:
            # No creation times to sort by (DaCHS's jobrefs have none): only the server
            # knows the order, and LAST=n is "the n most recent" (UWS 1.1 §2.2.2.1).
            jobs = ctx.client.get_job_list(phases=phases, after=after, last=args.last).jobs
            jobs = jobs[: args.last]
    if not jobs:
        ctx.out.info("No jobs match.")
    rows = [[j.job_id, j.phase.value, j.run_id or "", fmt.fmt_time(j.creation_time)] for j in jobs]
    text = fmt.table(["JOB ID", "PHASE", "RUN ID", "CREATED"], rows) if jobs else None
    return _Outcome(
        doc={"url": ctx.client.url, "jobs": [fmt.jobref_doc(j) for j in jobs]},
        text=text,
        quiet="\n".join(fmt.clean(j.job_id) for j in jobs),
    )


def _job_outcome(job: Job, code: int = EXIT_OK) -> _Outcome:
    return _Outcome(
        doc=fmt.job_doc(job), text=fmt.job_summary(job), quiet=job.phase.value, code=code
    )


def _wait_seconds(args: argparse.Namespace) -> Optional[float]:
    """``--wait [SECONDS]`` and its other name ``--wait-timeout SECONDS``: how long to wait
    (inf: no limit), or None for no wait; two different limits are refused."""
    limit: Optional[float] = getattr(args, "wait_timeout", None)
    if limit is None:
        return args.wait  # type: ignore[no-any-return]
    if args.wait is not None and not math.isinf(args.wait) and args.wait != limit:
        raise CLIError(
            f"--wait {args.wait:g} and --wait-timeout {limit:g} disagree",
            hint="Give one of them: --wait-timeout SECONDS is --wait SECONDS.",
        )
    return limit


def _cmd_show(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    wait = _wait_seconds(args)
    if wait is None:
        return _job_outcome(ctx.client.get_job(args.job))
    seen: List[str] = []

    def on_change(job: Job) -> None:
        phase = job.phase.value
        if seen and seen[-1] == phase:
            return
        clock = datetime.now().strftime("%H:%M:%S")
        change = f"{seen[-1]} -> {phase}" if seen else phase
        ctx.out.info(f"{clock}  job {fmt.clean(job.job_id)}: {change}")
        seen.append(phase)

    timeout = None if math.isinf(wait) else wait
    job = ctx.client.wait(args.job, timeout=timeout, on_change=on_change)
    on_change(job)
    if job.phase.value == "ERROR":
        message = job.error_summary.message if job.error_summary else "no error summary"
        ctx.out.error(
            f"uws-lite: job {fmt.clean(job.job_id)} ended in ERROR: {fmt.clean(message)}. "
            f"See why with: {ctx.again} error {fmt.shell_word(job.job_id)}"
        )
        return _job_outcome(job, EXIT_JOB)
    if job.phase.value == "ABORTED":
        ctx.out.error(f"uws-lite: job {fmt.clean(job.job_id)} was aborted.")
        return _job_outcome(job, EXIT_JOB)
    return _job_outcome(job)


def _cmd_new(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.new_job(assignments(args.parameters), run=args.run)
    hint = f"Follow it with: {ctx.again} show {fmt.shell_word(job.job_id)} --wait"
    if not args.run:
        hint = f"Start it with: {ctx.again} run {fmt.shell_word(job.job_id)}"
    ctx.out.info(f"Created job {fmt.clean(job.job_id)} ({job.phase.value}). {hint}")
    return _Outcome(doc=fmt.job_doc(job), text=fmt.clean(job.job_id), quiet=fmt.clean(job.job_id))


def _cmd_set(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    values = assignments(args.parameters)
    try:
        ctx.client.set_parameters(args.job, values)
    except HTTPStatusError as exc:
        # UWS 1.1 §2.2.3.2 posts to <job>/parameters; OPUS has no such route (405, or
        # 500) and takes VALUE=... on <job>/parameters/<name> instead.
        if exc.status not in (404, 405, 500, 501) or any(
            isinstance(v, Path) for v in values.values()
        ):
            raise
        for name, value in values.items():
            if isinstance(value, str) and value.startswith("@@"):
                value = value[1:]  # set_parameter sends text as it is
            if not isinstance(value, Path):  # (there is none: checked above)
                ctx.client.set_parameter(args.job, name, value)
    job = ctx.client.get_job(args.job)
    lines = [f"{fmt.clean(n)} = {fmt.clean(job.parameter(n))}" for n in values]
    return _Outcome(doc=fmt.job_doc(job), text="\n".join(lines))


def _cmd_duration(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    ctx.client.set_execution_duration(args.job, args.seconds)
    seconds = ctx.client.get_execution_duration(args.job)
    shown = "unknown" if seconds is None else "no limit" if seconds == 0 else f"{seconds} s"
    return _Outcome(
        doc={"job_id": args.job, "execution_duration": seconds},
        text=f"Job {fmt.clean(args.job)}: execution duration {shown}",
    )


def _cmd_destruction(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    ctx.client.set_destruction(args.job, args.time)
    when = ctx.client.get_destruction(args.job)
    return _Outcome(
        doc={"job_id": args.job, "destruction": when.isoformat() if when else None},
        text=f"Job {fmt.clean(args.job)}: destruction {fmt.fmt_time(when) or 'unknown'}",
    )


def _cmd_run(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.run_job(args.job)
    return _Outcome(
        doc=fmt.job_doc(job),
        text=f"Started job {fmt.clean(job.job_id)} ({job.phase.value})",
    )


def _cmd_abort(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.abort_job(args.job)
    return _Outcome(
        doc=fmt.job_doc(job),
        text=f"Aborted job {fmt.clean(job.job_id)} ({job.phase.value})",
    )


def _cmd_delete(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    ctx.client.delete_job(args.job)
    return _Outcome(
        doc={"job_id": args.job, "deleted": True}, text=f"Deleted job {fmt.clean(args.job)}"
    )


def _cmd_results(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    results = ctx.client.get_results(args.job)
    if not results:
        ctx.out.info(f"Job {fmt.clean(args.job)} has no results.")
    return _Outcome(
        doc={"job_id": args.job, "results": [fmt.result_doc(r) for r in results]},
        text=fmt.results_table(results) if results else None,
        quiet="\n".join(fmt.clean(r.id) for r in results),
    )


def _cmd_error(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.get_job(args.job)
    summary = job.error_summary
    detail: Optional[str] = None
    if job.phase.value == "ERROR" or summary is not None:
        try:
            detail = ctx.client.get_error(args.job) or None
        except ServiceErrorDocument as exc:  # DaCHS: /error is a VOTable error document
            detail = exc.server_message or str(exc)
        except NotFound:
            detail = None
    doc = {
        "job_id": job.job_id,
        "phase": job.phase.value,
        "error_summary": fmt.job_doc(job)["error_summary"],
        "detail": detail,
    }
    if summary is None and detail is None:
        text = f"Job {fmt.clean(job.job_id)} ({job.phase.value}) has no error."
        return _Outcome(doc=doc, text=text, quiet="")
    lines = [f"Job {fmt.clean(job.job_id)}: {job.phase.value}"]
    if summary is not None:
        kind = f" [{fmt.clean(summary.type)}]" if summary.type else ""
        lines.append(f"Summary: {fmt.clean(summary.message)}{kind}")
    if detail and (summary is None or detail.strip() != summary.message.strip()):
        shown = detail if len(detail) <= _DETAIL_LIMIT else detail[:_DETAIL_LIMIT] + "\n[...]"
        lines.append("Detail:")
        lines.extend("  " + line for line in fmt.clean(shown, one_line=False).splitlines())
    quiet = fmt.clean(summary.message if summary else detail)
    return _Outcome(doc=doc, text="\n".join(lines), quiet=quiet)


def _cmd_download(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.get_job(args.job)
    chosen = _chosen_results(ctx, job, args.results)
    if job.phase is not Phase.COMPLETED and chosen:
        ctx.out.info(
            f"Job {fmt.clean(job.job_id)} is {job.phase.value}: results may be incomplete."
        )
    outdir = Path(args.output).expanduser()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the directory {outdir}: {exc.strerror}") from None
    plan = _plan_downloads(chosen, outdir, args.overwrite)
    for result, dest, state in plan:
        if state == "present":
            ctx.out.info(f"{dest} is already there (verified): not downloaded again.")
        elif state == "kept":
            ctx.out.info(f"{dest} exists and cannot be verified: kept (--overwrite replaces it).")
        elif state == "renamed":
            ctx.out.info(f"Result {fmt.clean(result.id)}: its name is taken, saved as {dest}.")
    _fetch(ctx, [(r, dest) for r, dest, state in plan if state in ("download", "renamed")], args)
    if not chosen:
        ctx.out.info(f"Job {fmt.clean(job.job_id)} ({job.phase.value}) has no results to download.")
    files: List[Dict[str, Any]] = [
        {"id": r.id, "path": str(dest), "size": dest.stat().st_size, "status": state}
        for r, dest, state in plan
    ]
    rows = [[r.id, str(d), fmt.fmt_size(d.stat().st_size), state] for r, d, state in plan]
    return _Outcome(
        doc={"job_id": job.job_id, "directory": str(outdir), "files": files},
        text=fmt.table(["RESULT ID", "FILE", "SIZE", "STATUS"], rows) if files else None,
        quiet="",
    )


def _fetch(ctx: _Context, todo: List[Tuple[Result, Path]], args: argparse.Namespace) -> None:
    """Download ``todo`` with :meth:`Client.download_many` (progress bars on a terminal).
    Every result is tried; when some failed, each is named and the first one's error is
    raised (exit 4; the files saved stay, and the same command fetches the rest)."""
    bars = _ProgressBars(ctx.out, [(dest, r.size) for r, dest in todo])
    try:
        report = ctx.client.download_many(
            todo,
            progress=bars.update if bars.active else None,
            overwrite=args.overwrite == "always",
        )
    finally:
        bars.close()
    for outcome in report.failed[1:]:
        ctx.out.error(f"uws-lite: {outcome.path} was not saved: {fmt.clean(str(outcome.error))}")
    report.raise_for_failures()


def _chosen_results(ctx: _Context, job: Job, wanted: Sequence[str]) -> List[Result]:
    """The results asked for (all by default); results without an http(s) href are
    skipped with a note when downloading all, and refused when asked for by id."""
    if not wanted:
        fetchable = [r for r in job.results if is_http_url(r.href)]
        for result in job.results:
            if not is_http_url(result.href):
                ctx.out.info(
                    f"Skipping result {fmt.clean(result.id)}: its href "
                    f"{fmt.clean(redact_url(result.href))!r} is not an http(s) URL."
                )
        return fetchable
    chosen: List[Result] = []
    for result_id in wanted:
        found = job.result(result_id)
        if found is None:
            known = ", ".join(fmt.clean(r.id) for r in job.results) or "none"
            raise CLIError(
                f"job {fmt.clean(job.job_id)} has no result {fmt.clean(result_id)!r}",
                hint=f"Its results: {known}.",
            )
        if not is_http_url(found.href):
            raise CLIError(
                f"result {fmt.clean(result_id)!r} has no http(s) href "
                f"({fmt.clean(redact_url(found.href))!r}), so it cannot be downloaded"
            )
        chosen.append(found)
    return chosen


def _plan_downloads(
    results: Sequence[Result], outdir: Path, overwrite: str = "never"
) -> List[Tuple[Result, Path, str]]:
    """(result, destination, what to do) for each result, decided before any transfer.

    Names come from the result ids made safe (never a path, never a clash). A file
    already under that name is a finished download (downloads are atomic) when it
    matches the result's SHA-1 or size: it is not fetched again, which is how an
    interrupted ``download`` resumes. With ``overwrite="never"`` one that cannot be
    checked is kept, and one that differs is someone else's file: refused. "rename" saves
    the result under a free name instead (``name-1.ext``); "always" replaces the file.
    """
    from .download import matches_local_file
    from .naming import safe_filename

    taken: List[str] = []
    plan: List[Tuple[Result, Path, str]] = []
    conflicts: List[str] = []
    for result in results:
        name = safe_filename(result.id, taken)
        taken.append(name)
        dest = outdir / name
        state = "download"
        if overwrite != "always" and (dest.exists() or dest.is_symlink()):
            same = matches_local_file(dest, sha1=result.sha1, size=result.size)
            if same:
                state = "present"
            elif overwrite == "rename":
                dest, state = _renamed(result, outdir, taken)
                taken.append(dest.name)
            elif same is None:
                state = "kept"
            else:
                conflicts.append(str(dest))
        plan.append((result, dest, state))
    if conflicts:
        raise CLIError(
            f"{', '.join(fmt.clean(c) for c in conflicts)} already exist(s) with other content",
            hint="Choose another directory with -o DIR, replace them with --overwrite, "
            "or keep both with --overwrite rename.",
        )
    return plan


def _renamed(result: Result, outdir: Path, taken: Sequence[str]) -> Tuple[Path, str]:
    """For ``--overwrite rename``: the first of ``name-1.ext``, ``name-2.ext``... that
    already holds the result ("present": a re-run fetches nothing) or is free ("renamed")."""
    from .download import matches_local_file
    from .naming import safe_filename

    tried = list(taken)
    while True:
        name = safe_filename(result.id, tried)
        dest = outdir / name
        if not (dest.exists() or dest.is_symlink()):
            return dest, "renamed"
        if matches_local_file(dest, sha1=result.sha1, size=result.size):
            return dest, "present"
        tried.append(name)


class _ProgressBars:
    """One tqdm bar per download on stderr when it is a terminal (and not --quiet)."""

    def __init__(self, out: _Out, files: Sequence[Tuple[Path, Optional[int]]]) -> None:
        isatty = getattr(out.stderr, "isatty", None)
        self.active = bool(files) and not out.quiet and isatty is not None and isatty()
        self.bars: Dict[Path, Any] = {}
        if not self.active:
            return
        from tqdm import tqdm

        for position, (dest, size) in enumerate(files):
            self.bars[dest] = tqdm(
                desc=fmt.clean(dest.name)[:40],
                total=size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=out.stderr,
                position=position,
                leave=True,
            )

    def update(self, item: DownloadItem, done: int, total: Optional[int]) -> None:
        bar = self.bars.get(item.dest)
        if bar is None:
            return
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


_COMMANDS: Dict[str, Callable[[_Context, argparse.Namespace], _Outcome]] = {
    "list": _cmd_list,
    "show": _cmd_show,
    "new": _cmd_new,
    "set": _cmd_set,
    "duration": _cmd_duration,
    "destruction": _cmd_destruction,
    "run": _cmd_run,
    "abort": _cmd_abort,
    "delete": _cmd_delete,
    "results": _cmd_results,
    "download": _cmd_download,
    "error": _cmd_error,
}

# --- errors -----------------------------------------------------------------------------


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, CLIError):
        return exc.code
    if isinstance(exc, WaitTimeout):
        return EXIT_TIMEOUT
    if isinstance(exc, JobError):
        return EXIT_JOB
    if isinstance(exc, InvalidRequest):
        return EXIT_USAGE
    return EXIT_SERVER  # any other UWSError, and anything unexpected from the network


def _hint(exc: BaseException, again: str) -> str:
    """What to do next, in terms of this command line."""
    job = fmt.shell_word(exc.job.job_id if isinstance(exc, JobError) else "JOB")
    if isinstance(exc, CLIError):
        return exc.hint
    if isinstance(exc, WaitTimeout):
        return f"The job goes on; wait again with: {again} show {job} --wait"
    if isinstance(exc, JobNotStarted):
        return f"Start it with: {again} run {job}"
    if isinstance(exc, JobHeld):
        return f"Ask the server to run it again with: {again} run {job}"
    if isinstance(exc, JobFailed):
        return f"See why with: {again} error {job}"
    if isinstance(exc, JobNotFound):
        return f"See the existing jobs with: {again} list"
    # The client's messages already say what to do in general; add where this
    # command line takes the setting in question.
    if isinstance(exc, AuthenticationError):
        return "The login comes from --login or UWS_LOGIN, the token from UWS_TOKEN or ~/.netrc."
    if isinstance(exc, ConnectionFailed):
        return "The URL comes from --url or UWS_URL."
    if isinstance(exc, RequestTimeout):
        return "Give a slow server more time with --request-timeout SECONDS."
    if isinstance(exc, DownloadError):
        return "Files already downloaded are kept; the same command fetches the rest."
    if not isinstance(exc, UWSError):
        return "This looks like a bug: run again with --debug and report the traceback."
    return ""


def _error_line(exc: BaseException, again: str) -> str:
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, (UWSError, CLIError)):
        message = f"unexpected {type(exc).__name__}: {message}"
    message = fmt.clean(message).strip()
    if len(message) > 500:
        message = message[:500] + " [...]"
    hint = _hint(exc, again)
    if hint:
        message = f"{message.rstrip('.')}. {hint}"
    return message


def _report(out: _Out, exc: BaseException, again: str, debug: bool) -> int:
    code = _exit_code(exc)
    line = _error_line(exc, again)
    if debug:
        import traceback

        out.error("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    where = exc.where if isinstance(exc, CLIError) else "uws-lite"
    out.error(f"{where}: {line}")
    if out.json:
        doc: Dict[str, Any] = {
            "error": {"type": type(exc).__name__, "message": line, "exit_code": code}
        }
        if isinstance(exc, JobError):
            doc["error"]["job"] = fmt.job_doc(exc.job)
        print(out.scrub(fmt.to_json(doc)), file=out.stdout, flush=True)
    return code


# --- main -------------------------------------------------------------------------------


def _prog() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m uws_lite" if not name or name.endswith(".py") or name == "-c" else name


def _hint_prefix(prog: str, args: argparse.Namespace) -> str:
    """How to call this command line again with the same service (for hints)."""
    words = [prog]
    if getattr(args, "url", None):
        words += ["--url", shlex.quote(redact_url(args.url))]
    if getattr(args, "login", None):
        words += ["--login", shlex.quote(args.login)]
    return " ".join(words)


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    prog = _prog() if argv is None else "uws-lite"
    argv = list(sys.argv[1:] if argv is None else argv)
    out = _Out(
        stdout or sys.stdout,
        stderr or sys.stderr,
        json="--json" in argv,
        quiet="--quiet" in argv or "-q" in argv,
    )
    try:
        args = build_parser(prog).parse_args(bare_overwrite(argv))
    except CLIError as exc:
        return _report(out, exc, prog, debug=False)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    out.json, out.quiet = args.json, args.quiet
    if args.command is None:
        build_parser(prog).print_help(out.stderr)
        return EXIT_USAGE
    again = _hint_prefix(prog, args)
    try:
        with _logging(out, args.debug):
            return _run(args, out, again)
    except KeyboardInterrupt:
        out.error("uws-lite: interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``uws-lite list | head``): nothing left to tell anyone.
        # Point the real stdout at /dev/null so the flush at exit does not fail again.
        if out.stdout is sys.__stdout__:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), out.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # one line, never a traceback (unless --debug)
        return _report(out, exc, again, args.debug)


class _ScrubbedStream:
    """A text stream for log records that goes through :meth:`_Out.scrub` to stderr."""

    def __init__(self, out: _Out) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.stderr.write(self.out.scrub(text))

    def flush(self) -> None:
        self.out.stderr.flush()


@contextlib.contextmanager
def _logging(out: _Out, debug: bool) -> Iterator[None]:
    """Log records on stderr, scrubbed: uws_lite's warnings (errors only with --quiet),
    or with --debug everything (urllib3's requests included). Undone on return, so
    calling :func:`main` in-process leaves the caller's logging as it was."""
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


def _run(args: argparse.Namespace, out: _Out, again: str) -> int:
    env = dict(os.environ)
    url, auth = service(args, env)
    if auth is not None:
        user, token = auth
        out.secrets = secret_forms(token, user)
    from .client import Client
    from .transport import DEFAULT_TIMEOUT

    timeout = DEFAULT_TIMEOUT._replace(read=args.timeout) if args.timeout else DEFAULT_TIMEOUT
    with Client(url, auth=auth, timeout=timeout) as client:
        outcome = _COMMANDS[args.command](_Context(client, out, again), args)
    out.emit(outcome)
    return outcome.code
