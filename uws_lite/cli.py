"""``uws-lite`` (``python -m uws_lite``): any UWS 1.0/1.1 job list from a shell.

It replaces uws-client's ``uws`` tool, which no longer runs on Python 3. Each command
is a small function over :class:`uws_lite.Client`; the presentation is in
:mod:`uws_lite.cli_format`. Heavy modules (the client, tqdm, netrc) are imported only
when a command needs them, so ``--help`` starts fast.

Exit status: 0 ok, 1 the job failed / was aborted / is stuck, 2 usage or local error,
3 ``--wait`` deadline passed, 4 server or network error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import base64
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
    NoReturn,
    Optional,
    Sequence,
    TextIO,
    Tuple,
)
from urllib.parse import urlsplit

from . import cli_format as fmt
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
    redact_url,
)

if TYPE_CHECKING:
    from .client import Client, FormValue
    from .download import DownloadItem
    from .models import Job, Result

__all__ = ["EXIT_INTERRUPTED", "EXIT_JOB", "EXIT_OK", "EXIT_SERVER", "EXIT_TIMEOUT", "main"]

EXIT_OK = 0
EXIT_JOB = 1  # the job failed, was aborted, or is stuck (HELD, never started)
EXIT_USAGE = 2  # bad command line, missing file, unusable ~/.netrc, ...
EXIT_TIMEOUT = 3  # the --wait deadline passed
EXIT_SERVER = 4  # the server answered with an error, or could not be reached
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

EXAMPLE_OPUS = "https://voparis-uws-maser.obspm.fr/rest/ExPRES"
EXAMPLE_DACHS = "http://127.0.0.1:8089/tap/async"
_DETAIL_LIMIT = 20_000  # characters of an error detail document shown to a person


class CLIError(Exception):
    """A problem found by the command line itself: one line, an exit code, a hint."""

    def __init__(
        self, message: str, hint: str = "", code: int = EXIT_USAGE, where: str = "uws-lite"
    ) -> None:
        self.hint = hint
        self.code = code
        self.where = where  # the program (or sub-command) the message is about
        super().__init__(message)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (so ``--json`` can report it) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message, hint=f"See: {self.prog} --help", where=self.prog)


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
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

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


# --- credentials ------------------------------------------------------------------------


def _netrc_entry(host: str, env: Dict[str, str]) -> Optional[Tuple[str, str]]:
    """(login, password) from ``$NETRC`` or ``~/.netrc`` for ``host``, or None."""
    import netrc

    path = env.get("NETRC")
    default = Path("~/.netrc").expanduser()
    if path is None and not default.is_file():
        return None
    try:
        # With no file argument the stdlib also refuses a ~/.netrc readable by others.
        entries = netrc.netrc(path) if path else netrc.netrc()
    except FileNotFoundError:
        return None
    except netrc.NetrcParseError as exc:
        where = exc.filename or str(default)
        if "too permissive" in exc.msg:
            raise CLIError(
                f"{where} can be read by other users, so it is not used",
                hint=f"Run: chmod 600 {where}",
            ) from None
        # exc.msg quotes the offending word, which may be a password: never show it.
        raise CLIError(
            f"{where} cannot be parsed (line {exc.lineno})", hint="Fix its syntax."
        ) from None
    except OSError as exc:
        raise CLIError(f"cannot read {path or default}: {exc.strerror}") from None
    found = entries.authenticators(host)
    if found is None:
        return None
    login, _account, password = found
    if not password:
        return None
    return (login or "", password)


def _credentials(url: str, login: Optional[str], env: Dict[str, str]) -> Optional[Tuple[str, str]]:
    """HTTP Basic credentials for ``url``, or None for a guest.

    The token is never read from the command line (other local users see it in ``ps``
    and ``/proc``, and shell history keeps it): it comes from ``UWS_TOKEN``, from
    ``~/.netrc``, or from a prompt when stdin is a terminal.
    """
    host = urlsplit(url).hostname or ""
    login = login or env.get("UWS_LOGIN") or None
    token = env.get("UWS_TOKEN") or None
    entry = _netrc_entry(host, env) if token is None or login is None else None
    if token is not None:
        if login is None:
            login = entry[0] if entry else None
        if not login:
            raise CLIError(
                "UWS_TOKEN is set but no login name is known",
                hint="Pass --login NAME (or set UWS_LOGIN).",
            )
        return (login, token)
    if entry is not None:
        netrc_login, password = entry
        if login is None and netrc_login:
            return (netrc_login, password)
        if login is not None and netrc_login == login:
            return (login, password)
        if login is not None:
            # A token belongs to one login: never send another user's token.
            raise CLIError(
                f"~/.netrc has login {netrc_login!r} for {host}, not {login!r}",
                hint=f"Set UWS_TOKEN to {login}'s token, or fix the ~/.netrc entry.",
            )
    if login is None:
        return None  # guest: no Authorization header at all
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(f"Token for {login} at {host}: ")
        if secret:
            return (login, secret)
    raise CLIError(
        f"no token for login {login!r} at {host}",
        hint=f"Set UWS_TOKEN, or add 'machine {host} login {login} password TOKEN' to ~/.netrc.",
    )


def _service(
    args: argparse.Namespace, env: Dict[str, str]
) -> Tuple[str, Optional[Tuple[str, str]]]:
    url = (getattr(args, "url", None) or env.get("UWS_URL") or "").strip()
    if not url:
        raise CLIError(
            "no job list URL",
            hint=f"Pass --url URL or set UWS_URL, e.g. --url {EXAMPLE_OPUS}",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CLIError(
            f"{redact_url(url)!r} is not an http(s) URL",
            hint=f"Give the job list URL, e.g. {EXAMPLE_OPUS} or {EXAMPLE_DACHS}",
        )
    if parts.username is not None or parts.password is not None:
        raise CLIError(
            f"the URL {redact_url(url)} carries credentials, which would leak into logs",
            hint="Use --login NAME with UWS_TOKEN or ~/.netrc instead.",
        )
    return url.rstrip("/"), _credentials(url, getattr(args, "login", None), env)


# --- argument values --------------------------------------------------------------------


def _phase(text: str) -> str:
    from .models import Phase

    name = text.strip().upper()
    if name not in Phase.__members__:
        choices = ", ".join(Phase.__members__)
        raise argparse.ArgumentTypeError(f"{text!r} is not a UWS phase ({choices})")
    return name


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
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds > 0")
    return value


def _assignments(items: Sequence[str]) -> Dict[str, FormValue]:
    """``NAME=VALUE`` / ``NAME=@FILE`` / ``NAME=@@TEXT`` -> form values.

    A file becomes a ``Path`` (uploaded as a part named NAME); ``@@TEXT`` is passed on as
    it is: the client sends it as the literal ``@TEXT`` (uws-client's convention).
    Every file is checked here, before anything is sent.
    """
    values: Dict[str, FormValue] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CLIError(
                f"{fmt.clean(item)!r} is not NAME=VALUE",
                hint="Write e.g. runId=demo, or config=@example.json to upload a file.",
            )
        if name in values:
            raise CLIError(f"parameter {fmt.clean(name)!r} is given twice")
        if value.startswith("@") and not value.startswith("@@"):
            path = Path(value[1:]).expanduser()
            if not path.is_file():
                raise CLIError(
                    f"cannot upload {fmt.clean(str(path))!r} for {fmt.clean(name)}: no such file",
                    hint="Check the path; write @@ for a value that starts with a literal @.",
                )
            values[name] = path
        else:
            values[name] = value
    return values


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


def _cmd_show(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    if args.wait is None:
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

    timeout = None if math.isinf(args.wait) else args.wait
    job = ctx.client.wait(args.job, timeout=timeout, on_change=on_change)
    on_change(job)
    if job.phase.value == "ERROR":
        message = job.error_summary.message if job.error_summary else "no error summary"
        ctx.out.error(
            f"uws-lite: job {fmt.clean(job.job_id)} ended in ERROR: {fmt.clean(message)}. "
            f"See why with: {ctx.again} error {_word(job.job_id)}"
        )
        return _job_outcome(job, EXIT_JOB)
    if job.phase.value == "ABORTED":
        ctx.out.error(f"uws-lite: job {fmt.clean(job.job_id)} was aborted.")
        return _job_outcome(job, EXIT_JOB)
    return _job_outcome(job)


def _cmd_new(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    job = ctx.client.new_job(_assignments(args.parameters), run=args.run)
    hint = f"Follow it with: {ctx.again} show {_word(job.job_id)} --wait"
    if not args.run:
        hint = f"Start it with: {ctx.again} run {_word(job.job_id)}"
    ctx.out.info(f"Created job {fmt.clean(job.job_id)} ({job.phase.value}). {hint}")
    return _Outcome(doc=fmt.job_doc(job), text=fmt.clean(job.job_id), quiet=fmt.clean(job.job_id))


def _cmd_set(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    values = _assignments(args.parameters)
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
    from .download import DownloadItem, download_many

    job = ctx.client.get_job(args.job)
    chosen = _chosen_results(ctx, job, args.results)
    if job.phase.value != "COMPLETED" and chosen:
        ctx.out.info(
            f"Job {fmt.clean(job.job_id)} is {job.phase.value}: results may be incomplete."
        )
    outdir = Path(args.output).expanduser()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the directory {outdir}: {exc.strerror}") from None
    plan = _plan_downloads(chosen, outdir, args.overwrite)
    todo = [(r, dest) for r, dest, state in plan if state == "download"]
    for _result, dest, state in plan:
        if state == "present":
            ctx.out.info(f"{dest} is already there (verified): not downloaded again.")
        elif state == "kept":
            ctx.out.info(f"{dest} exists and cannot be verified: kept (--overwrite replaces it).")
    items = [
        DownloadItem(url=str(r.href), dest=dest, expected_size=r.size, sha1=r.sha1)
        for r, dest in todo
    ]
    bars = _ProgressBars(ctx.out, items)
    try:
        download_many(
            ctx.client.session,
            items,
            auth=ctx.client.auth,
            trusted_origin=ctx.client.url,
            timeout=ctx.client.timeout,
            progress=bars.update if bars.active else None,
            overwrite=args.overwrite,
        )
    finally:
        bars.close()
    files: List[Dict[str, Any]] = [
        {"id": r.id, "path": str(dest), "size": dest.stat().st_size, "status": state}
        for r, dest, state in plan
    ]
    if not chosen:
        ctx.out.info(f"Job {fmt.clean(job.job_id)} ({job.phase.value}) has no results to download.")
    rows = [[r.id, str(d), fmt.fmt_size(d.stat().st_size), state] for r, d, state in plan]
    return _Outcome(
        doc={"job_id": job.job_id, "directory": str(outdir), "files": files},
        text=fmt.table(["RESULT ID", "FILE", "SIZE", "STATUS"], rows) if files else None,
        quiet="",
    )


def _chosen_results(ctx: _Context, job: Job, wanted: Sequence[str]) -> List[Result]:
    """The results asked for (all by default); results without an http(s) href are
    skipped with a note when downloading all, and refused when asked for by id."""
    if not wanted:
        fetchable = [r for r in job.results if _fetchable(r)]
        for result in job.results:
            if not _fetchable(result):
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
        if not _fetchable(found):
            raise CLIError(
                f"result {fmt.clean(result_id)!r} has no http(s) href "
                f"({fmt.clean(redact_url(found.href))!r}), so it cannot be downloaded"
            )
        chosen.append(found)
    return chosen


def _fetchable(result: Result) -> bool:
    return bool(result.href) and urlsplit(str(result.href)).scheme.lower() in ("http", "https")


def _plan_downloads(
    results: Sequence[Result], outdir: Path, overwrite: bool
) -> List[Tuple[Result, Path, str]]:
    """(result, destination, what to do) for each result, decided before any transfer.

    Names come from the result ids made safe (never a path, never a clash). A file
    already under that name is a finished download (downloads are atomic) when it
    matches the result's SHA-1 or size: it is not fetched again, which is how an
    interrupted ``download`` resumes. One that cannot be checked is kept; one that
    differs is someone else's file: refused, unless --overwrite.
    """
    from .naming import safe_filename

    taken: List[str] = []
    plan: List[Tuple[Result, Path, str]] = []
    conflicts: List[str] = []
    for result in results:
        name = safe_filename(result.id, taken)
        taken.append(name)
        dest = outdir / name
        state = "download"
        if not overwrite and (dest.exists() or dest.is_symlink()):
            same = _same_file(dest, result)
            if same is None:
                state = "kept"
            elif same:
                state = "present"
            else:
                conflicts.append(str(dest))
        plan.append((result, dest, state))
    if conflicts:
        raise CLIError(
            f"{', '.join(fmt.clean(c) for c in conflicts)} already exist(s) with other content",
            hint="Choose another directory with -o DIR, or replace them with --overwrite.",
        )
    return plan


def _same_file(path: Path, result: Result) -> Optional[bool]:
    """Whether ``path`` holds ``result`` (by SHA-1, else size); None when unknowable."""
    if not path.is_file():
        return False
    if result.sha1:
        import hashlib

        digest = hashlib.sha1()  # noqa: S324 (OPUS's integrity hash, not security)
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest() == result.sha1
    if result.size is not None:
        return path.stat().st_size == result.size
    return None


class _ProgressBars:
    """One tqdm bar per download on stderr when it is a terminal (and not --quiet)."""

    def __init__(self, out: _Out, items: Sequence[DownloadItem]) -> None:
        isatty = getattr(out.stderr, "isatty", None)
        self.active = bool(items) and not out.quiet and isatty is not None and isatty()
        self.bars: Dict[int, Any] = {}
        if not self.active:
            return
        from tqdm import tqdm

        for position, item in enumerate(items):
            self.bars[id(item)] = tqdm(
                desc=fmt.clean(item.dest.name)[:40],
                total=item.expected_size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=out.stderr,
                position=position,
                leave=True,
            )

    def update(self, item: DownloadItem, done: int, total: Optional[int]) -> None:
        bar = self.bars.get(id(item))
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
    job = _word(getattr(getattr(exc, "job", None), "job_id", "JOB"))
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
        return "Give a slow server more time with --timeout SECONDS."
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
        job = getattr(exc, "job", None)
        if job is not None:
            doc["error"]["job"] = fmt.job_doc(job)
        print(out.scrub(fmt.to_json(doc)), file=out.stdout, flush=True)
    return code


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
  a prompt     when --login is given, no token is found and stdin is a terminal
A ~/.netrc entry for another login than --login is never used.

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


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, before or after the command name.

    In the sub-commands their default is SUPPRESS, so that a sub-parser does not
    overwrite a value given before the command name with its own default.
    """
    group = parser.add_argument_group("common options")

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    group.add_argument(
        "--url", default=default(None), metavar="URL", help="the job list URL (default: $UWS_URL)"
    )
    group.add_argument(
        "--login",
        default=default(None),
        metavar="NAME",
        help="log in as NAME (default: $UWS_LOGIN, or the ~/.netrc login for the host)",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=default(None),
        metavar="SECONDS",
        help="how long to wait for each answer of the server (default: 90)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="print only the essential (ids, phase); no messages, no progress bar",
    )
    group.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks and HTTP logs"
    )
    group.add_argument(
        "--token",
        "--password",
        nargs="?",
        action=_RefuseToken,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )


