"""What a client POSTs, read as OPUS reads it: a job creation form, an execution duration, a
destruction time. Pure functions: nothing here touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Optional, Tuple

from .failures import ClientMistake
from .forms import Form, UploadedPart
from .state import DT_FMT, Param

__all__ = [
    "FILE_INPUTS",
    "NewJob",
    "is_int",
    "read_creation",
    "read_destruction",
    "read_execution_duration",
]

# The ExPRES job definition's file inputs and their content types.
FILE_INPUTS = {"config": "application/json", "ephemeride": "text/plain"}


@dataclass(frozen=True)
class NewJob:
    """A creation form, read. OPUS saves the job *before* reading its file inputs, so an
    ``input_error`` is raised only once the job is stored (it is left behind, an orphan)."""

    run_id: Optional[str]
    execution_duration: Optional[str]
    inputs: Tuple[Tuple[str, str, UploadedPart], ...]
    """(parameter, content type, part) of each file input sent, in FILE_INPUTS order, up to
    the first one that cannot be read."""
    input_error: Optional[str]
    parameters: Dict[str, Param]
    """The other parameters: plain values, and other file parts (by their file name)."""
    start: bool
    """``PHASE=RUN`` was in the form."""


def is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def read_creation(form: Form) -> NewJob:
    """The new job a creation form asks for; a ClientMistake when OPUS stores nothing."""
    fields = form.as_dict()
    run_id = fields.pop("runId", None)
    duration = fields.pop("executionDuration", None)
    if duration is not None and not is_int(duration):
        # OPUS stores it in an integer column: the save fails, nothing is kept.
        raise ClientMistake(f"Execution duration must be an integer ({duration!r})")
    inputs = []
    input_error = None
    for name, content_type in FILE_INPUTS.items():
        part = form.files.get(name)
        if part is not None:
            inputs.append((name, content_type, part))
        elif name in fields or name == "config":
            # Not a file part: OPUS takes the value as a URL to fetch, and fails.
            input_error = f'cannot upload URL for input "{name}": {fields.get(name, "")}'
            break
    parameters = {name: Param(value) for name, value in fields.items() if name != "PHASE"}
    for name, part in form.files.items():
        if name not in FILE_INPUTS:
            parameters[name] = Param(part.filename)
    return NewJob(
        run_id=run_id,
        execution_duration=duration,
        inputs=tuple(inputs),
        input_error=input_error,
        parameters=parameters,
        start=form.get("PHASE") == "RUN",
    )


def read_destruction(value: Optional[str]) -> datetime:
    """The ``DESTRUCTION`` value of a POST to ``<job>/destruction``."""
    if value is None:
        raise ClientMistake("DESTRUCTION keyword required")
    try:
        return datetime.strptime(value, DT_FMT)
    except ValueError as exc:
        # OPUS keeps the first 19 characters when only a suffix (zone, fraction) is extra.
        if not str(exc).startswith("unconverted data remains"):
            raise ClientMistake(f"Destruction time must be in ISO8601 format ({exc})") from exc
        return datetime.strptime(value[:19], DT_FMT)


def read_execution_duration(value: Optional[str]) -> str:
    """The ``EXECUTIONDURATION`` value of a POST to ``<job>/executionduration``."""
    if value is None:
        raise ClientMistake("EXECUTIONDURATION keyword required")
    if not is_int(value):
        raise ClientMistake("Execution duration must be an integer or a float")
    return str(int(value))
