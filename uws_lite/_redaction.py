"""The caller's credentials removed from every server-provided text of the parsed documents.

A server may echo the token it was sent (in an error summary, a parameter value, a run id):
the client hands back documents whose texts went through :func:`uws_lite.errors.redact`, so
that nothing printed, logged, repr'd or saved from them (by uws_lite, its CLI or
uws_call_expres) can carry it. Result hrefs are left as they are: they are fetched, and
shown only through :func:`uws_lite.errors.redact_url`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Tuple

from .models import Job, JobList, Parameter

__all__ = ["scrub_job", "scrub_job_list", "scrub_parameters"]

_Scrub = Callable[[str], str]


def _text(scrub: _Scrub, value: Optional[str]) -> Optional[str]:
    return scrub(value) if value else value


def scrub_parameters(params: Tuple[Parameter, ...], scrub: _Scrub) -> Tuple[Parameter, ...]:
    """The parameters with their values scrubbed."""
    return tuple(
        dataclasses.replace(p, value=_text(scrub, p.value)) if p.value else p for p in params
    )


def scrub_job(job: Job, scrub: _Scrub) -> Job:
    """The job with its error summary, parameter values, run id, owner and quote scrubbed."""
    summary = job.error_summary
    if summary is not None:
        summary = dataclasses.replace(summary, message=scrub(summary.message))
    return dataclasses.replace(
        job,
        error_summary=summary,
        parameters=scrub_parameters(job.parameters, scrub),
        run_id=_text(scrub, job.run_id),
        owner_id=_text(scrub, job.owner_id),
        quote_text=_text(scrub, job.quote_text),
    )


def scrub_job_list(jobs: JobList, scrub: _Scrub) -> JobList:
    """The job list with each jobref's run id and owner scrubbed."""
    refs = tuple(
        dataclasses.replace(
            ref, run_id=_text(scrub, ref.run_id), owner_id=_text(scrub, ref.owner_id)
        )
        for ref in jobs.jobs
    )
    return dataclasses.replace(jobs, jobs=refs)