class _RefuseToken(argparse.Action):
    """``--token``/``--password`` exist only to refuse them without echoing the value."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise CLIError(
            f"there is no {self.option_strings[0]} option: a token on the command line can be "
            "read by other users (ps, /proc) and stays in the shell history",
            hint="Set UWS_TOKEN, or put it in ~/.netrc (see uws-lite --help).",
        )


def _add_job(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB", help="the job id, e.g. 2a3490")


def build_parser(prog: str = "uws-lite") -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog=prog,
        description="A command line for IVOA UWS 1.0/1.1 job services (OPUS, DaCHS, TAP, ...).",
        epilog=_MAIN_EPILOG,
        formatter_class=_RAW,
    )
    parser.add_argument("--version", action="version", version=f"uws-lite {__version__}")
    _add_common(parser, top=True)
    common = _Parser(add_help=False)
    _add_common(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, summary: str, epilog: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary,
            epilog="examples:\n" + epilog,
            formatter_class=_RAW,
        )

    p = command(
        "list",
        "List the jobs as a table (id, phase, run id, creation time), newest first.",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} list --last 10
  uws-lite --url {EXAMPLE_DACHS} list --phase EXECUTING --phase QUEUED
  uws-lite list --after 2026-11-24T00:00:00 --json
""",
    )
    p.add_argument(
        "--phase",
        action="append",
        type=_phase,
        metavar="P",
        help="only jobs in phase P (repeatable)",
    )
    p.add_argument(
        "--after", type=_timestamp, metavar="TIME", help="only jobs created after TIME (ISO 8601)"
    )
    p.add_argument("--last", type=_positive, metavar="N", help="only the N newest jobs")

    p = command(
        "show",
        "Show a job's summary; with --wait, wait until it ends, showing its phase changes.",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} show 2a3490
  uws-lite show 2a3490 --wait          # until it ends, however long it takes
  uws-lite show 2a3490 --wait 600      # at most 10 minutes (exit status 3 after that)
