"""The one redaction (uws_lite.errors.redact, secret_forms) on every server text the client
hands back or raises (issue 11, point 6), with ``responses``: job documents, parameter lists,
job lists, unparsable documents, text resources, download errors."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Callable, List
from urllib.parse import quote, quote_plus

import pytest
import responses

from uws_lite import Client
from uws_lite.errors import DownloadError, ParseError, redact, secret_forms

from .conftest import BASE, OPUS_JOB_LIST, OPUS_PARAMETERS, XML, opus_job

Rsps = responses.RequestsMock
USER = "alice"
TOKEN = "t0k/en+with=chars"
BASIC = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
FORMS = [TOKEN, quote(TOKEN, safe=""), quote_plus(TOKEN), BASIC]
ECHO = f"echo {TOKEN} {quote(TOKEN, safe='')} {quote_plus(TOKEN)} Basic {BASIC}"
JOB = BASE + "/2a3490"


def _clean(*texts: object) -> List[str]:
    return [form for form in FORMS for text in texts if form in str(text)]


def test_secret_forms_and_redact() -> None:
    forms = secret_forms(TOKEN, USER)
    assert set(FORMS) <= set(forms)
    assert BASIC.rstrip("=") in forms
    assert redact(ECHO, forms) == "echo *** *** *** Basic ***"
    assert redact("short ab", ("ab",)) == "short ab"  # too short to be a secret
    assert secret_forms("abc") == ()


def test_job_document_texts_are_scrubbed(rsps: Rsps, make_client: Callable[..., Client]) -> None:
    body = (
        opus_job(phase="ERROR")
        .replace(
            b'<uws:errorSummary xsi:nil="true"/>',
            f"<uws:errorSummary><uws:message>{ECHO}</uws:message></uws:errorSummary>".encode(),
        )
        .replace(b"<uws:runId>myrun</uws:runId>", f"<uws:runId>{TOKEN}</uws:runId>".encode())
        .replace(b">master<", f">{quote(TOKEN, safe='')}<".encode())
    )
    rsps.get(JOB, body=body, content_type=XML)
    job = make_client(auth=(USER, TOKEN)).get_job("2a3490")
    assert job.error_summary is not None
    assert job.error_summary.message == "echo *** *** *** Basic ***"
    assert job.run_id == "***"
    assert _clean(repr(job)) == []


def test_parameters_job_list_and_texts_are_scrubbed(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    rsps.get(
        JOB + "/parameters",
        body=OPUS_PARAMETERS.replace(b"master", TOKEN.encode()),
        content_type=XML,
    )
    rsps.get(
        BASE,
        body=OPUS_JOB_LIST.replace(b"oldest", quote(TOKEN, safe="").encode()),
        content_type=XML,
    )
    rsps.get(JOB + "/quote", body=ECHO, content_type="text/plain")
    rsps.get(JOB + "/error", body=ECHO, content_type="text/plain")
    client = make_client(auth=(USER, TOKEN))
    params = client.get_parameters("2a3490")
    assert params[0].value == "***"
    jobs = client.get_job_list()
    assert jobs.jobs[0].run_id == "***"
    assert _clean(params, jobs, client.get_quote("2a3490"), client.get_error("2a3490")) == []


def test_an_unparsable_document_quoting_the_token_is_scrubbed(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    rsps.get(JOB, body=f"<uws:job xmlns:uws='x'>{ECHO}".encode(), content_type=XML)
    with pytest.raises(ParseError) as caught:
        make_client(auth=(USER, TOKEN)).get_job("2a3490")
    assert _clean(str(caught.value), caught.value.excerpt) == []
    assert caught.value.__cause__ is None  # the unscrubbed original is not chained


def test_a_download_error_does_not_show_a_token_in_the_href(
    rsps: Rsps, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    href = f"https://uws.example.org/store?ID=1&key={quote(TOKEN, safe='')}"
    rsps.get(href, status=404)
    with pytest.raises(DownloadError) as caught:
        make_client(auth=(USER, TOKEN)).download(href, tmp_path / "x")
    assert "404" in str(caught.value)
    assert _clean(str(caught.value)) == []
