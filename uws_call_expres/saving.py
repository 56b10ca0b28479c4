"""Where a job's results go: safe, unique local names, and the download loop.

Result ids come from the server and are untrusted. Each becomes one safe file name in the
output directory (:func:`uws_lite.naming.safe_filename`: no separators, no ``..``), unique
within the job, and never the name of one of the user's input files. What happens to other
existing files is the overwrite policy:

- ``"rename"`` (default): nothing is lost; a result whose name is taken gets ``name-1.ext``...
- ``"always"``: existing outputs are replaced (re-running into the same directory), except
  the input files, which are never overwritten.
- ``"never"``: if any result would replace a file, nothing is downloaded
  (:class:`~uws_call_expres.errors.OutputError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple, Union

from uws_lite.errors import InvalidRequest, UWSError
from uws_lite.naming import safe_filename

from .errors import OutputError
from .output import Console, DownloadProgress, printable

if TYPE_CHECKING:
    from uws_lite import Client
    from uws_lite.models import Result

__all__ = [
    "OVERWRITE_POLICIES",
    "check_output_dir",
    "check_overwrite",
    "plan_destinations",
    "save_results",
]

OVERWRITE_POLICIES = ("rename", "always", "never")


def check_overwrite(policy: str) -> str:
    if policy not in OVERWRITE_POLICIES:
        raise InvalidRequest(
            f"overwrite must be one of {', '.join(map(repr, OVERWRITE_POLICIES))}, not {policy!r}."
        )
    return policy


def check_output_dir(output_dir: Union[str, os.PathLike[str]]) -> Path:
    """The output directory as an absolute path, checked (not created) before submitting,
    so that a run is not wasted on a directory it cannot write to."""
    path = Path(os.fspath(output_dir)).expanduser().absolute()
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"output_dir {os.fspath(output_dir)!r}: {probe} is not a directory.")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"output_dir {os.fspath(output_dir)!r}: {probe} is not writable.")
    return path


def plan_destinations(
    results: Sequence[Result],
    output_dir: Path,
    *,
    protected: Iterable[Path] = (),
    overwrite: str = "rename",
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
            raise OutputError(
                f"{', '.join(clashes)} already exist in {output_dir} and overwrite is 'never': "
                "choose another output directory, or overwrite='rename'/'always'."
            )
    return tuple(planned)


def save_results(
    client: Client,
    planned: Sequence[Tuple[Result, Path]],
    console: Console,
    *,
    overwrite: str,
    progress: bool,
) -> Tuple[Tuple[Path, ...], Tuple[Tuple[str, str], ...]]:
    """Download every planned result; return (saved paths, (result id, reason) failures).

    One failed result does not stop the others (a failed job's logs are worth having even
    when one of them is missing); the caller decides whether failures are an error.
    """
    saved: List[Path] = []
    failures: List[Tuple[str, str]] = []
    if planned:
        planned[0][1].parent.mkdir(parents=True, exist_ok=True)
    for result, dest in planned:
        console.info(f"Downloading {printable(result.id)}")
        reason: Optional[str] = None
        try:
            with DownloadProgress(dest.name, progress) as bar:
                saved.append(
                    client.download(result, dest, progress=bar, overwrite=overwrite == "always")
                )
        except UWSError as exc:
            reason = str(exc)
        except OSError as exc:  # the local side: disk full, permissions
            reason = f"{dest}: {exc.strerror or exc}"
        if reason is not None:
            failures.append((result.id, reason))
            console.warning(f"{printable(result.id)} was not saved: {reason}")
    return tuple(saved), tuple(failures)


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
