"""The server's records: jobs, their parameters and results, and stored files (entities).

``JobSnapshot`` is the frozen, public view of a job (what ``server.jobs`` returns and what the
documents are written from); ``JobRecord`` is the store's mutable record behind it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Dict, List, Mapping, Optional, Tuple

__all__ = [
    "ACTIVE_PHASES",
    "DT_FMT",
    "UNFINISHED_PHASES",
    "Entity",
    "JobRecord",
    "JobSnapshot",
    "Param",
    "ResultEntry",
    "UploadedFile",
    "local_now",
]

# OPUS settings.DT_FMT: every time is written so, naive local time.
DT_FMT = "%Y-%m-%dT%H:%M:%S"


def local_now() -> datetime:
    """Now as OPUS writes it: the server's local time, naive, to the second."""
    return datetime.now().replace(microsecond=0)


# Phases in which OPUS blocks a WAIT request (opus-server.md: QUEUED or EXECUTING).
ACTIVE_PHASES = ("QUEUED", "EXECUTING")
# Phases counted against ``max_active_jobs`` (OPUS settings.ACTIVE_PHASES).
UNFINISHED_PHASES = ("PENDING", "QUEUED", "EXECUTING")


@dataclass(frozen=True)
class Param:
    """A stored parameter: the raw value (``file://<name>`` for an upload), by-reference flag,
    and the store entity it stands for (the XML then shows the entity's ``/store`` URL)."""

    value: str
    by_reference: bool = False
    entity_id: Optional[str] = None


@dataclass(frozen=True)
class ResultEntry:
    id: str
    url: str
    mime_type: str
    name: str = ""
    hash: str = ""
    entity_id: Optional[str] = None


@dataclass(frozen=True)
class Entity:
    """A file served at ``/store?ID=<entity_id>``: an upload (``data``) or a generated result
    (``data`` None: the first ``size`` bytes of :mod:`uws_lite.testing.payload`)."""

    entity_id: str
    owner: str
    job_id: str
    file_name: str
    content_type: str
    size: int
    sha1: str = ""
    data: Optional[bytes] = field(default=None, repr=False)
    modified: float = field(default_factory=time.time)  # for Last-Modified


@dataclass(frozen=True)
class UploadedFile:
    """A file input as the server received it."""

    parameter: str
    filename: str  # the sanitised basename OPUS keeps
    raw_filename: str  # the multipart filename as sent
    content: bytes = field(repr=False)
    entity_id: str = ""


@dataclass(frozen=True)
class JobSnapshot:
    job_id: str
    list_name: str
    owner: str
    phase: str
    run_id: Optional[str]
    creation_time: datetime
    start_time: Optional[datetime]
    end_time: Optional[datetime]
    destruction: Optional[datetime]
    quote: Optional[int]
    execution_duration: Optional[str]
    error: Optional[str]
    process_id: Optional[int]
    parameters: Mapping[str, Param]
    results: Tuple[ResultEntry, ...]
    uploads: Mapping[str, UploadedFile]
    phase_history: Tuple[Tuple[str, float], ...]
    """(phase, ``time.time()`` when it was entered), oldest first."""

    def param(self, name: str) -> Optional[str]:
        """The raw stored value of a parameter, or None."""
        found = self.parameters.get(name)
        return None if found is None else found.value

    def entered(self, phase: str) -> Optional[float]:
        """When the job entered ``phase`` (``time.time()``), or None."""
        for name, when in self.phase_history:
            if name == phase:
                return when
        return None

    def result(self, result_id: str) -> Optional[ResultEntry]:
        for item in self.results:
            if item.id == result_id:
                return item
        return None


@dataclass
class JobRecord:
    """The store's mutable job record; only touched under the store's lock."""

    job_id: str
    list_name: str
    owner: str
    owner_token: str = field(repr=False)
    seq: int
    creation_time: datetime
    destruction: Optional[datetime]
    cond: threading.Condition = field(repr=False)
    phase: str = "PENDING"
    run_id: Optional[str] = None
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    quote: Optional[int] = None
    execution_duration: Optional[str] = None
    error: Optional[str] = None
    process_id: Optional[int] = None
    parameters: Dict[str, Param] = field(default_factory=dict)
    results: Dict[str, ResultEntry] = field(default_factory=dict)
    uploads: Dict[str, UploadedFile] = field(default_factory=dict)
    phase_history: List[Tuple[str, float]] = field(default_factory=list)
    overrides: Dict[str, object] = field(default_factory=dict)
    config_failure: Optional[str] = None
    generation: int = 0  # bumped on abort/delete: scheduled events of older runs are ignored
    executed: bool = False  # reached EXECUTING: logs exist
    gets: int = 0  # GETs of the job document (for the job_vanishes fault)
    log_lines: List[str] = field(default_factory=list)

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            job_id=self.job_id,
            list_name=self.list_name,
            owner=self.owner,
            phase=self.phase,
            run_id=self.run_id,
            creation_time=self.creation_time,
            start_time=self.start_time,
            end_time=self.end_time,
            destruction=self.destruction,
            quote=self.quote,
            execution_duration=self.execution_duration,
            error=self.error,
            process_id=self.process_id,
            parameters=MappingProxyType(dict(self.parameters)),
            results=tuple(self.results[key] for key in sorted(self.results)),
            uploads=MappingProxyType(dict(self.uploads)),
            phase_history=tuple(self.phase_history),
        )
