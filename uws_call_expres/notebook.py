"""HTML views of outcomes for Jupyter (``_repr_html_``): a run, a sweep item, a sweep.

Everything shown that came from the server (job and result ids, error summaries, URLs) or
from the user's files is html-escaped; the job link is the redacted job URL, and only an
http(s) URL becomes a link.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, List, Optional, Sequence

from uws_lite.errors import redact_url
from uws_lite.models import Phase
from uws_lite.urls import is_http_url

if TYPE_CHECKING:
    from .outcome import ExpresRun
    from .sweep import SweepItem

__all__ = ["item_row", "job_link", "phase_html", "run_html", "sweep_html"]

_COLOURS = {
    Phase.COMPLETED: "#1a7f37",
    Phase.ERROR: "#cf222e",
    Phase.ABORTED: "#cf222e",
    Phase.ARCHIVED: "#9a6700",
}
_RUNNING = "#0969da"
# At most this many files listed per run; the rest are counted.
_MAX_FILES = 20


def phase_html(phase: Phase) -> str:
    """The phase, bold and coloured: green done, red failed, blue on its way."""
    colour = _COLOURS.get(phase, _RUNNING)
    return f'<b style="color:{colour}">{escape(phase.value)}</b>'


def job_link(job_id: str, url: str) -> str:
    """The job id, linked to its (redacted) URL when that is http(s)."""
    shown = redact_url(url)
    if is_http_url(shown):
        return (
            f'<a href="{escape(shown, quote=True)}" target="_blank" rel="noopener">'
            f"{escape(job_id)}</a>"
        )
    return escape(job_id)


def run_html(run: ExpresRun) -> str:
    """A small table: job (linked), phase, run id, branch, files, error, warnings."""
    rows = [
        ("job", f"{job_link(run.job_id, run.job_url)} ({escape(run.job_list)})"),
        ("phase", phase_html(run.phase) + ("" if run.ok else " &mdash; not ok")),
    ]
    if run.run_id:
        rows.append(("run id", escape(run.run_id)))
    if run.branch:
        rows.append(("branch", escape(run.branch)))
    if run.files:
        rows.append(("files", _files_html([str(path) for path in run.files])))
    elif run.results:
        rows.append(("results", _files_html([result.id for result in run.results])))
    if run.error_summary is not None and run.error_summary.message:
        rows.append(("error", f"<pre>{escape(run.error_summary.message)}</pre>"))
    if run.warnings:
        rows.append(("warnings", "<br>".join(escape(w) for w in run.warnings)))
    body = "".join(
        f'<tr><th style="text-align:left">{name}</th><td style="text-align:left">{value}</td></tr>'
        for name, value in rows
    )
    return f'<table class="uws-call-expres-run">{body}</table>'


def sweep_html(items: Sequence[SweepItem]) -> str:
    """One row per config: config, job (linked), phase, files, error."""
    head = "".join(f"<th>{name}</th>" for name in ("config", "job", "phase", "files", "error"))
    rows = [item_row(item) for item in items]
    return f'<table class="uws-call-expres-sweep"><tr>{head}</tr>{"".join(rows)}</table>'


def item_row(item: SweepItem) -> str:
    """A sweep item as one table row."""
    run = item.run
    job = job_link(run.job_id, run.job_url) if run else escape(item.job_id or "-")
    phase = phase_html(run.phase) if run else "-"
    files = _files_html([str(p) for p in run.files]) if run and run.files else "-"
    error = _error_text(item.error, run)
    cells = [
        escape(str(item.config)),
        job,
        phase,
        files,
        f"<pre>{escape(error)}</pre>" if error else "",
    ]
    return "<tr>" + "".join(f'<td style="text-align:left">{cell}</td>' for cell in cells) + "</tr>"


def _error_text(error: Optional[Exception], run: Optional[ExpresRun]) -> str:
    if error is not None:
        return f"{type(error).__name__}: {error}"
    if run is not None and run.error_summary is not None:
        return run.error_summary.message
    return ""


def _files_html(names: List[str]) -> str:
    shown = [escape(name) for name in names[:_MAX_FILES]]
    if len(names) > _MAX_FILES:
        shown.append(f"&hellip; and {len(names) - _MAX_FILES} more")
    return "<br>".join(shown)