""",
    )
    _add_job(p)
    p.add_argument(
        "--wait",
        nargs="?",
        type=_seconds,
        const=math.inf,
        metavar="SECONDS",
        help="wait (UWS 1.1 WAIT long-polls, else polling) until the job is COMPLETED, ERROR, "
        "ABORTED or ARCHIVED, at most SECONDS; exit status 1 if it failed or was aborted",
    )

    p = command(
        "new",
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
    p.add_argument("--run", action="store_true", help="start the job at once (PHASE=RUN)")
    p.add_argument(
        "parameters", nargs="*", default=[], metavar="NAME=VALUE", help="parameters (see below)"
    )

    p = command(
        "set",
        "Change parameters of a PENDING job (NAME=VALUE, NAME=@FILE, NAME=@@TEXT as in 'new').",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} set 2a3490 runId=second-try
  uws-lite set 2a3490 config=@other.json
""",
    )
    _add_job(p)
    p.add_argument("parameters", nargs="+", metavar="NAME=VALUE")

    p = command(
        "duration",
        "Set a PENDING job's maximum execution duration (0 = no limit, if the server allows).",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} duration 2a3490 600
""",
    )
    _add_job(p)
    p.add_argument("seconds", type=_count, metavar="SECONDS")

    p = command(
        "destruction",
        "Set when the server destroys the job (ISO 8601 time).",
        f"""\
  uws-lite --url {EXAMPLE_OPUS} destruction 2a3490 2026-12-31T12:00:00
  uws-lite --url {EXAMPLE_DACHS} destruction 1a2b3c 2026-12-31T12:00:00Z
