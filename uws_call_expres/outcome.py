"""The value a run returns (:class:`ExpresRun`), and the error of a run whose results were not
all saved (:class:`ResultsIncomplete`, which carries the run)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from uws_lite.errors import DownloadError, redact_url
from uws_lite.models import ErrorSummary, Phase, Result

from .notebook import files_html, job_link, phase_html, table_html

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["FAILED_PHASES", "ExpresRun", "ResultsIncomplete"]

# A job that ended in one of these failed (ARCHIVED: its results are gone).
FAILED_PHASES = frozenset({Phase.ERROR, Phase.ABORTED, Phase.ARCHIVED})


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

    def _repr_html_(self) -> str:
        """The outcome as a table in a notebook (server text escaped, the job linked): job,
        phase, run id, branch, files, error, warnings."""
        rows = [
            ("job", f"{job_link(self.job_id, self.job_url)} ({escape(self.job_list)})"),
            ("phase", phase_html(self.phase) + ("" if self.ok else " &mdash; not ok")),
        ]
        if self.run_id:
            rows.append(("run id", escape(self.run_id)))
        if self.branch:
            rows.append(("branch", escape(self.branch)))
        if self.files:
            rows.append(("files", files_html([str(path) for path in self.files])))
        elif self.results:
            rows.append(("results", files_html([result.id for result in self.results])))
        if self.error_summary is not None and self.error_summary.message:
            rows.append(("error", f"<pre>{escape(self.error_summary.message)}</pre>"))
        if self.warnings:
            rows.append(("warnings", "<br>".join(escape(w) for w in self.warnings)))
        return table_html("uws-call-expres-run", (), rows)

    @property
    def cdf_files(self) -> Tuple[Path, ...]:
        """The saved files whose name ends in ``.cdf`` (ExPRES writes one per run)."""
        return tuple(path for path in self.files if path.suffix.lower() == ".cdf")

    @property
    def cdf(self) -> Optional[Path]:
        """The run's CDF file (the first one saved), or None."""
        found = self.cdf_files
        return found[0] if found else None

    def open(self) -> xr.Dataset:
        """The run's CDF as an :class:`xarray.Dataset` (see :func:`uws_call_expres.read_cdf`).

        Needs the ``science`` extra (MissingExtra otherwise); raises CdfError when the run
        saved no ``.cdf`` file (a failed job, ``LOOP=False``, or the result was skipped).
        """
        from .errors import CdfError
        from .science import read_cdf

        path = self.cdf
        if path is None:
            saved = ", ".join(p.name for p in self.files) or "no files"
            raise CdfError(
                f"job {self.job_id} ({self.phase.value}) saved no .cdf file ({saved}): "
                "wait for the job to complete (LOOP=True, or attach) and save its results"
            )
        return read_cdf(path)

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


class ResultsIncomplete(DownloadError):
    """The job completed but some of its results could not be saved.

    ``run`` is the outcome with the files that *were* saved; ``failures`` holds
    ``(result id, reason)`` pairs. Re-attaching to the job downloads again.
    """

    def __init__(
        self,
        message: str,
        *,
        run: ExpresRun,
        failures: Tuple[Tuple[str, str], ...],
        url: Optional[str] = None,
    ) -> None:
        self.run = run
        self.failures = failures
        super().__init__(message, url=url)
