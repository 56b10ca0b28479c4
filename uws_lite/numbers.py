"""The one checker for the numbers a caller gives: timeouts, durations, sizes, counts.

``nan <= 0`` is False and ``True`` is an ``int``, so plain comparisons let NaN (a wait that
never ends), infinities and booleans through. Every entry point of uws_lite and
uws_call_expres that takes such a number goes through :func:`check_seconds` or
:func:`check_count`, which refuse them with a typed local error before any request.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Type

from .errors import InvalidRequest

__all__ = ["check_count", "check_seconds"]


def check_seconds(
    value: Any,
    what: str,
    *,
    zero_ok: bool = False,
    infinite_ok: bool = False,
    error: Type[InvalidRequest] = InvalidRequest,
) -> float:
    """``value`` as a float number of seconds, or ``error`` (an :class:`InvalidRequest`
    subclass) saying what is wrong: not a real number (a string, a bool, None), NaN,
    negative, zero (unless ``zero_ok``) or infinite (unless ``infinite_ok``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{what} must be a number of seconds, not {value!r}")
    number = float(value)
    if math.isnan(number):
        raise error(f"{what} must be a number of seconds, not NaN")
    if number < 0 or (number == 0 and not zero_ok):
        bound = ">= 0" if zero_ok else "> 0"
        raise error(f"{what} must be {bound} seconds, not {value!r}")
    if math.isinf(number) and not infinite_ok:
        raise error(f"{what} must be a finite number of seconds, not {value!r}")
    return number


def check_count(
    value: Any,
    what: str,
    *,
    minimum: int = 1,
    maximum: Optional[int] = None,
    error: Type[InvalidRequest] = InvalidRequest,
) -> int:
    """``value`` as an int within [minimum, maximum], or ``error``: a bool, a float (even
    2.0, NaN or inf) or a string is refused, so is a number out of range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{what} must be an integer, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise error(f"{what} must be at least {minimum}{upper}, not {value!r}")
    return int(value)
