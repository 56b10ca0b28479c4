"""uws_lite.Client against a real GAVO DaCHS 2.7 server (started by conftest.py).

The echo service (q.rd) takes ``message``, ``sleep`` (s), ``fail`` (non-empty: the job ends
in ERROR) and ``infile`` (a DALI upload, echoed back as result ``copy``). Jobs sleep at most
a few seconds, so a run stays well under a minute. DaCHS's wire behaviour that these tests
rely on is recorded in README.md; real documents are in data/.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from lxml import etree

from uws_lite import (
    AuthenticationError,
    Client,
    HTTPStatusError,
    InvalidRequest,
    Job,
    JobNotFound,
    JobNotStarted,
    NotFound,
    ParseError,
    Phase,
    ServiceErrorDocument,
    UWSError,
)
from uws_lite.client import FilePart, FormValue
from uws_lite.documents import parse_job_list
from uws_lite.wait import WaitPolicy

if TYPE_CHECKING:  # test modules cannot import each other (--import-mode=importlib)
    from conftest import DachsServer

pytestmark = pytest.mark.dachs

WAIT_TIMEOUT = 30.0  # seconds; every echo job here takes at most ~3 s
TAP_QUERY = "SELECT TOP 1 table_name FROM tap_schema.tables"
ALICE = ("alice", "s3cret")  # users created by setup-dachs.sh; alice is in group uwsusers
BOB = ("bob", "hunter2")


class _TrackingClient(Client):
    """A Client that remembers the jobs it created, so that the test can delete them."""

    def __init__(self, url: str, auth: Optional[Tuple[str, str]] = None) -> None:
        super().__init__(url, auth=auth)
        self.created: List[str] = []

    def new_job(
        self,
        parameters: Optional[Mapping[str, FormValue]] = None,
        *,
        files: Optional[Mapping[str, FilePart]] = None,
        run: bool = False,
    ) -> Job:
        job = super().new_job(parameters, files=files, run=run)
        self.created.append(job.job_id)
        return job


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(dachs_server: DachsServer) -> Iterator[MakeClient]:
    """Clients for the test; afterwards the jobs they created are deleted (best effort:
    jobs stay in DaCHS's database for days otherwise) and the clients closed."""
    clients: List[_TrackingClient] = []

    def make(url: str, auth: Optional[Tuple[str, str]] = None) -> Client:
        client = _TrackingClient(url, auth)
        clients.append(client)
        return client

    yield make
    for client in clients:
        for job_id in client.created:
            with contextlib.suppress(UWSError):
                client.delete_job(job_id)
        client.close()


@pytest.fixture
def echo(dachs_server: DachsServer, make_client: MakeClient) -> Client:
    return make_client(dachs_server.echo_url)


@pytest.fixture
def alice(dachs_server: DachsServer, make_client: MakeClient) -> Client:
    return make_client(dachs_server.echoauth_url, ALICE)


def _finished(client: Client, job_id: str) -> Job:
    job = client.wait(job_id, timeout=WAIT_TIMEOUT)
    assert job.phase.is_terminal
    return job


def _result_ids(job: Job) -> List[str]:
    return [r.id for r in job.results]


# --- creation, phase, WAIT -----------------------------------------------------------


def test_create_urlencoded_gives_a_pending_job_at_the_303_location(
    echo: Client, dachs_server: DachsServer
) -> None:
    job = echo.new_job({"message": "hi there", "sleep": 0})
    assert job.phase is Phase.PENDING
    assert job.version == "1.1"
    assert job.url == f"{dachs_server.echo_url}/{job.job_id}"
    assert echo.job_url(job.job_id) == job.url
    assert job.parameter("message") == "hi there"
    assert job.owner_id is None  # xsi:nil for an anonymous job
    assert job.creation_time is not None
    assert job.creation_time.tzinfo is not None
    assert job.start_time is None
    assert job.end_time is None
    assert echo.get_phase(job.job_id) is Phase.PENDING


def test_phase_run_in_the_creation_form_is_ignored_so_run_true_posts_to_phase(
    echo: Client,
) -> None:
    # DaCHS quirk: PHASE=RUN among the creation parameters does not start the job.
    ignored = echo.new_job({"message": "x", "PHASE": "RUN"})
    assert echo.get_phase(ignored.job_id) is Phase.PENDING
    started = echo.new_job({"message": "x"}, run=True)
    assert started.phase is not Phase.PENDING
    assert _finished(echo, started.job_id).phase is Phase.COMPLETED


def test_run_wait_and_download_the_results(echo: Client, tmp_path: Path) -> None:
    job = echo.new_job({"message": "héllo wörld", "sleep": 0.5}, run=True)
    seen: List[Phase] = []
    done = echo.wait(job.job_id, timeout=WAIT_TIMEOUT, on_change=lambda j: seen.append(j.phase))
    assert done.phase is Phase.COMPLETED
    assert seen[-1] is Phase.COMPLETED
    assert done.start_time is not None
    assert sorted(_result_ids(done)) == ["echo.txt", "meta.json"]
    assert echo.get_results(job.job_id) == done.results

    result = done.result("echo.txt")
    assert result is not None
    assert result.href is not None
    assert result.href.startswith(f"{echo.url}/{job.job_id}/results/")
    progress: List[Tuple[int, Optional[int]]] = []
    path = echo.download(
        result, tmp_path / "echo.txt", progress=lambda d, t: progress.append((d, t))
    )
    expected = "echo: héllo wörld\n".encode()
    assert path.read_bytes() == expected
    assert progress[-1][0] == len(expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["echo.txt"]  # no .part left


def test_get_job_with_wait_blocks_until_the_phase_changes(echo: Client) -> None:
    job = echo.new_job({"sleep": 1})
    # PENDING is an active phase: WAIT=1&PHASE=PENDING is held and answers still PENDING.
    assert echo.get_job(job.job_id, wait=1, phase=Phase.PENDING).phase is Phase.PENDING
    echo.run_job(job.job_id)
    phases = []
    for _ in range(5):
        current = echo.get_job(job.job_id, wait=10)
        phases.append(current.phase)
        if current.phase.is_terminal:
            break
    # Five immediate answers could not span a one-second job: DaCHS held the requests.
    assert phases[-1] is Phase.COMPLETED, phases


def test_wait_on_a_job_never_started_raises_job_not_started(echo: Client) -> None:
    job = echo.new_job({"message": "never run"})
    policy = WaitPolicy(max_wait=1, pending_grace=1.0)
    with pytest.raises(JobNotStarted) as caught:
        echo.wait(job.job_id, timeout=WAIT_TIMEOUT, policy=policy)
    assert caught.value.job.phase is Phase.PENDING


# --- job list filters ----------------------------------------------------------------


def test_job_list_filters_phase_after_last(echo: Client) -> None:
    done = echo.new_job({"message": "list-completed"}, run=True)
    _finished(echo, done.job_id)
    pending = echo.new_job({"message": "list-pending"})
    assert done.creation_time is not None
    after = done.creation_time - timedelta(seconds=1)

    completed = [r.job_id for r in echo.get_job_list(phases=[Phase.COMPLETED], after=after)]
    assert done.job_id in completed
    assert pending.job_id not in completed
    pendings = [r.job_id for r in echo.get_job_list(phases=["pending"], after=after)]
    assert pending.job_id in pendings
    assert done.job_id not in pendings

    # DaCHS only takes AFTER in UTC ("+02:00" is a 400): the client converts aware times.
    local = after.astimezone(timezone(timedelta(hours=2)))
    both = {r.job_id for r in echo.get_job_list(after=local)}
    assert {done.job_id, pending.job_id} <= both
    assert len(echo.get_job_list(after=datetime.now(timezone.utc) + timedelta(hours=1))) == 0

    # LAST=n: the n most recently created jobs, newest first.
    assert [r.job_id for r in echo.get_job_list(last=1)] == [pending.job_id]
    refs = echo.get_job_list(last=2)
    assert [r.job_id for r in refs] == [pending.job_id, done.job_id]
    assert [r.phase for r in refs] == [Phase.PENDING, Phase.COMPLETED]


def test_several_phase_filters_dachs_uses_only_the_last(
    echo: Client, dachs_server: DachsServer
) -> None:
    # DaCHS quirk (UWS 1.1 §2.2.1.1 says OR): ?PHASE=COMPLETED&PHASE=ERROR lists only the
    # ERROR jobs. Pinned here so that a DaCHS upgrade that fixes it is noticed.
    done = echo.new_job({"message": "or-completed"}, run=True)
    failed = echo.new_job({"fail": "or-error"}, run=True)
    for job in (done, failed):
        _finished(echo, job.job_id)
    assert done.creation_time is not None
    after = (done.creation_time - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {"AFTER": after, "PHASE": ["COMPLETED", "ERROR"]}
    body = requests.get(dachs_server.echo_url, params=query, timeout=10).content
    listed = [r.job_id for r in parse_job_list(body)]
    assert failed.job_id in listed
    assert done.job_id not in listed


def test_job_list_bad_filters_are_refused_locally(echo: Client) -> None:
    # DaCHS answers a bad PHASE with 400 + VOTable; the client refuses before sending.
    with pytest.raises(InvalidRequest):
        echo.get_job_list(phases=["BOGUS"])
    with pytest.raises(InvalidRequest):
        echo.get_job_list(last=0)


# --- uploads (DALI) --------------------------------------------------------------------


def test_dali_upload_is_echoed_back_as_a_result(echo: Client, tmp_path: Path) -> None:
    source = tmp_path / "input.bin"
    content = b"line 1\n\x00\xff binary \r\n" * 100
    source.write_bytes(content)
    job = echo.new_job(
        {"UPLOAD": "infile,param:upl", "message": "upload"}, files={"upl": source}, run=True
    )
    infile = [p for p in job.parameters if p.id == "infile"]
    assert len(infile) == 1
    assert infile[0].by_reference
    assert infile[0].value == f"{job.url}/results/infile"
    done = _finished(echo, job.job_id)
    assert done.phase is Phase.COMPLETED
    copy = done.result("copy")
    assert copy is not None
    assert echo.download(copy, tmp_path / "copy.bin").read_bytes() == content


def test_dali_upload_from_bytes_and_a_path_value(echo: Client, tmp_path: Path) -> None:
    job = echo.new_job(
        {"UPLOAD": "infile,param:part"}, files={"part": ("name.txt", b"in memory\n")}, run=True
    )
    done = _finished(echo, job.job_id)
    copy = done.result("copy")
    assert copy is not None
    assert echo.download(copy, tmp_path / "a").read_bytes() == b"in memory\n"


def test_a_file_part_named_after_the_parameter_is_refused_with_the_server_message(
    echo: Client, tmp_path: Path
) -> None:
    # Without the DALI UPLOAD indirection DaCHS tries to store the file as a plain value,
    # which fails for bytes that are not UTF-8.
    source = tmp_path / "x.bin"
    source.write_bytes(b"\xff\xfe binary")
    with pytest.raises(HTTPStatusError) as caught:
        echo.new_job(files={"infile": source})
    assert caught.value.status == 400
    assert caught.value.server_message
    assert "BinaryItems" in caught.value.server_message


def test_inlined_control_characters_give_a_parse_error_naming_the_job(
    echo: Client, tmp_path: Path
) -> None:
    # DaCHS quirk: a NUL inlined into a parameter is written as "&x00;" (and other control
    # characters raw), so the job document is not well-formed XML (data/README.md).
    source = tmp_path / "ctl.bin"
    source.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ParseError) as caught:
        echo.new_job(files={"infile": source})
    assert caught.value.url.startswith(f"{echo.url}/")  # the created job's URL
    echo.delete_job(caught.value.url.rsplit("/", 1)[1])


# --- Range resume of a download through a connection-cutting proxy ----------------------


class _CuttingProxy:
    """Loopback proxy to DaCHS that cuts the first response after ``cut`` body bytes and
    passes later requests through, recording each request head and response status line."""

    def __init__(self, upstream: Tuple[str, int], cut: int) -> None:
        self.upstream = upstream
        self.cut = cut
        self.heads: List[str] = []
        self.statuses: List[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(65536)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        kept = [h for h in lines if not h.lower().startswith(b"connection:")]
        request = b"\r\n".join([*kept, b"Connection: close", b"", b""])
        self.heads.append(request.decode("latin-1"))
        first = len(self.heads) == 1
        with socket.create_connection(self.upstream) as up:
            up.sendall(request)
            received = b""
            limit: Optional[int] = None
            while True:
                data = up.recv(65536)
                if not data:
                    break
                received += data
                if limit is None and b"\r\n\r\n" in received:
                    self.statuses.append(received.split(b"\r\n", 1)[0].decode("latin-1"))
                    if first:
                        limit = received.index(b"\r\n\r\n") + 4 + self.cut
                if limit is not None and len(received) >= limit:
                    conn.sendall(received[:limit])
                    return  # closing the connection mid-body
            conn.sendall(received)


def test_download_resumes_with_range_after_a_broken_connection(
    echo: Client, dachs_server: DachsServer, tmp_path: Path
) -> None:
    content = os.urandom(3 * 1024 * 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(content)
    job = echo.new_job({"UPLOAD": "infile,param:upl"}, files={"upl": source}, run=True)
    copy = _finished(echo, job.job_id).result("copy")
    assert copy is not None
    assert copy.href is not None
    parts = urlsplit(dachs_server.base_url)
    proxy = _CuttingProxy((parts.hostname or "127.0.0.1", parts.port or 80), cut=100_000)
    try:
        href = urlsplit(copy.href)
        via_proxy = urlunsplit(href._replace(netloc=f"127.0.0.1:{proxy.port}"))
        path = echo.download(via_proxy, tmp_path / "copy.bin")
    finally:
        proxy.close()
    assert path.read_bytes() == content
    assert len(proxy.heads) == 2, proxy.statuses
    assert "range: bytes=100000-" in proxy.heads[1].lower()
    assert proxy.statuses[1].split()[1] == "206"  # DaCHS honoured the Range


# --- errors ----------------------------------------------------------------------------


def test_error_job_and_its_votable_error_document(echo: Client) -> None:
    job = echo.new_job({"fail": "deliberate failure 42"}, run=True)
    done = _finished(echo, job.job_id)  # ERROR is returned, not raised
    assert done.phase is Phase.ERROR
    assert done.error_summary is not None
    assert done.error_summary.type == "fatal"
    assert "deliberate failure 42" in done.error_summary.message
    assert done.results == ()
    # <job>/error is a VOTable with QUERY_STATUS=ERROR served with HTTP 200: here it is the
    # answer asked for, not an error document to raise.
    assert "deliberate failure 42" in echo.get_error(job.job_id)


def test_get_error_of_a_job_without_error_is_empty(echo: Client) -> None:
    job = echo.new_job({"message": "fine"})
    assert echo.get_error(job.job_id) == ""


def test_bad_value_at_creation_is_a_400_with_the_votable_message(echo: Client) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        echo.new_job({"sleep": "not a number"})
    assert caught.value.status == 400
    assert caught.value.server_message is not None
    assert "not a valid literal for sleep" in caught.value.server_message


def test_unknown_job_is_job_not_found_with_the_votable_message(echo: Client) -> None:
    with pytest.raises(JobNotFound) as caught:
        echo.get_job("nosuchjob")
    assert caught.value.status == 404
    assert caught.value.server_message is not None
    assert "could not be located" in caught.value.server_message


# --- abort, delete ------------------------------------------------------------------------


def test_abort_a_pending_job(echo: Client) -> None:
    job = echo.new_job({"message": "to abort"})
    assert echo.abort_job(job.job_id).phase is Phase.ABORTED
    assert echo.get_phase(job.job_id) is Phase.ABORTED


def test_abort_a_running_job_ends_it(echo: Client) -> None:
    job = echo.new_job({"sleep": 3}, run=True)
    echo.get_job(job.job_id, wait=5, phase=Phase.QUEUED)  # until it leaves QUEUED
    echo.abort_job(job.job_id)
    done = _finished(echo, job.job_id)
    # DaCHS quirk: aborting a running user-UWS job ends in ERROR ("Job hung in EXECUTING")
    # rather than ABORTED; either way it did not complete.
    assert done.phase in (Phase.ABORTED, Phase.ERROR)


def test_delete_then_the_job_is_gone(echo: Client) -> None:
    job = echo.new_job({"message": "to delete"})
    echo.delete_job(job.job_id)
    with pytest.raises(JobNotFound):
        echo.get_job(job.job_id)
    with pytest.raises(JobNotFound):
        echo.delete_job(job.job_id)
    assert job.job_id not in [r.job_id for r in echo.get_job_list()]


# --- parameters, execution duration, destruction, owner, quote ------------------------------


def test_set_parameters_on_a_pending_job_changes_what_it_runs_with(
    echo: Client, tmp_path: Path
) -> None:
    job = echo.new_job({"message": "before"})
    echo.set_parameters(job.job_id, {"message": "after"})
    assert echo.get_job(job.job_id).parameter("message") == "after"
    assert {p.id: p.value for p in echo.get_parameters(job.job_id)}["message"] == "after"
    echo.run_job(job.job_id)
    result = _finished(echo, job.job_id).result("echo.txt")
    assert result is not None
    assert echo.download(result, tmp_path / "e.txt").read_bytes() == b"echo: after\n"


def test_get_parameter_reads_one_value(echo: Client) -> None:
    # DaCHS has no <job>/parameters/<name> resource (HTTP 200 + VOTable "Too many segments").
    job = echo.new_job({"message": "single"})
    assert echo.get_parameter(job.job_id, "message") == "single"
    assert echo.get_parameter(job.job_id, "fail") == ""
    with pytest.raises(NotFound):
        echo.get_parameter(job.job_id, "no_such_parameter")


def test_rejected_parameter_update_raises_service_error_document(echo: Client) -> None:
    # DaCHS answers HTTP 200 with a VOTable error: a silent None would lose the update.
    job = echo.new_job({"message": "x"})
    with pytest.raises(ServiceErrorDocument) as caught:
        echo.set_parameters(job.job_id, {"sleep": "abc"})
    assert "not a valid literal for sleep" in str(caught.value)
    done = echo.new_job({"message": "x"}, run=True)
    _finished(echo, done.job_id)
    with pytest.raises(ServiceErrorDocument) as caught:
        echo.set_parameters(done.job_id, {"message": "too late"})
    assert "cannot be changed" in str(caught.value)


def test_opus_style_single_parameter_update_is_refused_by_dachs(echo: Client) -> None:
    # POST VALUE=... to <job>/parameters/<name> (OPUS's way): DaCHS answers HTTP 200 with
    # a VOTable error ("Too many segments"), which must not pass for success.
    job = echo.new_job({"message": "x"})
    with pytest.raises(ServiceErrorDocument):
        echo.set_parameter(job.job_id, "message", "y")
    assert echo.get_job(job.job_id).parameter("message") == "x"


def test_execution_duration_and_destruction(echo: Client) -> None:
    job = echo.new_job({"message": "times"})
    assert job.execution_duration == 3600  # DaCHS's default
    echo.set_execution_duration(job.job_id, 60)
    assert echo.get_execution_duration(job.job_id) == 60
    when = datetime(2031, 5, 6, 9, 10, 11, tzinfo=timezone(timedelta(hours=2)))
    echo.set_destruction(job.job_id, when)
    assert echo.get_destruction(job.job_id) == when  # same instant, written in UTC
    refreshed = echo.get_job(job.job_id)
    assert refreshed.execution_duration == 60
    assert refreshed.destruction == when
    with pytest.raises(InvalidRequest):
        echo.set_execution_duration(job.job_id, -1)


def test_rejected_destruction_and_duration_raise(echo: Client) -> None:
    # Values the client passes on but DaCHS cannot take come back as HTTP 200 + VOTable
    # error ("Invalid DESTRUCTION value", "integer out of range"), not as 4xx.
    job = echo.new_job({"message": "x"})
    # DaCHS refuses offsets other than Z: the client converts such strings to UTC first.
    echo.set_destruction(job.job_id, "2031-05-06T09:10:11+01:00")
    assert echo.get_destruction(job.job_id) == datetime(2031, 5, 6, 8, 10, 11, tzinfo=timezone.utc)
    with pytest.raises(ServiceErrorDocument):
        echo.set_execution_duration(job.job_id, 10**20)
    assert echo.get_execution_duration(job.job_id) == 3600


def test_owner_and_quote(alice: Client, echo: Client) -> None:
    job = alice.new_job({"message": "mine"})
    assert job.owner_id == "alice"
    assert alice.get_owner(job.job_id) == "alice"
    assert alice.get_quote(job.job_id) is None  # user UWS gives no quote
    assert echo.new_job({"message": "x"}).quote is None


# --- authentication ------------------------------------------------------------------------


def test_alice_runs_a_job_on_the_protected_service(alice: Client, tmp_path: Path) -> None:
    job = alice.new_job({"message": "protected"}, run=True)
    done = _finished(alice, job.job_id)
    assert done.phase is Phase.COMPLETED
    result = done.result("echo.txt")
    assert result is not None
    assert alice.download(result, tmp_path / "e").read_bytes() == b"echo: protected\n"
    assert job.job_id in [r.job_id for r in alice.get_job_list()]


@pytest.mark.parametrize(
    "auth", [BOB, None, ("alice", "wrong password")], ids=["bob", "guest", "bad-password"]
)
def test_others_get_authentication_error_on_the_protected_service(
    alice: Client,
    dachs_server: DachsServer,
    make_client: MakeClient,
    auth: Optional[Tuple[str, str]],
) -> None:
    job = alice.new_job({"message": "private"})
    other = make_client(dachs_server.echoauth_url, auth)
    with pytest.raises(AuthenticationError) as listing:
        other.get_job_list()
    with pytest.raises(AuthenticationError) as reading:
        other.get_job(job.job_id)
    with pytest.raises(AuthenticationError):
        other.new_job({"message": "intruder"})
    assert listing.value.status == 401
    assert reading.value.status == 401
    for error in (listing.value, reading.value):
        assert "s3cret" not in str(error)
        assert "hunter2" not in str(error)


def test_alices_job_on_the_open_service_is_invisible_to_bob(
    dachs_server: DachsServer, make_client: MakeClient
) -> None:
    alice = make_client(dachs_server.echo_url, ALICE)
    bob = make_client(dachs_server.echo_url, BOB)
    job = alice.new_job({"message": "alice only"})
    assert alice.get_owner(job.job_id) == "alice"
    assert job.job_id in [r.job_id for r in alice.get_job_list()]
    assert job.job_id not in [r.job_id for r in bob.get_job_list()]
    with pytest.raises(AuthenticationError):
        bob.get_job(job.job_id)
    with pytest.raises(AuthenticationError):
        bob.delete_job(job.job_id)
    assert alice.get_phase(job.job_id) is Phase.PENDING
    assert "s3cret" not in repr(alice)


# --- async TAP -------------------------------------------------------------------------------


def _tap_query(client: Client, query: str) -> Job:
    return client.new_job({"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}, run=True)


def test_async_tap_end_to_end(
    dachs_server: DachsServer, make_client: MakeClient, tmp_path: Path
) -> None:
    tap = make_client(dachs_server.tap_url)
    job = _tap_query(tap, TAP_QUERY)
    # DaCHS TAP jobs live under another path than the job list: the 303 says where.
    assert tap.job_url(job.job_id) == job.url
    assert job.url is not None
    assert job.url.startswith(f"{dachs_server.base_url}/__system__/tap/run/async/")
    assert job.parameter("query") == TAP_QUERY  # DaCHS lower-cases TAP parameter names
    assert tap.get_parameter(job.job_id, "QUERY") == TAP_QUERY
    assert job.quote is not None  # TAP gives an estimate, unlike user UWS
    done = _finished(tap, job.job_id)
    assert done.phase is Phase.COMPLETED
    result = done.result("result")
    assert result is not None
    path = tap.download(result, tmp_path / "result.vot")
    root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))
    assert etree.QName(root).localname == "VOTABLE"
    status = [i.get("value") for i in root.iter("{*}INFO") if i.get("name") == "QUERY_STATUS"]
    assert status == ["OK"]
    assert [f.get("name") for f in root.iter("{*}FIELD")] == ["table_name"]
    # DaCHS's default serialisation is BINARY: one row = 4-byte length + the name.
    stream = root.find(".//{*}STREAM")
    assert stream is not None
    assert stream.text is not None
    row = base64.b64decode(stream.text)
    assert row[4:].startswith(b"tap_schema.")
    assert int.from_bytes(row[:4], "big") == len(row) - 4


def test_async_tap_job_found_by_a_client_that_did_not_create_it(
    dachs_server: DachsServer, make_client: MakeClient
) -> None:
    creator = make_client(dachs_server.tap_url)
    job = creator.new_job({"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": TAP_QUERY})
    # A new client builds <list>/<id>; DaCHS serves TAP jobs there too.
    other = make_client(dachs_server.tap_url)
    assert other.get_job(job.job_id).phase is Phase.PENDING
    assert job.job_id in [r.job_id for r in other.get_job_list(phases=["PENDING"])]
    other.delete_job(job.job_id)
    with pytest.raises(JobNotFound):
        other.get_job(job.job_id)


def test_async_tap_bad_query_ends_in_error_with_the_parser_message(
    dachs_server: DachsServer, make_client: MakeClient
) -> None:
    tap = make_client(dachs_server.tap_url)
    job = _tap_query(tap, "SELECT FROM nowhere")
    done = _finished(tap, job.job_id)
    assert done.phase is Phase.ERROR
    assert "Could not parse your query" in tap.get_error(job.job_id)
