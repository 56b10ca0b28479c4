"""Shared fixtures for the client, transport and wait tests (all offline, with ``responses``).

The XML documents are re-typed from ../shared/reference/opus-server.md ("Documents"): the
OPUS namespace, no ``version`` attribute, naive times, URL-encoded parameter values,
``byReference="0|1"``, results with ``name``/``hash`` and no ``size``, ``xsi:nil``.
The DaCHS VOTable error is re-typed from ../shared/real-servers/dachs/README.md.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

import pytest
import responses

from uws_lite import Client

BASE = "https://uws.example.org/rest/ExPRES"

_NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)

_RESULTS = (
    '<uws:result id="expres_test_run_a.cdf" xlink:href="http://127.0.0.1:8082/store?ID=6b2aa7" '
    'mime-type="application/x-cdf" name="6b2aa7_expres_test_run_a.cdf" '
    'hash="dc1bd941226c351a86bd689530860b0167370331"/>'
    '<uws:result id="stdout" xlink:href="http://127.0.0.1:8082//rest/ExPRES/{id}/stdout" '
    'mime-type="text/plain" name="" hash=""/>'
)


def opus_job(job_id: str = "2a3490", phase: str = "EXECUTING", results: bool = False) -> bytes:
    """An OPUS job document in ``phase``."""
    res = _RESULTS.format(id=job_id) if results else ""
    return (
        f"<uws:job {_NS}><uws:jobId>{job_id}</uws:jobId><uws:runId>myrun</uws:runId>"
        f"<uws:ownerId>anonymous</uws:ownerId><uws:phase>{phase}</uws:phase>"
        "<uws:creationTime>2026-11-24T22:39:01</uws:creationTime>"
        '<uws:startTime xsi:nil="true"/><uws:endTime xsi:nil="true"/>'
        "<uws:quote>120</uws:quote><uws:executionDuration>60</uws:executionDuration>"
        "<uws:destruction>2026-12-24T22:39:01</uws:destruction>"
        '<uws:parameters><uws:parameter id="branch" byReference="0">master</uws:parameter>'
        '<uws:parameter id="comment" byReference="0">Io+%2B+Jupiter%2C+100%25</uws:parameter>'
        f"</uws:parameters><uws:results>{res}</uws:results>"
        '<uws:errorSummary xsi:nil="true"/>'
        "<uws:jobInfo><process_id>10536</process_id></uws:jobInfo></uws:job>"
    ).encode()


OPUS_JOB_LIST = (
    f"<uws:jobs {_NS}>"
    '<uws:jobref id="1b2c3d" xlink:href="http://127.0.0.1:8082/rest/ExPRES/1b2c3d">'
    "<uws:phase>COMPLETED</uws:phase><uws:runId>oldest</uws:runId>"
    "<uws:ownerId>anonymous</uws:ownerId>"
    "<uws:creationTime>2026-11-20T09:00:00</uws:creationTime></uws:jobref>"
    '<uws:jobref id="5f1c0e" xlink:href="http://127.0.0.1:8082/rest/ExPRES/5f1c0e">'
    '<uws:phase>PENDING</uws:phase><uws:runId xsi:nil="true"/>'
    "<uws:ownerId>anonymous</uws:ownerId>"
    "<uws:creationTime>2026-11-24T22:41:10</uws:creationTime></uws:jobref></uws:jobs>"
).encode()

OPUS_PARAMETERS = (
    f"<uws:parameters {_NS}>"
    '<uws:parameter id="branch" byReference="0">master</uws:parameter>'
    '<uws:parameter id="config" byReference="1">'
    "http%3A%2F%2F127.0.0.1%3A8082%2Fstore%3FID%3Dc241d7</uws:parameter></uws:parameters>"
).encode()

OPUS_RESULTS = f"<uws:results {_NS}>{_RESULTS.format(id='2a3490')}</uws:results>".encode()

# OPUS (bottle) error page: the message is in <pre>.
OPUS_HTML_500 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head>'
    b"<title>Error: 500 Internal Server Error</title></head><body>"
    b"<h1>Error: 500 Internal Server Error</h1><p>Sorry, the requested URL caused an error:</p>"
    b"<pre>Job is not PENDING, cannot start it</pre></body></html>"
)
OPUS_HTML_404 = (
    b"<!DOCTYPE HTML><html><head><title>Error: 404 Not Found</title></head><body>"
    b"<h1>Error: 404 Not Found</h1><pre>Job 2a3490 not found</pre></body></html>"
)

# DaCHS: validation errors as a VOTable with QUERY_STATUS=ERROR, often with HTTP 200.
DACHS_VOTABLE_ERROR = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
    b'<RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">'
    b"Field sleep: 'abc' is not a valid literal for sleep</INFO></RESOURCE></VOTABLE>"
)

XML = "text/xml; charset=UTF-8"


@pytest.fixture
def base() -> str:
    return BASE


@pytest.fixture
def job_xml() -> Callable[..., bytes]:
    return opus_job


@pytest.fixture
def docs() -> dict[str, bytes]:
    return {
        "job_list": OPUS_JOB_LIST,
        "parameters": OPUS_PARAMETERS,
        "results": OPUS_RESULTS,
        "html_500": OPUS_HTML_500,
        "html_404": OPUS_HTML_404,
        "votable_error": DACHS_VOTABLE_ERROR,
    }


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """``responses`` with nothing passing through; every registered answer is optional."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    """Build clients on BASE (closed at the end); keyword arguments go to Client."""
    made: list[Client] = []

    def make(url: Optional[str] = None, **kwargs: object) -> Client:
        client = Client(url or BASE, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


class FakeClock:
    """A clock that only moves when told (sleep or an explicit advance)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
