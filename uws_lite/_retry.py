"""The retry policy of every request: urllib3's Retry, with ``Retry-After`` capped and every
wait cut to the time left before the request's deadline (:mod:`uws_lite.deadline`)."""

from __future__ import annotations

import inspect
import logging
import time
from typing import TYPE_CHECKING, Any, Dict, Optional

import urllib3.exceptions
from urllib3.util.retry import Retry

from .deadline import current_deadline
from .numbers import check_count, check_seconds

if TYPE_CHECKING:
    from urllib3.response import BaseHTTPResponse

__all__ = ["IDEMPOTENT_METHODS", "MAX_RETRY_AFTER", "RETRY_STATUSES", "CappedRetry", "make_retry"]

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for an hour must not hang the caller


class CappedRetry(Retry):
    """urllib3's Retry with the ``Retry-After`` wait capped at ``max_retry_after`` seconds.

    urllib3 sleeps as long as the server asks (up to 6 h in urllib3 2). A service
    announcing an hour of maintenance should produce an error after a bounded wait,
    not a frozen program. An unparsable header falls back to the normal backoff.
    """

    max_retry_after: float = MAX_RETRY_AFTER
    # urllib3 1.26 reads the backoff cap from this class attribute (2.x: backoff_max=).
    DEFAULT_BACKOFF_MAX = 10

    def get_retry_after(self, response: BaseHTTPResponse) -> Optional[float]:
        try:
            value = super().get_retry_after(response)
        except (urllib3.exceptions.InvalidHeader, ValueError, OverflowError):
            return None  # unparsable, or more digits than int() accepts
        if value is None:
            return None
        try:
            asked = float(value)
        except OverflowError:
            asked = self.max_retry_after
        capped = min(asked, self.max_retry_after)
        left = _seconds_left()
        if left is not None and capped > left:
            logger.warning(
                "the server asks to retry after %g s; waiting only the %.1f s left before "
                "the deadline",
                asked,
                max(0.0, left),
            )
            return max(0.0, left)
        if capped < asked:
            logger.warning(
                "the server asks to retry after %g s; waiting at most %g s (max_retry_after)",
                asked,
                capped,
            )
        return capped

    def get_backoff_time(self) -> float:
        backoff = float(super().get_backoff_time())
        left = _seconds_left()
        return backoff if left is None else max(0.0, min(backoff, left))

    def is_exhausted(self) -> bool:
        # With a deadline (uws_lite.deadline), no retry starts once the time is up.
        left = _seconds_left()
        return bool(super().is_exhausted()) or (left is not None and left <= 0.05)

    def new(self, **kw: Any) -> CappedRetry:
        # Retry.new() rebuilds the object from its constructor arguments; carry the cap over.
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry


def _seconds_left() -> Optional[float]:
    deadline = current_deadline()
    return None if deadline is None else deadline - time.monotonic()


def make_retry(retries: int, *, max_retry_after: float = MAX_RETRY_AFTER) -> CappedRetry:
    """The retry policy: connection errors, 429/502/503/504 honouring ``Retry-After``,
    only for idempotent methods (a job-creation POST is never repeated), exponential
    backoff with jitter where urllib3 supports it (>= 2.0)."""
    check_count(retries, "retries", minimum=0)
    check_seconds(max_retry_after, "max_retry_after", zero_ok=True)
    kwargs: Dict[str, Any] = {
        "total": retries,
        "connect": retries,
        "read": retries,
        "status": retries,
        "allowed_methods": IDEMPOTENT_METHODS,
        "status_forcelist": RETRY_STATUSES,
        "backoff_factor": 0.5,
        "respect_retry_after_header": True,
        # Give the last error answer back instead of raising: its body carries the message.
        "raise_on_status": False,
    }
    accepted = inspect.signature(Retry.__init__).parameters
    if "backoff_max" in accepted:
        kwargs["backoff_max"] = 10.0
    if "backoff_jitter" in accepted:
        kwargs["backoff_jitter"] = 0.5
    retry = CappedRetry(**kwargs)
    retry.max_retry_after = float(max_retry_after)
    return retry
