"""Fixtures for the command-line tests: a stateful fake UWS service on ``responses``.

The fake answers the way OPUS does (opus-server.md: 303 after every POST, the job
list's PHASE filters, ``<job>/phase`` for RUN/ABORT, DELETE or ``ACTION=DELETE``, text/plain
sub-resources, HTML error pages with the message in ``<pre>``), so the tests do not
depend on which of the equivalent UWS routes the client chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

import pytest
import requests
import responses

from uws_lite.cli import main

BASE = "https://uws.example.org/rest/ExPRES"
STORE = "https://uws.example.org/store"
TOKEN = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"  # OPUS tokens are UUIDs

Reply = Tuple[int, Dict[str, str], bytes]


@dataclass
class FakeResult:
    id: str
    content: bytes
    mime_type: str = "application/octet-stream"
    size: Optional[int] = None
    sha1: Optional[str] = None
    href: Optional[str] = None  # default: a store URL on the service's host


@dataclass
class FakeJob:
    job_id: str
    phase: str = "PENDING"
    run_id: Optional[str] = None
    owner: str = "anonymous"
    creation: str = "2026-11-24T22:39:01"
    parameters: Dict[str, str] = field(default_factory=dict)
    uploads: Dict[str, Tuple[str, bytes]] = field(default_factory=dict)  # name -> (file, bytes)
    results: List[FakeResult] = field(default_factory=list)
    error: Optional[str] = None
    error_detail: str = ""
    duration: int = 600
    destruction: str = "2026-12-24T22:39:01"
    # Phases a WAIT request walks through, one per request (after RUN: the first one).
    script: List[str] = field(default_factory=lambda: ["QUEUED", "EXECUTING", "COMPLETED"])


@dataclass
class Seen:
    method: str
    url: str
    headers: Dict[str, str]
    body: bytes


class FakeUWS:
    """One OPUS-like job list at :data:`BASE`, answering through ``responses``."""

    job_class = FakeJob  # for the tests, which cannot import this module
    result_class = FakeResult

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.rsps = rsps
        self.parameter_list_route = True  # False: like OPUS, no POST <job>/parameters
        self.error_content_type = "text/plain"
        self.list_times = True  # False: jobrefs without creationTime (DaCHS)
        self.echo = ""  # appended to every error page (a server that echoes credentials)
        self.jobs: Dict[str, FakeJob] = {}
        self.requests: List[Seen] = []
        self.counter = 0
        pattern = re.compile(re.escape(BASE) + r"(/.*)?(\?.*)?$")
        for method in ("GET", "POST", "DELETE"):
            rsps.add_callback(method, pattern, callback=self._answer)
        rsps.add_callback("GET", re.compile(re.escape(STORE) + r".*"), callback=self._store)

    # -- set-up helpers
    def add(self, job: FakeJob) -> FakeJob:
        self.jobs[job.job_id] = job
        return job

    def result_href(self, job: FakeJob, result: FakeResult) -> str:
        return result.href or f"{STORE}?ID={job.job_id}-{result.id}"

    # -- documents
    def job_xml(self, job: FakeJob) -> str:
        params = "".join(
            f'<uws:parameter id={quoteattr(k)} byReference="0">{escape(v)}</uws:parameter>'
            for k, v in job.parameters.items()
        )
        params += "".join(
            f'<uws:parameter id={quoteattr(k)} byReference="1">{STORE}?ID=up-{escape(k)}'
            "</uws:parameter>"
            for k in job.uploads
        )
        error = (
            f"<uws:errorSummary>{escape(job.error)}</uws:errorSummary>"
            if job.error
            else '<uws:errorSummary xsi:nil="true"/>'
        )
        run_id = f"<uws:runId>{escape(job.run_id)}</uws:runId>" if job.run_id else ""
        return (
            '<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<uws:jobId>{job.job_id}</uws:jobId>{run_id}"
            f"<uws:ownerId>{job.owner}</uws:ownerId><uws:phase>{job.phase}</uws:phase>"
            f"<uws:creationTime>{job.creation}</uws:creationTime>"
            '<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/>'
            f"<uws:executionDuration>{job.duration}</uws:executionDuration>"
            f"<uws:destruction>{job.destruction}</uws:destruction>"
            f"<uws:parameters>{params}</uws:parameters>{self.results_xml(job, wrapped=True)}"
            f"{error}</uws:job>"
        )

    def results_xml(self, job: FakeJob, *, wrapped: bool = False) -> str:
        items = []
        for r in job.results:
            extra = f' size="{r.size}"' if r.size is not None else ""
            extra += f' hash="{r.sha1}"' if r.sha1 is not None else ""
            items.append(
                f"<uws:result id={quoteattr(r.id)} "
                f"xlink:href={quoteattr(self.result_href(job, r))} "
                f'mime-type="{r.mime_type}"{extra}/>'
            )
        body = f"<uws:results>{''.join(items)}</uws:results>"
        if wrapped:
            return body
        return body.replace(
            "<uws:results>",
            '<uws:results xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">',
            1,
        )

    def list_xml(self, jobs: List[FakeJob]) -> str:
        refs = "".join(
            f'<uws:jobref id="{j.job_id}" xlink:href="{BASE}/{j.job_id}">'
            f"<uws:phase>{j.phase}</uws:phase>"
            + (f"<uws:runId>{escape(j.run_id)}</uws:runId>" if j.run_id else "")
            + (f"<uws:creationTime>{j.creation}</uws:creationTime>" if self.list_times else "")
            + "</uws:jobref>"
            for j in jobs
        )
        return (
            '<uws:jobs xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink">{refs}</uws:jobs>'
        )

    # -- the server
    def _answer(self, request: requests.PreparedRequest) -> Reply:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        url = str(request.url)
        self.requests.append(Seen(str(request.method), url, dict(request.headers), body))
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        rest = parts.path[len(urlsplit(BASE).path) :].strip("/")
        words = rest.split("/") if rest else []
        method = str(request.method)
        if not words:
            return self._list(method, parts.query, request, body)
        job = self.jobs.get(words[0])
        if job is None:
            return _html(404, f"Job {words[0]} not found{self.echo}")
        sub = words[1:]
        if method == "DELETE" and not sub:
            del self.jobs[job.job_id]
            return _see(BASE)
        if method == "POST":
            return self._post(job, sub, _form(request, body))
        return self._get(job, sub, query)

    def _list(
        self, method: str, query: str, request: requests.PreparedRequest, body: bytes
    ) -> Reply:
        if method == "GET":
            pairs = parse_qsl(query)
            phases = [v for k, v in pairs if k == "PHASE"]
            jobs = [j for j in self.jobs.values() if not phases or j.phase in phases]
            last = dict(pairs).get("LAST")
            if last is not None:  # UWS 1.1: the n most recent, most recent first
                jobs = sorted(jobs, key=lambda j: j.creation, reverse=True)[: int(last)]
            return 200, {"Content-Type": "text/xml"}, self.list_xml(jobs).encode()
        if method != "POST":
            return _html(405, "Method not allowed")
        self.counter += 1
        job = self.add(FakeJob(job_id=f"a{self.counter:05x}"))
        form, files = _multipart(request, body)
        for name, value in form.items():
            if name == "runId":
                job.run_id = value
            elif name != "PHASE":
                job.parameters[name] = value
        job.uploads.update(files)
        if form.get("PHASE") == "RUN":
            self._run(job)
        return _see(f"{BASE}/{job.job_id}")

    def _post(self, job: FakeJob, sub: List[str], form: Dict[str, str]) -> Reply:
        if not sub:
            if form.get("ACTION", "").upper() == "DELETE":
                del self.jobs[job.job_id]
                return _see(BASE)
            return _html(500, "Bad request")  # OPUS: anything else POSTed to a job
        if sub == ["phase"]:
            phase = form.get("PHASE", "").upper()
            if phase == "RUN" and job.phase in ("PENDING", "HELD"):
                self._run(job)
            elif phase == "ABORT":
                job.phase = "ABORTED"
            else:
                return _html(500, f"Cannot change phase to {phase} from {job.phase}{self.echo}")
            return _see(f"{BASE}/{job.job_id}")
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
        return _see(f"{BASE}/{job.job_id}")

    def _run(self, job: FakeJob) -> None:
        job.phase = job.script.pop(0) if job.script else "QUEUED"

    def _get(self, job: FakeJob, sub: List[str], query: Dict[str, str]) -> Reply:
        if not sub:
            if "WAIT" in query and job.script and job.phase not in ("PENDING", "HELD"):
                job.phase = job.script.pop(0)
            return 200, {"Content-Type": "text/xml"}, self.job_xml(job).encode()
        text = {
            "phase": job.phase,
            "executionduration": str(job.duration),
            "destruction": job.destruction,
            "error": job.error_detail,
            "owner": job.owner,
        }
        if sub == ["error"]:
            return 200, {"Content-Type": self.error_content_type}, job.error_detail.encode()
        if len(sub) == 1 and sub[0] in text:
            return 200, {"Content-Type": "text/plain"}, text[sub[0]].encode()
        if sub == ["results"]:
            return 200, {"Content-Type": "text/xml"}, self.results_xml(job).encode()
        if sub == ["parameters"]:
            xml = self.job_xml(job)
            start, end = xml.index("<uws:parameters>"), xml.index("</uws:parameters>")
            doc = (
                '<uws:parameters xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0">'
                + xml[start + len("<uws:parameters>") : end]
                + "</uws:parameters>"
            )
            return 200, {"Content-Type": "text/xml"}, doc.encode()
        return _html(404, "No such resource")

    def _store(self, request: requests.PreparedRequest) -> Reply:
        url = str(request.url)
        self.requests.append(Seen("GET", url, dict(request.headers), b""))
        for job in self.jobs.values():
            for result in job.results:
                if self.result_href(job, result) == url:
                    headers = {
                        "Content-Type": result.mime_type,
                        "Content-Length": str(len(result.content)),
                    }
                    return 200, headers, result.content
        return _html(404, "No such file")


def _see(location: str) -> Reply:
    return 303, {"Location": location, "Content-Type": "text/html"}, b""


def _html(status: int, message: str) -> Reply:
    page = f"<html><body><h1>Error {status}</h1><pre>{escape(message)}</pre></body></html>"
    return status, {"Content-Type": "text/html; charset=UTF-8"}, page.encode()


def _form(request: requests.PreparedRequest, body: bytes) -> Dict[str, str]:
    form, files = _multipart(request, body)
    form.update({k: v[1].decode() for k, v in files.items()})
    return form


def _multipart(
    request: requests.PreparedRequest, body: bytes
) -> Tuple[Dict[str, str], Dict[str, Tuple[str, bytes]]]:
    """(form values, file parts) of a urlencoded or multipart/form-data body."""
    ctype = request.headers.get("Content-Type", "")
    if not ctype.startswith("multipart/"):
        return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
    )
    form: Dict[str, str] = {}
    files: Dict[str, Tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, payload)
        else:
            form[name] = payload.decode()
    return form, files


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def uws() -> Iterator[FakeUWS]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeUWS(rsps)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No credentials or URL from the developer's environment; an empty HOME (no ~/.netrc)."""
    for name in ("UWS_URL", "UWS_TOKEN", "UWS_LOGIN", "EXPRES_TOKEN", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("UWS_URL", BASE)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("list", "--json")`` runs the command line in-process and captures its output."""

    def run(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def job_done(uws: FakeUWS) -> FakeJob:
    """A COMPLETED OPUS-like job with a CDF result (with SHA-1) and its log."""
    import hashlib

    cdf = b"CDF\x00" + bytes(range(256)) * 40
    return uws.add(
        FakeJob(
            job_id="2a3490",
            phase="COMPLETED",
            run_id="myrun",
            parameters={"branch": "master"},
            results=[
                FakeResult(
                    "expres_test_run_a.cdf",
                    cdf,
                    mime_type="application/x-cdf",
                    sha1=hashlib.sha1(cdf).hexdigest(),  # noqa: S324 (OPUS integrity hash)
                ),
                FakeResult("stdout", b"ExPRES run log\n", mime_type="text/plain", size=15),
            ],
        )
    )
