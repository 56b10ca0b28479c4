"""Fixtures for the uws_call_expres tests: a stateful fake OPUS service on ``responses``.

``FakeOpus`` answers like the real server (see /work/shared/reference/opus-server.md): creation
is a multipart POST answered 303 with an absolute Location; job documents are OPUS-flavoured
(UWS 1.0 namespace, no version, naive times, URL-encoded parameter values, nil elements);
``<job>/phase`` takes RUN/ABORT; results point at ``/store?ID=...`` and carry a SHA-1 ``hash``.
Each GET of a started job moves it one step along its ``script`` of phases.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import responses

DATA = Path(__file__).parent / "data"
CONFIG = "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json"
CONFIG_A = "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01a.json"
EPHEM = "wgc_StateVectorResults_juice.txt"
HOST = "https://voparis-uws-maser.obspm.fr"
TOKEN = "0b7e1c4a-5d2f-4e8b-9a61-3c2d1e0f9a87"  # a made-up 36-character OPUS-like token


@dataclass
class FakeResult:
    id: str
    content: bytes
    status: int = 200
    mime: str = "application/octet-stream"


@dataclass
class FakeJob:
    job_id: str
    job_list: str
    form: Dict[str, Tuple[Optional[str], bytes]]
    owner: str
    script: List[str]
    results: List[FakeResult]
    phase: str = "PENDING"
    error_summary: Optional[str] = None
    error_text: str = ""
    execution_duration: int = 0
    gets: int = 0

    @property
    def run_id(self) -> str:
        return self.form.get("runId", (None, b""))[1].decode()


@dataclass
class FakeOpus:
    """The fake service. Set ``script``/``results``/``error_*`` before the job is created
    (they are the defaults of the next jobs), or edit ``jobs[id]`` afterwards."""

    host: str = HOST
    script: List[str] = field(default_factory=lambda: ["QUEUED", "EXECUTING", "COMPLETED"])
    results: List[FakeResult] = field(
        default_factory=lambda: [
            FakeResult("expres_run.cdf", b"CDF\x00" + bytes(range(256)) * 8),
            FakeResult("stdout", b"ExPRES log\n", mime="text/plain"),
        ]
    )
    error_summary: Optional[str] = None
    error_text: str = ""
    create_status: int = 303
    create_failures: int = 0  # the next n creations fail with OPUS's 500 "Too many jobs"
    jobs: Dict[str, FakeJob] = field(default_factory=dict)
    store: Dict[str, FakeResult] = field(default_factory=dict)
    counter: int = 0
    job_get_urls: List[str] = field(default_factory=list)  # every GET of a job document

    # -- registration
    def install(self, rsps: responses.RequestsMock) -> None:
        base = re.escape(self.host)
        lst = r"/rest/(?P<list>[^/?]+)"
        job = lst + r"/(?P<job>[^/?]+)"
        rsps.add_callback("POST", re.compile(f"^{base}{lst}/?$"), self._create)
        rsps.add_callback("GET", re.compile(rf"^{base}{lst}/?(\?.*)?$"), self._list)
        rsps.add_callback("GET", re.compile(rf"^{base}{job}(\?.*)?$"), self._job)
        rsps.add_callback("DELETE", re.compile(f"^{base}{job}$"), self._delete)
        rsps.add_callback("POST", re.compile(f"^{base}{job}$"), self._post_job)
        rsps.add_callback("POST", re.compile(f"^{base}{job}/phase$"), self._phase)
        rsps.add_callback("GET", re.compile(f"^{base}{job}/phase$"), self._get_phase)
        rsps.add_callback("GET", re.compile(f"^{base}{job}/error$"), self._error)
        rsps.add_callback("GET", re.compile(f"^{base}{job}/results$"), self._results)
        rsps.add_callback("GET", re.compile(rf"^{base}/store\?ID=\w+$"), self._store)

    # -- helpers
    def _ids(self, request: object) -> Tuple[str, Optional[str]]:
        path = urlsplit(request.url).path  # type: ignore[attr-defined]
        parts = path.split("/")
        # ['', 'rest', list, job?, sub?]
        return parts[2], (parts[3] if len(parts) > 3 and parts[3] else None)

    def _owner(self, request: object) -> str:
        header = request.headers.get("Authorization")  # type: ignore[attr-defined]
        if not header:
            return "anonymous"
        import base64

        return base64.b64decode(header.split()[1]).decode().split(":", 1)[0]

    def job_url(self, job: FakeJob) -> str:
        return f"{self.host}/rest/{job.job_list}/{job.job_id}"

    # -- routes
    def _create(self, request: object) -> Tuple[int, Dict[str, str], str]:
        if self.create_failures > 0:
            self.create_failures -= 1
            return (500, {"Content-Type": "text/html"}, "<pre>Too many jobs</pre>")
        if self.create_status != 303:
            return (self.create_status, {"Content-Type": "text/html"}, "<pre>creation failed</pre>")
        job_list, _ = self._ids(request)
        form = parse_form(request)
        self.counter += 1
        job_id = f"{0xA00000 + self.counter:06x}"
        duration = form.get("executionDuration", (None, b"0"))[1]
        job = FakeJob(
            job_id,
            job_list,
            form,
            self._owner(request),
            list(self.script),
            list(self.results),
            error_summary=self.error_summary,
            error_text=self.error_text,
            execution_duration=int(duration or 0),
        )
        self.jobs[job_id] = job
        return (303, {"Location": self.job_url(job)}, "")

    def _list(self, request: object) -> Tuple[int, Dict[str, str], str]:
        owner = self._owner(request)
        refs = "".join(
            f'<uws:jobref id="{j.job_id}" xlink:href="{self.job_url(j)}">'
            f"<uws:phase>{j.phase}</uws:phase><uws:runId>{j.run_id}</uws:runId>"
            f"<uws:ownerId>{j.owner}</uws:ownerId>"
            f"<uws:creationTime>2026-11-24T22:39:0{i % 10}</uws:creationTime></uws:jobref>"
            for i, j in enumerate(self.jobs.values())
            if j.owner == owner
        )
        return (200, {"Content-Type": "text/xml"}, f"<uws:jobs {NS}>{refs}</uws:jobs>")

    def _job(self, request: object) -> Tuple[int, Dict[str, str], str]:
        _, job_id = self._ids(request)
        job = self.jobs.get(job_id or "")
        if job is None:
            return (404, {"Content-Type": "text/html"}, "<pre>Job not found</pre>")
        job.gets += 1
        self.job_get_urls.append(request.url)  # type: ignore[attr-defined]
        if job.script and job.script[0] == "503":  # a transient failure in the script
            job.script.pop(0)
            return (503, {"Content-Type": "text/html", "Retry-After": "0"}, "<pre>busy</pre>")
        if job.phase not in ("PENDING", "COMPLETED", "ERROR", "ABORTED") and job.script:
            job.phase = job.script.pop(0)
        return (200, {"Content-Type": "text/xml"}, self.document(job))

    def _get_phase(self, request: object) -> Tuple[int, Dict[str, str], str]:
        _, job_id = self._ids(request)
        job = self.jobs[job_id or ""]
        return (200, {"Content-Type": "text/plain"}, job.phase)

    def _phase(self, request: object) -> Tuple[int, Dict[str, str], str]:
        _, job_id = self._ids(request)
        job = self.jobs.get(job_id or "")
        if job is None:
            return (404, {"Content-Type": "text/html"}, "<pre>Job not found</pre>")
        value = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)  # type: ignore[attr-defined]
        phase = value.get("PHASE", [""])[0]
        if phase == "RUN" and job.phase == "PENDING":
            job.phase = job.script.pop(0) if job.script else "QUEUED"
        elif phase == "ABORT":
            job.phase = "ABORTED"
            job.script = []
        else:
            return (500, {"Content-Type": "text/html"}, "<pre>Wrong phase</pre>")
        return (303, {"Location": self.job_url(job)}, "")

    def _post_job(self, request: object) -> Tuple[int, Dict[str, str], str]:
        body = request.body  # type: ignore[attr-defined]
        text = body.decode() if isinstance(body, bytes) else (body or "")
        if "ACTION=DELETE" in text:
            return self._delete(request)
        return (500, {"Content-Type": "text/html"}, "<pre>Unsupported</pre>")

    def _delete(self, request: object) -> Tuple[int, Dict[str, str], str]:
        job_list, job_id = self._ids(request)
        if self.jobs.pop(job_id or "", None) is None:
            return (404, {"Content-Type": "text/html"}, "<pre>Job not found</pre>")
        return (303, {"Location": f"{self.host}/rest/{job_list}"}, "")

    def _error(self, request: object) -> Tuple[int, Dict[str, str], str]:
        _, job_id = self._ids(request)
        return (200, {"Content-Type": "text/plain"}, self.jobs[job_id or ""].error_text)

    def _results(self, request: object) -> Tuple[int, Dict[str, str], str]:
        _, job_id = self._ids(request)
        job = self.jobs[job_id or ""]
        return (
            200,
            {"Content-Type": "text/xml"},
            f"<uws:results {NS}>{self._result_xml(job)}</uws:results>",
        )

    def _store(self, request: object) -> Tuple[int, Dict[str, str], bytes]:
        key = parse_qs(urlsplit(request.url).query)["ID"][0]  # type: ignore[attr-defined]
        result = self.store.get(key)
        if result is None or result.status != 200:
            status = 404 if result is None else result.status
            return (status, {"Content-Type": "text/html"}, b"<pre>No such file</pre>")
        return (
            200,
            {"Content-Type": result.mime, "Content-Length": str(len(result.content))},
            result.content,
        )

    # -- documents
    def _result_xml(self, job: FakeJob) -> str:
        if job.phase not in ("COMPLETED", "ERROR", "ABORTED"):
            return ""
        items = []
        for result in job.results:
            key = hashlib.md5((job.job_id + result.id).encode()).hexdigest()[:6]  # noqa: S324
            self.store[key] = result
            sha1 = hashlib.sha1(result.content).hexdigest()  # noqa: S324
            items.append(
                f'<uws:result id="{escape(result.id)}" xlink:href="{self.host}/store?ID={key}" '
                f'mime-type="{result.mime}" name="{key}_{escape(result.id)}" hash="{sha1}"/>'
            )
        return "".join(items)

    def _value(self, name: str, filename: Optional[str], value: bytes) -> str:
        # OPUS stores uploads and writes the parameter as the URL-encoded store URL.
        if filename:
            return quote_plus(f"{self.host}/store?ID=in{name}")
        return escape(value.decode())

    def document(self, job: FakeJob) -> str:
        params = "".join(
            f'<uws:parameter id="{name}" byReference="{1 if filename else 0}">'
            f"{self._value(name, filename, value)}</uws:parameter>"
            for name, (filename, value) in job.form.items()
        )
        summary = (
            f"<uws:errorSummary>{escape(job.error_summary)}</uws:errorSummary>"
            if job.error_summary
            else '<uws:errorSummary xsi:nil="true"/>'
        )
        return (
            f"<uws:job {NS}><uws:jobId>{job.job_id}</uws:jobId>"
            f"<uws:runId>{escape(job.run_id)}</uws:runId><uws:ownerId>{job.owner}</uws:ownerId>"
            f'<uws:phase>{job.phase}</uws:phase><uws:quote xsi:nil="true"/>'
            "<uws:creationTime>2026-11-24T22:39:01</uws:creationTime>"
            '<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/>'
            f"<uws:executionDuration>{job.execution_duration}</uws:executionDuration>"
            "<uws:destruction>2026-12-24T22:39:01</uws:destruction>"
            f"<uws:parameters>{params}</uws:parameters>"
            f"<uws:results>{self._result_xml(job)}</uws:results>{summary}"
            "<uws:jobInfo/></uws:job>"
        )

    # -- what the client sent
    def creations(self, rsps: responses.RequestsMock) -> List[object]:
        return [
            c.request for c in rsps.calls if c.request.method == "POST" and _is_list(c.request.url)
        ]


NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _is_list(url: str) -> bool:
    return len([p for p in urlsplit(url).path.split("/") if p]) == 2


def parse_form(request: object) -> Dict[str, Tuple[Optional[str], bytes]]:
    """A multipart/form-data (or urlencoded) body as {name: (filename or None, bytes)}."""
    content_type = request.headers.get("Content-Type", "")  # type: ignore[attr-defined]
    body = request.body  # type: ignore[attr-defined]
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    if not content_type.startswith("multipart/"):
        return {k: (None, v[0].encode()) for k, v in parse_qs((body or b"").decode()).items()}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: Dict[str, Tuple[Optional[str], bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        form[str(name)] = (
            None if filename is None else str(filename),
            part.get_payload(decode=True) or b"",
        )
    return form


@pytest.fixture(autouse=True)
def _isolated_credentials(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees the machine's token or ~/.netrc."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.delenv("EXPRES_TOKEN", raising=False)
    monkeypatch.delenv("UWS_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))


@pytest.fixture(autouse=True)
def _quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake service lists every result with the terminal phase: re-read a finished job
    once, at once, instead of for 0.5 s (uws_call_expres.settle; its own tests set theirs)."""
    from uws_call_expres.settle import Settle

    monkeypatch.setattr("uws_call_expres.settle.SETTLE", Settle(interval=0.0, quiet=0.0))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory holding example.json (the recipe's default FILE) and the data files."""
    for name in (CONFIG, CONFIG_A, EPHEM):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copy(DATA / CONFIG, tmp_path / "example.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def opus(rsps: responses.RequestsMock) -> FakeOpus:
    fake = FakeOpus()
    fake.install(rsps)
    return fake


@pytest.fixture
def kit() -> SimpleNamespace:
    """The constants and helpers of this conftest (test files cannot import it)."""
    return SimpleNamespace(
        DATA=DATA,
        CONFIG=CONFIG,
        CONFIG_A=CONFIG_A,
        EPHEM=EPHEM,
        HOST=HOST,
        TOKEN=TOKEN,
        FakeResult=FakeResult,
        parse_form=parse_form,
    )
