"""The pieces of the HTML views of outcomes in Jupyter (``_repr_html_`` of
:class:`~uws_call_expres.ExpresRun`, of a sweep item and of a sweep's results).

Everything shown that came from the server (job and result ids, error summaries, URLs) or
from the user's files is html-escaped; the job link is the redacted job URL, and only an
http(s) URL becomes a link.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from uws_lite.errors import redact_url
from uws_lite.models import Phase
from uws_lite.urls import is_http_url

__all__ = ["files_html", "job_link", "phase_html", "table_html"]

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


def files_html(names: Sequence[str]) -> str:
    """File names, one per line, at most a few (the rest counted)."""
    shown = [escape(name) for name in names[:_MAX_FILES]]
    if len(names) > _MAX_FILES:
        shown.append(f"&hellip; and {len(names) - _MAX_FILES} more")
    return "<br>".join(shown)


def table_html(css_class: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of already escaped cells (``header`` empty: the first cell of each row is its
    heading)."""
    head = "".join(f"<th>{name}</th>" for name in header)
    lines = [f"<tr>{head}</tr>"] if header else []
    for row in rows:
        if header:
            cells = "".join(f'<td style="text-align:left">{cell}</td>' for cell in row)
        else:
            name, *values = row
            cells = f'<th style="text-align:left">{name}</th>' + "".join(
                f'<td style="text-align:left">{cell}</td>' for cell in values
            )
        lines.append(f"<tr>{cells}</tr>")
    return f'<table class="{css_class}">{"".join(lines)}</table>'
