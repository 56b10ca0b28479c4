"""Times as UWS servers write them, read leniently.

Job documents, ``<job>/quote`` and ``<job>/destruction`` carry ISO 8601 times in the forms
real servers use (uws-landscape.md §4): ``T`` or a space, optional seconds and fraction,
``Z``/``UTC``/``GMT``/an offset, or no zone at all (OPUS writes its local time).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Tuple

__all__ = ["parse_datetime"]

# ISO 8601 as real servers write it: T or space, optional seconds and fraction (any digits),
# Z / UTC / GMT / +hh / +hhmm / +hh:mm, or no zone at all (OPUS: local time, kept naive).
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_ZONES: Dict[Tuple[str, str, Optional[str]], timezone] = {}


def parse_datetime(text: Optional[str]) -> Optional[datetime]:
    """Read a UWS time leniently; None for nothing, "-1" or anything unreadable.

    Aware when the text gives a zone (kept as given, not converted), naive when it does
    not. Fractions longer than microseconds are truncated.
    """
    if not text:
        return None
    # Fast path for the two common forms (OPUS naive, DaCHS/UWS 1.1 "Z"): C-speed
    # fromisoformat, only on a shape that every Python >= 3.9 reads the same way.
    size = len(text)
    if (size == 19 or (size == 20 and text[19] in "Zz")) and (
        text[4] == "-" and text[7] == "-" and text[10] in "Tt " and text[13] == ":"
    ):
        try:
            value = datetime.fromisoformat(text[:19])
        except ValueError:
            return None
        return value.replace(tzinfo=timezone.utc) if size == 20 else value
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, utc, sign, zh, zm = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
            timezone.utc if utc else _zone(sign, zh, zm) if sign else None,
        )
    except ValueError:
        return None


def _zone(sign: str, hours: str, minutes: Optional[str]) -> timezone:
    """The fixed offset ``<sign><hours>[:<minutes>]`` (made once per offset)."""
    key = (sign, hours, minutes)
    tz = _ZONES.get(key)
    if tz is None:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))  # ValueError if > 24 h
        tz = timezone(-offset if sign == "-" else offset) if offset else timezone.utc
        _ZONES[key] = tz
    return tz
