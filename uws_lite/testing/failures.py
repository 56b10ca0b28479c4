"""What goes wrong inside the server, and the HTTP status OPUS answers for each.

OPUS (uws_server.py) maps its exceptions like this: ``JobAccessDenied`` -> 403,
``NotFoundWarning`` -> 404, ``UserWarning`` (a client mistake) -> 500, anything else -> 500.
The job creation route has no 403 branch, so a permission problem there is a 500 too.
"""

from __future__ import annotations

__all__ = ["AccessDenied", "ClientMistake", "Failure", "NotFound", "TooManyJobs"]


class Failure(Exception):
    """Base: ``status`` is the HTTP status, ``str(exc)`` the message shown in the page."""

    status = 500


class AccessDenied(Failure):
    """OPUS ``JobAccessDenied``: no role for the job list, or not the job's owner."""

    status = 403


class NotFound(Failure):
    """OPUS ``NotFoundWarning``: unknown job, result, parameter, log or store entity."""

    status = 404


class ClientMistake(Failure):
    """OPUS ``UserWarning``: wrong phase, bad value, missing keyword, failed upload."""

    status = 500


class TooManyJobs(Failure):
    """OPUS ``TooManyJobs``: the owner already has the maximum number of active jobs."""

    status = 500
