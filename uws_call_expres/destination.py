"""The output directory and the overwrite policy, checked before anything is sent.

A job is never run for results that could not be saved: :func:`check_output_dir` creates the
directory and proves it writable first. What happens to files already there is
:mod:`uws_call_expres.saving`'s, once the job has ended (this module is apart so that a
submission does not load the download machinery).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

from uws_lite.errors import InvalidRequest

from .errors import OutputError
from .words import PYTHON, Vocabulary

__all__ = ["OVERWRITE_POLICIES", "check_output_dir", "check_overwrite"]

OVERWRITE_POLICIES = ("rename", "always", "never")


def check_overwrite(policy: str) -> str:
    if policy not in OVERWRITE_POLICIES:
        raise InvalidRequest(
            f"overwrite must be one of {', '.join(map(repr, OVERWRITE_POLICIES))}, not {policy!r}."
        )
    return policy


def check_output_dir(output_dir: Union[str, os.PathLike[str]], words: Vocabulary = PYTHON) -> Path:
    """The output directory as an absolute path, created (with its parents) if missing and
    proven writable by creating and removing a probe file in it.

    Called before anything is sent (a run, a sweep, an attach): a job is never run for results
    that could not be saved. ``os.access`` is not enough: as root it says yes to ``/proc``.
    Messages name the setting in ``words``.
    """
    name = words.name("output_dir")
    shown = os.fspath(output_dir)
    path = Path(shown).expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(
            f"{name} {shown!r}: {_file_in_the_way(path)} is not a directory; "
            "choose another output directory."
        ) from None
    except OSError as exc:
        raise OutputError(
            f"{name} {shown!r} cannot be created ({exc.strerror}); choose another output directory."
        ) from None
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".uws_call_expres-probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"{name} {shown!r}: {path} is not writable ({exc.strerror}); choose another "
            "output directory, or fix its permissions."
        ) from None
    return path


def _file_in_the_way(path: Path) -> Path:
    """The first part of ``path`` that exists and is not a directory (else ``path``)."""
    for part in reversed((path, *path.parents)):
        if part.exists() and not part.is_dir():
            return part
    return path