""",
    )
    _add_job(p)
    p.add_argument("time", type=_timestamp, metavar="TIME")

    for name, summary in (
        ("run", "Start a PENDING (or HELD) job: PHASE=RUN."),
        ("abort", "Abort a job: PHASE=ABORT."),
        ("delete", "Delete a job and its results."),
        ("results", "List a job's results as a table (id, mime type, size, href)."),
        ("error", "Show why a job failed: the error summary and the error document."),
    ):
        p = command(name, summary, f"  uws-lite --url {EXAMPLE_OPUS} {name} 2a3490\n")
        _add_job(p)

    p = command(
        "download",
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
    p.add_argument("-o", "--output", default=".", metavar="DIR", help="directory (default: .)")
    p.add_argument("--overwrite", action="store_true", help="replace files that already exist")
    return parser


# --- main -------------------------------------------------------------------------------


def _prog() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m uws_lite" if not name or name.endswith(".py") or name == "-c" else name


def _word(text: str) -> str:
    """A server-given word (a job id) as it can be pasted into a shell."""
    return shlex.quote(fmt.clean(text))


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
        args = build_parser(prog).parse_args(argv)
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
    url, auth = _service(args, env)
    if auth is not None:
        user, token = auth
        basic = base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        out.secrets = (token, basic)
    from .client import DEFAULT_TIMEOUT, Client

    timeout = (DEFAULT_TIMEOUT[0], args.timeout) if args.timeout else DEFAULT_TIMEOUT
    with Client(url, auth=auth, timeout=timeout) as client:
        outcome = _COMMANDS[args.command](_Context(client, out, again), args)
    out.emit(outcome)
    return outcome.code
