"""The UWS data model: phases, jobs, job lists, parameters, results, error summaries.

Everything here is a frozen dataclass (or an Enum) built by :mod:`uws_lite.documents`
from a server's XML. Nothing here talks to a server.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterator, Mapping, Optional, Tuple

if TYPE_CHECKING:  # only for annotations: importing the models must not load lxml
    from lxml import etree

__all__ = [
    "ErrorSummary",
    "Job",
    "JobList",
    "JobRef",
    "Parameter",
    "Phase",
    "Result",
]


class Phase(str, enum.Enum):
    """The ten execution phases of UWS 1.1 (§2.1.3; ARCHIVED is new in 1.1)."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"
    HELD = "HELD"
    SUSPENDED = "SUSPENDED"
    ARCHIVED = "ARCHIVED"

    def __str__(self) -> str:
        return self.value

    @property
    def is_terminal(self) -> bool:
        """The job will not change phase by itself any more."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """A phase in which a UWS 1.1 server may block a ``WAIT`` request (§2.2.1.2)."""
        return self in _ACTIVE

    @property
    def is_success(self) -> bool:
        return self is Phase.COMPLETED

    @classmethod
    def parse(cls, text: Optional[str]) -> Phase:
        """Read a phase leniently: surrounding white space and case are ignored.

        A string that is no UWS phase (or nothing at all) is read as UNKNOWN,
        which the spec defines as "all the client can do is re-query".
        """
        if text is None:
            return cls.UNKNOWN
        try:
            return cls(text.strip().upper())
        except ValueError:
            return cls.UNKNOWN


_TERMINAL = frozenset({Phase.COMPLETED, Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})
_ACTIVE = frozenset({Phase.PENDING, Phase.QUEUED, Phase.EXECUTING})


@dataclass(frozen=True)
class Parameter:
    """One ``<uws:parameter>``; ``value`` is already URL-decoded for OPUS documents."""

    id: str
    value: Optional[str]
    by_reference: bool = False
    is_post: bool = False


@dataclass(frozen=True)
class Result:
    """One ``<uws:result>``.

    ``href`` is absolute (resolved against the document's URL) when it could be;
    it may still be a non-HTTP reference such as ``uws:executing:10``.
    ``attributes`` holds every other attribute by local name (OPUS's ``name`` and
    ``hash``, ``urn:uwscustom`` attributes, ...).
    """

    id: str
    href: Optional[str]
    size: Optional[int] = None
    mime_type: Optional[str] = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> Optional[str]:
        """uws-client's name for the href, kept so ported code runs."""
        return self.href

    @property
    def name(self) -> Optional[str]:
        """OPUS's file name attribute (``<store id>_<file name>``), if any."""
        return self.attributes.get("name") or None

    @property
    def sha1(self) -> Optional[str]:
        """OPUS's ``hash`` attribute: the SHA-1 hex digest of the file, if given."""
        value = self.attributes.get("hash", "").strip().lower()
        # OPUS writes hash="" for logs; anything but 40 hex digits is not a SHA-1.
        if len(value) == 40 and all(c in "0123456789abcdef" for c in value):
            return value
        return None


@dataclass(frozen=True)
class ErrorSummary:
    """``<uws:errorSummary>``: ``type`` is "fatal", "transient" or None (OPUS gives none)."""

    message: str
    type: Optional[str] = None
    has_detail: bool = False


@dataclass(frozen=True)
class Job:
    """A ``<uws:job>`` document (the job summary).

    Times are ``datetime`` objects, timezone-aware when the document gives a zone
    and naive when it does not (OPUS writes the server's local time).
    ``version`` is the document's ``version`` attribute: None means it was
    absent, which by §2.2.1.1 means a UWS 1.0 server.
    """

    job_id: str
    phase: Phase
    run_id: Optional[str] = None
    owner_id: Optional[str] = None
    quote: Optional[datetime] = None
    quote_text: Optional[str] = None
    creation_time: Optional[datetime] = None
    start_time: Optional[datetime] = None
    end_time: Optional[datetime] = None
    execution_duration: Optional[int] = None
    destruction: Optional[datetime] = None
    parameters: Tuple[Parameter, ...] = ()
    results: Tuple[Result, ...] = ()
    error_summary: Optional[ErrorSummary] = None
    job_info: Tuple[etree._Element, ...] = field(default=(), compare=False)
    version: Optional[str] = None
    url: Optional[str] = None

    @property
    def uws_version(self) -> str:
        """ "1.0" when the document had no ``version`` attribute, else that attribute."""
        return self.version or "1.0"

    def parameter(self, name: str) -> Optional[str]:
        """The value of the parameter ``name`` (the last one if repeated), or None."""
        value: Optional[str] = None
        for param in self.parameters:
            if param.id == name:
                value = param.value
        return value

    def result(self, result_id: str) -> Optional[Result]:
        """The first result with this id, or None."""
        for res in self.results:
            if res.id == result_id:
                return res
        return None


@dataclass(frozen=True)
class JobRef:
    """One ``<uws:jobref>`` of a job list. ``href`` is informative only: it is never
    used to reach the job (the client builds job URLs itself)."""

    job_id: str
    phase: Phase
    run_id: Optional[str] = None
    owner_id: Optional[str] = None
    creation_time: Optional[datetime] = None
    href: Optional[str] = None


@dataclass(frozen=True)
class JobList:
    """A ``<uws:jobs>`` document, in document order."""

    jobs: Tuple[JobRef, ...] = ()
    version: Optional[str] = None

    def __iter__(self) -> Iterator[JobRef]:
        return iter(self.jobs)

    def __len__(self) -> int:
        return len(self.jobs)

    def newest_first(self) -> Tuple[JobRef, ...]:
        """The jobs sorted by creation time, newest first (jobs without a time last).

        OPUS's ``LAST=n`` returns the *oldest* n jobs in document order, so sort here.
        """
        # sorted() is stable and undated jobs sort lowest, so they come last in document order.
        return tuple(sorted(self.jobs, key=lambda j: _sort_key(j.creation_time), reverse=True))


def _sort_key(value: Optional[datetime]) -> float:
    # Mixed naive/aware times cannot be compared; compare naive ones as if UTC.
    if value is None:
        return float("-inf")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()
