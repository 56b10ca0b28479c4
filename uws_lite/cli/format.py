"""How the command line shows things: aligned tables, job summaries and JSON documents.

Everything a server sends is untrusted, and a terminal obeys escape sequences: every
server-given string is passed through :func:`uws_lite.text.for_terminal` (control and
invisible characters shown escaped, ``\\x1b``) before it reaches a person's terminal. JSON
output is written with ``ensure_ascii`` so it carries no raw control characters either.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence
from urllib.parse import urlsplit, urlunsplit

from ..text import for_terminal

if TYPE_CHECKING:
    from ..models import ErrorSummary, Job, JobRef, Parameter, Result

__all__ = [
    "fmt_size",
    "fmt_time",
    "job_doc",
    "job_summary",
    "job_url",
    "jobref_doc",
    "result_doc",
    "results_table",
    "shell_word",
    "table",
    "to_json",
]


def fmt_time(value: Optional[datetime]) -> str:
    """``2026-11-24 22:39:01`` (naive: the server's local time, as OPUS sends it),
    ``2026-11-24 22:39:01Z`` (UTC) or with its offset; "" when absent."""
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="seconds")
    if value.tzinfo is not None and value.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "Z"
    return text


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def job_url(job: Job) -> str:
    """The job's URL without a query: ``Job.url`` is the URL the document came from,
    which carries ``?WAIT=..&PHASE=..`` when it was fetched by a wait."""
    if not job.url:
        return ""
    return urlunsplit(urlsplit(job.url)._replace(query="", fragment=""))


def fmt_size(size: Optional[int]) -> str:
    """A byte count for people: ``512 B``, ``1.5 KiB``, ``3.2 MiB``; "" when unknown."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024.0
        if value < 1024.0 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned text table (two spaces between columns, the last one not padded)."""
    cells = [[for_terminal(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *cells]:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)


def results_table(results: Sequence[Result]) -> str:
    rows = [[r.id, r.mime_type or "", fmt_size(r.size), r.href or ""] for r in results]
    return table(["RESULT ID", "MIME TYPE", "SIZE", "HREF"], rows)


def job_summary(job: Job) -> str:
    """The job as ``label  value`` lines, parameters and results indented below."""
    quote = fmt_time(job.quote) or (job.quote_text or "")
    if job.execution_duration is None:
        duration = ""
    elif job.execution_duration == 0:
        duration = "0 (no limit)"  # UWS 1.1 §2.1.6: 0 means unlimited
    else:
        duration = f"{job.execution_duration} s"
    fields = [
        ("Job", job.job_id),
        ("Phase", job.phase.value),
        ("Run ID", job.run_id or ""),
        ("Owner", job.owner_id or ""),
        ("Created", fmt_time(job.creation_time)),
        ("Started", fmt_time(job.start_time)),
        ("Ended", fmt_time(job.end_time)),
        ("Max duration", duration),
        ("Destruction", fmt_time(job.destruction)),
        ("Quote", quote),
        ("URL", job_url(job)),
    ]
    if job.error_summary is not None:
        fields.append(("Error", job.error_summary.message))
    shown = [(label, value) for label, value in fields if value]
    width = max(len(label) for label, _ in shown)
    lines = [f"{label.ljust(width)}  {for_terminal(value)}" for label, value in shown]
    if job.parameters:
        lines.append("Parameters")
        for param in job.parameters:
            ref = "  (by reference)" if param.by_reference else ""
            lines.append(f"  {for_terminal(param.id)} = {for_terminal(param.value)}{ref}")
    if job.results:
        lines.append("Results")
        lines.extend("  " + line for line in results_table(job.results).splitlines())
    return "\n".join(lines)


# --- JSON ------------------------------------------------------------------------------


def to_json(doc: Any) -> str:
    """One JSON document; ``ensure_ascii`` keeps raw control characters out of the output."""
    return json.dumps(doc, indent=2, ensure_ascii=True)


def _parameter_doc(param: Parameter) -> Dict[str, Any]:
    return {
        "id": param.id,
        "value": param.value,
        "by_reference": param.by_reference,
        "is_post": param.is_post,
    }


def result_doc(result: Result) -> Dict[str, Any]:
    return {
        "id": result.id,
        "href": result.href,
        "size": result.size,
        "mime_type": result.mime_type,
        "attributes": dict(result.attributes),
    }


def _error_summary_doc(summary: Optional[ErrorSummary]) -> Optional[Dict[str, Any]]:
    if summary is None:
        return None
    return {"message": summary.message, "type": summary.type, "has_detail": summary.has_detail}


def job_doc(job: Job) -> Dict[str, Any]:
    """The job as plain JSON types (times in ISO 8601; naive ones have no zone)."""
    params: List[Dict[str, Any]] = [_parameter_doc(p) for p in job.parameters]
    return {
        "job_id": job.job_id,
        "phase": job.phase.value,
        "run_id": job.run_id,
        "owner_id": job.owner_id,
        "creation_time": _iso(job.creation_time),
        "start_time": _iso(job.start_time),
        "end_time": _iso(job.end_time),
        "execution_duration": job.execution_duration,
        "destruction": _iso(job.destruction),
        "quote": _iso(job.quote) if job.quote is not None else job.quote_text,
        "parameters": params,
        "results": [result_doc(r) for r in job.results],
        "error_summary": _error_summary_doc(job.error_summary),
        "version": job.uws_version,
        "url": job_url(job) or None,
    }


def jobref_doc(ref: JobRef) -> Dict[str, Any]:
    return {
        "job_id": ref.job_id,
        "phase": ref.phase.value,
        "run_id": ref.run_id,
        "owner_id": ref.owner_id,
        "creation_time": _iso(ref.creation_time),
        "href": ref.href,
    }


def shell_word(text: str) -> str:
    """A server-given word (a job id) as it can be pasted into a shell."""
    return shlex.quote(for_terminal(text))
