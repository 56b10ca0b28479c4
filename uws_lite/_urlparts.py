"""The pieces of a UWS request URL checked and written before anything is sent: job ids,
path segments, the query (in order: OPUS reads PHASE with a regex), phases and times."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Tuple, Union
from urllib.parse import quote

from .errors import InvalidRequest, ParseError
from .models import Phase
from .times import parse_datetime

__all__ = ["check_job_id", "iso_time", "query_string", "segment", "strict_phase"]


def check_job_id(job_id: str) -> None:
    """Refuse what is no job id: empty, ``.``/``..``, spaces or control characters."""
    if not isinstance(job_id, str) or not job_id.strip() or job_id in (".", ".."):
        raise InvalidRequest(f"not a job id: {job_id!r}")
    if any(ord(c) < 33 or ord(c) == 127 for c in job_id):
        raise InvalidRequest(f"a job id has no spaces or control characters: {job_id!r}")


def segment(text: str, what: str) -> str:
    """``text`` as one path segment (quoted); ``what`` names it in the error."""
    if not isinstance(text, str) or not text or text in (".", ".."):
        raise InvalidRequest(f"not a {what}: {text!r}")
    return quote(text, safe="")


def query_string(items: List[Tuple[str, str]]) -> str:
    """``?key=value&...`` in the order given ("" for none)."""
    # Built by hand, in order: OPUS reads PHASE with a regex on the raw query string.
    if not items:
        return ""
    return "?" + "&".join(f"{key}={quote(value, safe='')}" for key, value in items)


def strict_phase(value: Union[Phase, str]) -> Phase:
    """A Phase, or InvalidRequest: no UNKNOWN fallback for what the caller asks."""
    if isinstance(value, Phase):
        return value
    if isinstance(value, str):
        try:
            return Phase(value.strip().upper())
        except ValueError:
            pass
    names = ", ".join(p.value for p in Phase)
    raise InvalidRequest(f"not a UWS phase: {value!r} (one of {names})")


def iso_time(value: Union[datetime, str], what: str) -> str:
    """A time as UWS wants it: an aware datetime in UTC with ``Z``, a naive one as written."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            utc = value.astimezone(timezone.utc).replace(tzinfo=None)
            return utc.isoformat(timespec=_timespec(utc)) + "Z"
        return value.isoformat(timespec=_timespec(value))
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_datetime(value.strip())
        except ParseError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is not None:
                # UWS 1.1 §2.2.1: times are UTC with Z; DaCHS refuses other offsets.
                return iso_time(parsed, what)
            return value.strip()
    raise InvalidRequest(f"{what} must be a datetime or an ISO 8601 string, not {value!r}")


def _timespec(value: datetime) -> str:
    return "microseconds" if value.microsecond else "seconds"
