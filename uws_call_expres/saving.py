"""Where a job's results go: safe, unique local names, and the (parallel) downloads.

Result ids come from the server and are untrusted. Each becomes one safe file name in the
output directory (:func:`uws_lite.naming.safe_filename`: no separators, no ``..``), unique
within the job, and never the name of one of the user's input files. What happens to other
existing files is the overwrite policy:

- ``"rename"`` (default): nothing is lost; a result whose name is taken gets ``name-1.ext``...
- ``"always"``: existing outputs are replaced (re-running into the same directory), except
  the input files, which are never overwritten.
- ``"never"``: if any result would replace a file, nothing is downloaded
  (:class:`~uws_call_expres.errors.OutputError`).

Results are downloaded :data:`DOWNLOAD_WORKERS` at a time (:meth:`uws_lite.Client.download_many`).
That stops at its first failure; whatever was not saved then is tried again one by one, so
that one broken result costs no other result and each failure has its own reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Set, Tuple, Union
from urllib.parse import urlsplit

from uws_lite.errors import InvalidRequest, UWSError
from uws_lite.naming import safe_filename

from .errors import OutputError
from .output import Console, DownloadProgress, printable
from .words import PYTHON, Vocabulary

if TYPE_CHECKING:
    from uws_lite import Client
    from uws_lite.download import DownloadItem
    from uws_lite.models import Result

__all__ = [
    "DOWNLOAD_WORKERS",
    "OVERWRITE_POLICIES",
    "check_output_dir",
    "check_overwrite",
    "plan_destinations",
    "save_results",
]

OVERWRITE_POLICIES = ("rename", "always", "never")
# Parallel downloads per job: within requests' connection pool (10) so connections are reused.
DOWNLOAD_WORKERS = 4


def check_overwrite(policy: str) -> str:
    if policy not in OVERWRITE_POLICIES:
        raise InvalidRequest(
            f"overwrite must be one of {', '.join(map(repr, OVERWRITE_POLICIES))}, not {policy!r}."
        )
    return policy


def check_output_dir(output_dir: Union[str, os.PathLike[str]], words: Vocabulary = PYTHON) -> Path:
    """The output directory as an absolute path, checked (not created) before submitting,
    so that a run is not wasted on a directory it cannot write to."""
    name = words.name("output_dir")
    path = Path(os.fspath(output_dir)).expanduser().absolute()
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{name} {os.fspath(output_dir)!r}: {probe} is not a directory.")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{name} {os.fspath(output_dir)!r}: {probe} is not writable.")
    return path


def plan_destinations(
    results: Sequence[Result],
    output_dir: Path,
    *,
    protected: Iterable[Path] = (),
    overwrite: str = "rename",
    words: Vocabulary = PYTHON,
) -> Tuple[Tuple[Result, Path], ...]:
    """A safe destination for every result, following the overwrite policy.

    ``protected``: the user's input files; those in ``output_dir`` are never overwritten.
    """
    check_overwrite(overwrite)
    here = _resolved(output_dir)
    inputs = [p.name for p in protected if _resolved(p.parent) == here]
    existing = _existing_names(output_dir)
    existing_folded = {name.casefold() for name in existing}
    taken: List[str] = list(inputs)
    if overwrite == "rename":
        taken.extend(existing)
    planned = []
    for result in results:
        name = safe_filename(result.id, taken, fallback="result")
        taken.append(name)
        planned.append((result, output_dir / name))
    if overwrite == "never":
        clashes = [dest.name for _, dest in planned if dest.name.casefold() in existing_folded]
        if clashes:
            other = " or ".join(words.setting("overwrite", p) for p in ("rename", "always"))
            raise OutputError(
                f"{', '.join(clashes)} already exist in {output_dir} and "
                f"{words.setting('overwrite', 'never')} is set: choose another output "
                f"directory ({words.name('output_dir')}), or {other}."
            )
    return tuple(planned)


def save_results(
    client: Client,
    planned: Sequence[Tuple[Result, Path]],
    console: Console,
    *,
    overwrite: str,
    progress: bool,
    max_workers: int = DOWNLOAD_WORKERS,
) -> Tuple[Tuple[Path, ...], Tuple[Tuple[str, str], ...]]:
    """Download every planned result, ``max_workers`` at a time; return (saved paths in
    result order, (result id, reason) failures).

    One failed result does not stop the others (a failed job's logs are worth having even
    when one of them is missing); the caller decides whether failures are an error.
    """
    if not planned:
        return (), ()
    planned[0][1].parent.mkdir(parents=True, exist_ok=True)
    for result, _ in planned:
        console.info(f"Downloading {printable(result.id)}")
    fetchable = [(r, d) for r, d in planned if _is_http(r.href)]
    saved, error = _download_together(
        client, fetchable, overwrite=overwrite, progress=progress, max_workers=max_workers
    )
    left = [(r, d) for r, d in fetchable if d not in saved]
    if error is not None:
        console.debug(f"the parallel download stopped at a failure ({error}); one by one now")
    failures: List[Tuple[str, str]] = []
    # One at a time, as before: hrefs that are not http(s) (Client.download says why), and
    # what was left when the parallel download stopped at its first failure.
    for result, dest in planned:
        if dest in saved:
            continue
        reason: Optional[str]
        if error is not None and left == [(result, dest)]:
            # The only one not saved is the one that failed: no need to ask again.
            reason = _reason(error, dest)
        else:
            reason = _download_one(client, result, dest, overwrite=overwrite, progress=progress)
            if reason is None:
                saved.add(dest)
        if reason is not None:
            failures.append((result.id, reason))
            console.warning(f"{printable(result.id)} was not saved: {reason}")
    return tuple(d for _, d in planned if d in saved), tuple(failures)


def _download_together(
    client: Client,
    planned: Sequence[Tuple[Result, Path]],
    *,
    overwrite: str,
    progress: bool,
    max_workers: int,
) -> Tuple[Set[Path], Optional[Exception]]:
    """Download ``planned`` in parallel; return the destinations saved, and the error that
    stopped the downloads (None if all were saved).

    :meth:`uws_lite.Client.download_many` stops everything at the first failure and keeps
    the files already complete. Those are found by comparing each destination with what
    was there before: a download always publishes a new file (a new inode).
    """
    if not planned:
        return set(), None
    before = {dest: _stamp(dest) for _, dest in planned}
    bars = {dest: DownloadProgress(dest.name, progress) for _, dest in planned}

    def report(item: DownloadItem, done: int, total: Optional[int]) -> None:
        # Called only from the worker running ``item``: each bar has a single writer.
        bars[item.dest](done, total)

    try:
        client.download_many(
            planned,
            max_workers=max_workers,
            progress=report if progress else None,
            overwrite=overwrite == "always",
        )
        return {dest for _, dest in planned}, None
    except (UWSError, OSError) as exc:
        error: Exception = exc
    finally:
        for bar in bars.values():
            bar.close()
    done = set()
    for _, dest in planned:
        now = _stamp(dest)
        if now is not None and now != before[dest]:
            done.add(dest)
    return done, error


def _download_one(
    client: Client, result: Result, dest: Path, *, overwrite: str, progress: bool
) -> Optional[str]:
    """Download one result; None when saved, else why not."""
    try:
        with DownloadProgress(dest.name, progress) as bar:
            client.download(result, dest, progress=bar, overwrite=overwrite == "always")
    except (UWSError, OSError) as exc:
        return _reason(exc, dest)
    return None


def _reason(exc: Exception, dest: Path) -> str:
    if isinstance(exc, OSError):  # the local side: disk full, permissions
        return f"{dest}: {exc.strerror or exc}"
    return str(exc)


def _is_http(href: Optional[str]) -> bool:
    return bool(href) and urlsplit(href or "").scheme.lower() in ("http", "https")


def _stamp(path: Path) -> Optional[Tuple[int, int, int, int]]:
    """What identifies the file now at ``path`` (None: no file)."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _existing_names(directory: Path) -> List[str]:
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(f"{directory} cannot be listed: {exc.strerror}.") from None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
