"""One fake OPUS service on ``responses``, for the unit tests that need less than the real
simulator (``uws_lite.testing.OpusServer``, the ``opus_server`` fixture, over real HTTP).

What it simulates: the routes of OPUS serving ExPRES (docs: opus-server.md in the shared
reference), answered from memory, synchronously. ``POST <list>`` (multipart or urlencoded)
creates a job and answers 303 with an absolute Location (``PHASE=RUN`` in the form starts it);
``GET <list>`` lists the caller's jobs (``PHASE`` filters, ``LAST``); ``GET <job>`` is an OPUS
job document (UWS 1.0 namespace, no version, naive times, quote_plus-encoded parameter values
with ``byReference`` 0/1, ``xsi:nil`` for empty values, results with ``name`` and a SHA-1
``hash``); ``<job>/phase`` takes RUN and ABORT; ``DELETE <job>`` or ``ACTION=DELETE`` answers
303 to the list; ``<job>/executionduration``, ``/destruction``, ``/parameters[/<name>]``,
``/error``, ``/owner``, ``/results``; ``<host>/store?ID=...`` serves the files. Errors are bottle
HTML pages with the message in ``<pre>``; a client mistake is a 500. The owner is the Basic
user name (guests: ``anonymous``); job lists show the caller's jobs only.

How a test drives it: build it on a ``responses.RequestsMock`` (``FakeOpus(rsps)``), then
- set the defaults of the next created jobs: ``script`` (the phases after RUN, one step per
  GET of the job; a ``"503"`` in it answers that GET with 503), ``results`` (given to a job
  without results when it ends, as OPUS lists results with the terminal phase),
  ``error_summary``, ``error_text``; make creations fail: ``create_failures`` (the next n get
  OPUS's 500 "Too many jobs") or ``create_status``;
- or add jobs directly: ``fake.add(FakeJob("2a3490", phase="COMPLETED", results=[...]))``
  (``FakeJob`` and ``FakeResult``: fake_opus_jobs.py, also ``fake.job_class``/``result_class``);
- look at ``fake.jobs`` (by id) and ``fake.requests`` (every request answered).
Knobs: ``moves_on="wait"`` moves a job only on a blocking GET (``WAIT=``), so a plain GET shows
its phase unchanged (the default, ``"get"``, is as if time passed between two polls: a GET of
the job moves it, and a job list filtered by ``PHASE``, a JobWatcher's poll, moves each of the
caller's running jobs);
``list_times=False`` writes job lists without creationTime and reads ``LAST`` as UWS 1.1 does
(DaCHS); ``parameter_list_route=False`` refuses ``POST <job>/parameters`` as OPUS does;
``error_content_type`` for ``<job>/error``; ``echo`` is appended to error messages (a server
that echoes credentials).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

import responses
from fake_opus_jobs import (
    NS,
    FakeJob,
    FakeResult,
    job_xml,
    list_xml,
    parameters_xml,
    results_xml,
    store_id,
)

from uws_lite.testing.forms import Form
from uws_lite.testing.forms import parse_form as read_form

__all__ = ["HOST", "FakeOpus", "Seen", "sent_form"]

HOST = "https://voparis-uws-maser.obspm.fr"
ENDED = ("COMPLETED", "ERROR", "ABORTED")
STILL = ("PENDING", "HELD", *ENDED)  # a GET never moves a job in these phases
XML = "text/xml; charset=UTF-8"
FIRST_CREATION = datetime(2026, 11, 24, 22, 39, 0)

Reply = Tuple[int, Dict[str, str], bytes]


@dataclass(frozen=True)
class Seen:
    """A request the fake answered (store downloads included)."""

    method: str
    url: str
    headers: Dict[str, str]
    body: bytes


class FakeOpus:
    job_class = FakeJob  # so that test files need no import
    result_class = FakeResult

    def __init__(
        self,
        rsps: responses.RequestsMock,
        host: str = HOST,
        *,
        moves_on: str = "get",
    ) -> None:
        assert moves_on in ("get", "wait"), moves_on
        self.rsps, self.host, self.moves_on = rsps, host, moves_on
        self.script = ["QUEUED", "EXECUTING", "COMPLETED"]
        self.results = [
            FakeResult("expres_run.cdf", b"CDF\x00" + bytes(range(256)) * 8),
            FakeResult("stdout", b"ExPRES log\n", mime_type="text/plain"),
        ]
        self.error_summary: Optional[str] = None
        self.error_text = ""
        self.create_status = 303
        self.create_failures = 0
        self.parameter_list_route = True
        self.error_content_type = "text/plain"
        self.list_times = True
        self.echo = ""
        self.jobs: Dict[str, FakeJob] = {}
        self.requests: List[Seen] = []
        self.counter = 0
        rest = re.compile(re.escape(f"{host}/rest/") + r"[^?]+(\?.*)?$")
        for method in ("GET", "POST", "DELETE"):
            rsps.add_callback(method, rest, callback=self._answer)
        rsps.add_callback("GET", re.compile(re.escape(f"{host}/store?") + ".*"), self._store)

    # -- set-up and inspection ----------------------------------------------------------

    def add(self, job: FakeJob) -> FakeJob:
        self.jobs[job.job_id] = job
        return job

    def job_url(self, job: FakeJob) -> str:
        return f"{self.host}/rest/{job.job_list}/{job.job_id}"

    def result_href(self, job: FakeJob, result: FakeResult) -> str:
        return result.href or f"{self.host}/store?ID={store_id(job, result)}"

    @property
    def job_get_urls(self) -> List[str]:
        """Every GET of a job document, oldest first."""
        return [s.url for s in self.requests if s.method == "GET" and len(_words(s.url)) == 2]

    # -- documents (a test may replace ``document`` or ``_result_xml`` on an instance) ----

    def document(self, job: FakeJob) -> str:
        return job_xml(job, parameters_xml(job, self.host), self._result_xml(job))

    def _result_xml(self, job: FakeJob) -> str:
        return results_xml(job, self.result_href)

    def list_xml(self, jobs: List[FakeJob]) -> str:
        return list_xml(jobs, self.job_url, times=self.list_times)

    # -- the service ------------------------------------------------------------------------

    def _answer(self, request: Any) -> Reply:
        body = _body(request)
        self.requests.append(Seen(request.method, request.url, dict(request.headers), body))
        query = urlsplit(request.url).query
        words, method = _words(request.url), request.method
        if len(words) == 1:
            if method == "GET":
                return self._list(words[0], query, request)
            if method == "POST":
                return self._create(words[0], request)
            return _html(405, "Method not allowed.")
        job = self.jobs.get(words[1])
        if job is None:
            return _html(404, f"Job {words[1]} not found{self.echo}")
        if method == "DELETE":
            return self._delete(job) if len(words) == 2 else _html(405, "Method not allowed.")
        if method == "POST":
            return self._post(job, words[2:], _values(request))
        return self._get(job, words[2:], dict(parse_qsl(query)))

    def _list(self, job_list: str, query: str, request: Any) -> Reply:
        pairs = parse_qsl(query)
        phases = [v for k, v in pairs if k == "PHASE"]
        owner = _owner(request)
        if phases and self.moves_on == "get" and not self._tick(job_list, owner):
            return 503, {"Content-Type": "text/html", "Retry-After": "0"}, b"<pre>busy</pre>"
        jobs = [
            j
            for j in self.jobs.values()
            if j.job_list == job_list and j.owner == owner and (not phases or j.phase in phases)
        ]
        jobs.sort(key=lambda j: j.creation)
        last = dict(pairs).get("LAST")
        if last is not None:  # OPUS: the oldest n; UWS 1.1 (DaCHS): the newest n, newest first
            jobs = jobs[: int(last)] if self.list_times else jobs[::-1][: int(last)]
        return 200, {"Content-Type": XML}, self.list_xml(jobs).encode()

    def _tick(self, job_list: str, owner: str) -> bool:
        """A job list filtered by phase is how a JobWatcher polls all the caller's jobs at
        once (uws_lite.watch): each of them moves one step, as at a GET of it; False when
        a step was a ``"503"`` (this poll fails, transiently)."""
        failed = False
        for job in self.jobs.values():
            if job.job_list != job_list or job.owner != owner or job.phase in STILL:
                continue
            if job.script and job.script[0] == "503":
                job.script.pop(0)
                failed = True
            elif job.script:
                self._move(job, job.script.pop(0))
        return not failed

    def _create(self, job_list: str, request: Any) -> Reply:
        if self.create_failures > 0:
            self.create_failures -= 1
            return _html(500, "Too many jobs")
        if self.create_status != 303:
            return _html(self.create_status, "creation failed")
        form = _form(request)
        fields = dict(form.fields)
        self.counter += 1
        job = self.add(
            FakeJob(
                job_id=f"a{self.counter:05x}",
                job_list=job_list,
                run_id=fields.get("runId"),
                owner=_owner(request),
                creation=(FIRST_CREATION + timedelta(seconds=self.counter)).isoformat(),
                parameters={k: v for k, v in fields.items() if k != "PHASE"},
                uploads={k: (part.raw_filename, part.content) for k, part in form.files.items()},
                error=self.error_summary,
                error_detail=self.error_text,
                duration=int(fields.get("executionDuration") or 0),
                script=list(self.script),
            )
        )
        if fields.get("PHASE") == "RUN":
            self._start(job)
        return _see(self.job_url(job))

    def _get(self, job: FakeJob, sub: List[str], query: Dict[str, str]) -> Reply:
        if not sub:
            job.gets += 1
            if job.script and job.script[0] == "503":  # a transient failure in the script
                job.script.pop(0)
                return 503, {"Content-Type": "text/html", "Retry-After": "0"}, b"<pre>busy</pre>"
            moves = self.moves_on == "get" or "WAIT" in query
            if moves and job.script and job.phase not in STILL:
                self._move(job, job.script.pop(0))
            return 200, {"Content-Type": XML}, self.document(job).encode()
        if sub == ["error"]:
            return 200, {"Content-Type": self.error_content_type}, job.error_detail.encode()
        text = {
            "phase": job.phase,
            "executionduration": str(job.duration),
            "destruction": job.destruction,
            "owner": job.owner,
        }
        if len(sub) == 1 and sub[0] in text:
            return 200, {"Content-Type": "text/plain"}, text[sub[0]].encode()
        if sub == ["results"]:
            body = f"<uws:results {NS}>{self._result_xml(job)}</uws:results>"
            return 200, {"Content-Type": XML}, body.encode()
        if sub == ["parameters"]:
            body = f"<uws:parameters {NS}>{parameters_xml(job, self.host)}</uws:parameters>"
            return 200, {"Content-Type": XML}, body.encode()
        return _html(404, "No such resource")

    def _post(self, job: FakeJob, sub: List[str], form: Dict[str, str]) -> Reply:
        if not sub:
            if form.get("ACTION", "").upper() == "DELETE":
                return self._delete(job)
            return _html(500, "ACTION=DELETE is not specified in POST")
        if sub == ["phase"]:
            phase = form.get("PHASE", "").upper()
            if phase == "RUN" and job.phase in ("PENDING", "HELD"):
                self._start(job)
            elif phase == "ABORT":
                job.script = []
                self._move(job, "ABORTED")
            else:
                return _html(500, f"Cannot change phase to {phase} from {job.phase}{self.echo}")
            return _see(self.job_url(job))
        if job.phase != "PENDING":
            return _html(500, f"Job {job.job_id} is not PENDING")
        if sub == ["executionduration"]:
            job.duration = int(form["EXECUTIONDURATION"])
        elif sub == ["destruction"]:
            job.destruction = form["DESTRUCTION"]
        elif sub == ["parameters"] and self.parameter_list_route:
            job.parameters.update(form)
        elif sub == ["parameters"]:
            return _html(405, "Method not allowed.")  # bottle, for a route without POST
        elif len(sub) == 2 and sub[0] == "parameters":
            job.parameters[sub[1]] = form["VALUE"]
        else:
            return _html(404, "No such resource")
        return _see(self.job_url(job))

    def _delete(self, job: FakeJob) -> Reply:
        del self.jobs[job.job_id]
        return _see(f"{self.host}/rest/{job.job_list}")

    def _start(self, job: FakeJob) -> None:
        self._move(job, job.script.pop(0) if job.script else "QUEUED")

    def _move(self, job: FakeJob, phase: str) -> None:
        job.phase = phase
        if phase.strip() in ENDED and not job.results:
            job.results = list(self.results)

    def _store(self, request: Any) -> Reply:
        self.requests.append(Seen("GET", request.url, dict(request.headers), b""))
        found = [
            r
            for j in self.jobs.values()
            for r in j.results
            if self.result_href(j, r) == request.url
        ]
        if not found or found[0].status != 200:
            return _html(found[0].status if found else 404, "No such file")
        size = str(len(found[0].content))
        return 200, {"Content-Type": found[0].mime_type, "Content-Length": size}, found[0].content


# -- helpers ------------------------------------------------------------------------------


def _words(url: str) -> List[str]:
    """The path after ``/rest/``: [list], [list, job] or [list, job, sub, ...]."""
    _, rest, tail = urlsplit(url).path.partition("/rest/")
    return [w for w in tail.split("/") if w] if rest else []


def _owner(request: Any) -> str:
    """The Basic user name; guests (no or unreadable credentials) are ``anonymous``."""
    scheme, _, data = request.headers.get("Authorization", "").partition(" ")
    try:
        user = base64.b64decode(data.strip()).decode().split(":", 1)[0]
    except (binascii.Error, UnicodeDecodeError):
        user = ""
    return user if scheme.lower() == "basic" and user else "anonymous"


def _see(location: str) -> Reply:
    return 303, {"Location": location, "Content-Type": "text/html"}, b""


def _html(status: int, message: str) -> Reply:
    page = f"<html><body><h1>Error {status}</h1><pre>{escape(message)}</pre></body></html>"
    return status, {"Content-Type": "text/html; charset=UTF-8"}, page.encode()


def _body(request: Any) -> bytes:
    """The request body as bytes (a streamed body is read once and kept on the request)."""
    body = request.body
    if hasattr(body, "read"):
        body = request.body = body.read()
    elif body is not None and not isinstance(body, (bytes, str)):
        body = request.body = b"".join(body)
    return body.encode() if isinstance(body, str) else (body or b"")


def _form(request: Any) -> Form:
    """A POSTed form, read as OPUS (bottle) reads it: the server package's own reader."""
    return read_form(request.headers.get("Content-Type"), _body(request))


def _values(request: Any) -> Dict[str, str]:
    """A POSTed form as text values (file parts included, decoded)."""
    form = _form(request)
    values = dict(form.fields)
    values.update({name: part.content.decode() for name, part in form.files.items()})
    return values


def sent_form(request: Any) -> Dict[str, Tuple[Optional[str], bytes]]:
    """What a client sent in a form: ``{name: (file name as sent or None, bytes)}``."""
    form = _form(request)
    sent: Dict[str, Tuple[Optional[str], bytes]] = {k: (None, v.encode()) for k, v in form.fields}
    sent.update({name: (part.raw_filename, part.content) for name, part in form.files.items()})
    return sent
