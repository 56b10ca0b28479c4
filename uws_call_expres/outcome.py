"""The value a run returns: :class:`ExpresRun`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from uws_lite.errors import redact_url
from uws_lite.models import ErrorSummary, Phase, Result

__all__ = ["ExpresRun"]


@dataclass(frozen=True)
class ExpresRun:
    """The outcome of one ExPRES job, as far as this call followed it.

    ``ok`` is True when nothing went wrong: the job COMPLETED and every result was saved
    (with ``LOOP=False``: the job was submitted and started, ``phase`` is where it was).
    A failed job (ERROR, ABORTED, ARCHIVED) gives ``ok=False`` with ``error_summary`` and
    ``error_detail`` (the text of ``<job>/error``) and the logs it left in ``files``.
    ``files`` are the result files in the output directory, in the order of ``results``
    (results not saved omitted), including those that were already there, verified identical.
    ``reattach`` is the Python call that takes the job over again (:func:`uws_call_expres.attach`,
    without any token), set when the call returned before the job finished (``LOOP=False``).
    """

    job_id: str
    job_url: str
    job_list: str
    branch: Optional[str]
    run_id: Optional[str]
    phase: Phase
    ok: bool
    login: Optional[str] = None
    error_summary: Optional[ErrorSummary] = None
    error_detail: Optional[str] = None
    results: Tuple[Result, ...] = ()
    files: Tuple[Path, ...] = ()
    warnings: Tuple[str, ...] = ()
    reattach: Optional[str] = None

    @property
    def finished(self) -> bool:
        """The job reached a terminal phase (it will not change by itself any more)."""
        return self.phase.is_terminal

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-able summary (what ``--json`` prints); never contains a credential."""
        return {
            "job_id": self.job_id,
            "job_url": redact_url(self.job_url),
            "job_list": self.job_list,
            "branch": self.branch,
            "run_id": self.run_id,
            "login": self.login,
            "phase": self.phase.value,
            "finished": self.finished,
            "ok": self.ok,
            "error_summary": None if self.error_summary is None else self.error_summary.message,
            "error_detail": self.error_detail,
            "results": [
                {"id": r.id, "href": redact_url(r.href) or None, "size": r.size, "sha1": r.sha1}
                for r in self.results
            ],
            "files": [str(path) for path in self.files],
            "warnings": list(self.warnings),
            "reattach": self.reattach,
        }
