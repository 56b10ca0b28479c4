"""The OPUS routes: one method per resource of opus-server.md, from a parsed request to a
response. No socket I/O here (see handler.py); faults that change documents are applied here.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import datetime
from typing import Callable, List, Optional, Sequence
from urllib.parse import quote

from . import documents
from .exchange import TEXT, Request, Response, see_other, text_response, xml_response
from .failures import AccessDenied, ClientMistake, Failure, NotFound
from .faults import Faults
from .files import entity_chunks, file_response, small_file
from .posted import FILE_INPUTS
from .state import ACTIVE_PHASES, DT_FMT, JobSnapshot, ResultEntry
from .store import JobStore

__all__ = ["MethodNotAllowed", "OpusRoutes"]

_JOB_LIST = re.compile(r"^/rest/([^/]+)$")
_JOB = re.compile(r"^/rest/([^/]+)/([^/]+)$")
_JOB_PART = re.compile(
    r"^/rest/([^/]+)/([^/]+)/(phase|executionduration|destruction|error|quote|owner"
    r"|parameters|results|stdout|stderr|provjson|provxml|provsvg)$"
)
_JOB_ITEM = re.compile(r"^/rest/([^/]+)/([^/]+)/(parameters|results)/([^/]+)$")
_JDL = re.compile(r"^/jdl/(.+)/json$")


class MethodNotAllowed(Failure):
    status = 405

    def __init__(self, allowed: Sequence[str]) -> None:
        self.allowed = allowed
        super().__init__("Method not allowed.")


class OpusRoutes:
    def __init__(
        self,
        store: JobStore,
        faults: Callable[[], Faults],
        *,
        base_url: Callable[[], str],
        list_names: Sequence[str],
        max_wait: float,
    ) -> None:
        self.store = store
        self._faults = faults
        self._base_url = base_url
        self.list_names = tuple(list_names)
        self.max_wait = max_wait

    @property
    def faults(self) -> Faults:
        return self._faults()

    @property
    def base(self) -> str:
        return self._base_url()

    # -- dispatch ---------------------------------------------------------------------

    def dispatch(self, req: Request) -> Response:
        method = "GET" if req.method == "HEAD" else req.method
        if method == "OPTIONS":
            return Response(
                content_type=None,
                headers=[("Access-Control-Allow-Headers", "Authorization, X-Requested-With")],
            )
        path = req.path
        if path == "/":
            self._allow(method, "GET")
            return Response(body=b"OPUS - https://uws-server.readthedocs.io/")
        if path == "/store":
            self._allow(method, "GET")
            return self.store_file(req)
        match = _JDL.match(path)
        if match:
            self._allow(method, "GET")
            return self.jdl(match.group(1))
        match = _JOB_LIST.match(path)
        if match:
            self._allow(method, "GET", "POST")
            if method == "GET":
                return self.job_list(req, match.group(1))
            return self.create(req, match.group(1))
        match = _JOB.match(path)
        if match:
            self._allow(method, "GET", "POST", "DELETE")
            if method == "GET":
                return self.get_job(req, *match.groups())
            return self.delete(req, *match.groups())
        match = _JOB_PART.match(path)
        if match:
            list_name, job_id, part = match.groups()
            writable = part in ("phase", "executionduration", "destruction")
            self._allow(method, *(("GET", "POST") if writable else ("GET",)))
            if method == "POST":
                return self.post_attribute(req, list_name, job_id, part)
            return self.get_part(req, list_name, job_id, part)
        match = _JOB_ITEM.match(path)
        if match:
            list_name, job_id, kind, name = match.groups()
            if kind == "parameters":
                self._allow(method, "GET", "POST")
                return self.parameter(req, list_name, job_id, name, method)
            self._allow(method, "GET")
            return self.result_url(req, list_name, job_id, name)
        raise NotFound(f"Not found: {req.path!r}")

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise MethodNotAllowed(allowed)

    # -- job list and creation ----------------------------------------------------------

    def job_list(self, req: Request, list_name: str) -> Response:
        phases: Optional[List[str]] = None
        if req.arg("PHASE") is not None:
            # OPUS: re.split('&?PHASE=', query_string)[1:] on the *raw* query, so anything
            # after the first PHASE= (e.g. "&LAST=3") sticks to a phase value: PHASE goes last.
            phases = re.split("&?PHASE=", req.query)[1:]
        after = _after(req.arg("AFTER"))
        last_text = req.arg("LAST")
        try:
            last = None if last_text is None else int(last_text)
        except ValueError as exc:
            raise Failure(f"LAST must be an integer, not {last_text!r}") from exc
        if self.faults.list_filters_ignored:
            phases, after = None, None
        elif phases and self.faults.list_last_phase_only:
            phases = phases[-1:]
        jobs = self.store.job_list(req.identity, list_name, phases, after, last)
        return xml_response(documents.job_list_xml(jobs, self.base, list_name))

    def create(self, req: Request, list_name: str) -> Response:
        form = req.form()
        orphan = self.faults.take("creation_500_orphan")
        try:
            job_id = self.store.create(
                req.identity, list_name, form, start=False if orphan else None
            )
        except AccessDenied as exc:
            # create_job has no JobAccessDenied branch: it falls into the generic 500.
            raise Failure(f"JobAccessDenied: {exc}") from exc
        if orphan:
            raise Failure("Internal Server Error")
        location = self.faults.malformed_location
        return see_other(location or f"{self.base}/rest/{list_name}/{job_id}")

    # -- the job ------------------------------------------------------------------------

    def get_job(self, req: Request, list_name: str, job_id: str) -> Response:
        vanish_after = self.faults.job_vanishes
        if vanish_after is not None and self.store.count_get(job_id) > vanish_after:
            self.store.vanish(job_id)
        job = self.store.get(req.identity, list_name, job_id)
        if job.phase in ACTIVE_PHASES:
            job = self._wait(req, job)
        job = self._echo_secret(req, job)
        results = self._published_results(job)
        document = documents.job_xml(job, self.base, results)
        kind = self.faults.hostile_xml
        if kind:
            document = documents.hostile(document, kind)
        return xml_response(document)

    def _echo_secret(self, req: Request, job: JobSnapshot) -> JobSnapshot:
        """The echo_secret fault: the error text repeats the caller's credentials."""
        if not self.faults.echo_secret:
            return job
        token = req.identity.token
        echo = (
            f"{job.error or 'failed'} (token {token}, encoded {quote(token, safe='')}, "
            f"header {req.header('authorization') or 'none'})"
        )
        return replace(job, error=echo)

    def _wait(self, req: Request, job: JobSnapshot) -> JobSnapshot:
        client_phase = req.arg("PHASE") or job.phase
        wait_text = req.arg("WAIT") or "0"
        try:
            wait = float(int(wait_text))
        except ValueError as exc:
            raise Failure(f"ValueError: invalid literal for int(): {wait_text!r}") from exc
        if wait > self.max_wait or wait == -1:
            wait = self.max_wait
        if client_phase != job.phase or wait <= 0 or self.faults.wait_ignored:
            return job
        early = self.faults.wait_early
        if early is not None:
            wait = min(wait, early)
        self.store.wait_for_change(job.job_id, job.phase, wait)
        # OPUS reloads the job only if it changed; a job deleted meanwhile is shown as it was.
        return self.store.snapshot(job.job_id) or job

    def delete(self, req: Request, list_name: str, job_id: str) -> Response:
        if req.method == "POST" and req.form().get("ACTION") != "DELETE":
            # Checked before the job is even looked up.
            raise ClientMistake("ACTION=DELETE is not specified in POST")
        self.store.delete(req.identity, list_name, job_id)
        return see_other(f"{self.base}/rest/{list_name}")

    def post_attribute(self, req: Request, list_name: str, job_id: str, part: str) -> Response:
        form = req.form()
        ident = req.identity
        if part == "phase":
            new_phase = form.get("PHASE")
            if new_phase is None:
                raise ClientMistake("PHASE keyword is not specified in POST")
            if new_phase == "RUN":
                self.store.run(ident, list_name, job_id)
            elif new_phase == "ABORT":
                self.store.abort(ident, list_name, job_id)
            else:
                raise ClientMistake(f"PHASE={new_phase} not expected")
        elif part == "executionduration":
            value = form.get("EXECUTIONDURATION")
            self.store.set_execution_duration(ident, list_name, job_id, value)
        else:
            self.store.set_destruction(ident, list_name, job_id, form.get("DESTRUCTION"))
        return see_other(f"{self.base}/rest/{list_name}/{job_id}")

    def get_part(self, req: Request, list_name: str, job_id: str, part: str) -> Response:
        if part in ("stdout", "stderr"):
            # OPUS serves the logs without loading the job: no role or owner check.
            log, changed = self.store.log_text(job_id, part)
            return small_file(req, self.faults, log.encode("utf-8"), TEXT, changed)
        if part.startswith("prov"):
            if part != "provjson":
                raise NotFound(f'Prov file "provenance.{part[4:]}" NOT FOUND for job "{job_id}"')
            body = self.store.provenance(job_id).encode("utf-8")
            return small_file(req, self.faults, body, "application/json", time.time())
        job = self._echo_secret(req, self.store.get(req.identity, list_name, job_id))
        if part == "parameters":
            return xml_response(documents.parameters_xml(job, self.base))
        if part == "results":
            return xml_response(documents.results_xml(self._published_results(job)))
        values = {
            "phase": job.phase,
            "executionduration": str(job.execution_duration),
            "destruction": _stamp(job.destruction),
            "error": job.error or "",
            "quote": str(job.quote),
            "owner": job.owner,
        }
        return text_response(values[part])

    def parameter(
        self, req: Request, list_name: str, job_id: str, name: str, method: str
    ) -> Response:
        if method == "POST":
            value = req.form().get("VALUE")
            self.store.set_parameter(req.identity, list_name, job_id, name, value)
            return see_other(f"{self.base}/rest/{list_name}/{job_id}/parameters")
        job = self.store.get(req.identity, list_name, job_id)
        found = job.param(name)
        if found is None:
            raise NotFound(f'Parameter "{name}" NOT FOUND for job "{job_id}"')
        return text_response(found)

    def result_url(self, req: Request, list_name: str, job_id: str, name: str) -> Response:
        job = self.store.get(req.identity, list_name, job_id)
        for result in self._published_results(job):
            if result.id == name:
                return text_response(result.url)  # OPUS answers the URL, not the file
        raise NotFound(f'Result "{name}" NOT FOUND for job "{job_id}"')

    def _published_results(self, job: JobSnapshot) -> List[ResultEntry]:
        faults = self.faults
        results = list(job.results)
        if faults.hash_mismatch:
            results = [
                replace(r, hash=documents.wrong_hash(r.hash)) if r.hash else r for r in results
            ]
        stdout = job.result("stdout")
        if faults.hostile_result_ids and job.phase == "COMPLETED" and stdout is not None:
            first = results[0].id if results else "stdout"
            for hostile_id in ("../../x", "/etc/passwd", first, "example.json"):
                results.append(ResultEntry(id=hostile_id, url=stdout.url, mime_type="text/plain"))
        return results

    # -- files ----------------------------------------------------------------------------

    def store_file(self, req: Request) -> Response:
        entity_id = req.arg("ID")
        if entity_id is None:
            raise ClientMistake('"ID" is not specified in request')
        entity = self.store.entity(req.identity, entity_id)
        download = f"{entity.entity_id}_{entity.file_name}"
        if self.faults.hostile_content_disposition:
            download = f"../../{download}"
        response = file_response(
            req,
            self.faults,
            entity.size,
            entity_chunks(entity),
            entity.content_type,
            entity.modified,
        )
        response.headers.append(("Content-Disposition", f'attachment; filename="{download}"'))
        return response

    def jdl(self, list_name: str) -> Response:
        if list_name not in self.list_names:
            raise NotFound(f"No JDL file found for {list_name}")
        description = {
            "name": list_name,
            "annotation": "ExPRES radio emission simulation (simulated by uws_lite.testing)",
            "executionDuration": self.store.default_execution_duration,
            "quote": 120,
            "parameters": {
                "runId": {"datatype": "xs:string", "default": "", "required": False},
                "branch": {"datatype": "xs:string", "default": "master", "required": False},
            },
            "used": {
                name: {"content_type": ctype, "url": "file://$ID", "default": ""}
                for name, ctype in FILE_INPUTS.items()
            },
            "generated": {
                "*.cdf": {"content_type": "application/x-cdf"},
                "stdout": {"content_type": "text/plain"},
                "stderr": {"content_type": "text/plain"},
                "provjson": {"content_type": "application/json"},
            },
        }
        body = json.dumps(description).encode("utf-8")
        return Response(body=body, content_type="application/json")


def _after(text: Optional[str]) -> Optional[datetime]:
    """The AFTER filter as a naive local time (the server's creation times are naive local)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Failure(f"AFTER must be an ISO 8601 date, not {text!r}") from exc
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when


def _stamp(value: Optional[datetime]) -> str:
    return "" if value is None else value.strftime(DT_FMT)
