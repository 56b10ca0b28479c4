"""Malformed server headers and values give a typed UWSError, never a raw ValueError
(issue 11, point 8): Location on creation and on redirects, Content-Length, Retry-After,
result hrefs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import requests
import responses

from uws_lite import Client
from uws_lite._retry import make_retry
from uws_lite.errors import MalformedLocation, ParseError, UnsafeURL, UWSError

from .conftest import BASE, OPUS_RESULTS, XML, opus_job
from .engine import fetch_one

Rsps = responses.RequestsMock
JOB = BASE + "/2a3490"
BAD_LOCATIONS = ["http://[::1", "http://uws.example.org:notaport/x", "//[::1/job"]


@pytest.mark.parametrize("location", BAD_LOCATIONS)
def test_a_malformed_creation_location_is_a_parse_error_saying_a_job_may_exist(
    rsps: Rsps, make_client: Callable[..., Client], location: str
) -> None:
    rsps.post(BASE, status=303, headers={"Location": location})
    with pytest.raises(MalformedLocation) as caught:
        make_client().new_job({"a": "1"})
    assert not isinstance(caught.value, ValueError)  # ParseError is no ValueError
    text = str(caught.value)
    assert "Location header is malformed" in text
    assert "may have been created" in text
    assert "get_job_list" in text
    assert "uws-lite list" in text
    assert len(rsps.calls) == 1  # nothing else was tried


@pytest.mark.parametrize("location", [*BAD_LOCATIONS, "ftp://uws.example.org/x"])
def test_a_malformed_redirect_location_is_a_parse_error(
    rsps: Rsps, make_client: Callable[..., Client], location: str
) -> None:
    rsps.get(JOB, status=302, headers={"Location": location})
    with pytest.raises(ParseError, match="Location"):  # MalformedLocation is one
        make_client().get_job("2a3490")


def test_a_malformed_location_on_a_refused_redirect_still_gives_the_status_error(
    rsps: Rsps, make_client: Callable[..., Client]
) -> None:
    # A 307 to a POST is an error answer; its message must not crash on the header.
    rsps.post(JOB + "/phase", status=307, headers={"Location": "http://[::1"})
    with pytest.raises(UWSError, match="Location header is malformed"):
        make_client().run_job("2a3490")


@responses.activate
def test_a_malformed_download_redirect_is_unsafe(tmp_path: Path) -> None:
    url = "http://uws.example/r"
    responses.get(url, status=302, headers={"Location": "http://[::1"})
    with pytest.raises(UnsafeURL, match="malformed Location"):
        fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert list(tmp_path.iterdir()) == []


@responses.activate
@pytest.mark.parametrize("length", ["\u00b2", "1" * 5000, "-3", "12abc"])
def test_a_malformed_content_length_is_ignored(tmp_path: Path, length: str) -> None:
    url = "http://uws.example/r"
    responses.get(
        url, body=b"abc", headers={"Content-Length": length}, auto_calculate_content_length=False
    )
    fetch_one(requests.Session(), url, tmp_path / "x", auth=None, trusted_origin=url)
    assert (tmp_path / "x").read_bytes() == b"abc"


class _Answer:
    def __init__(self, headers: Dict[str, str]) -> None:
        self.headers = headers
        self.status = 503

    def getheader(self, name: str, default: Any = None) -> Any:
        return self.headers.get(name, default)

    def get_header(self, name: str, default: Any = None) -> Any:
        return self.headers.get(name, default)


@pytest.mark.parametrize("value", ["9" * 5000, "9" * 400, "soon", "-1"])
def test_a_malformed_or_huge_retry_after_never_raises(value: str) -> None:
    retry = make_retry(3, max_retry_after=7.0)
    seconds = retry.get_retry_after(_Answer({"Retry-After": value}))  # type: ignore[arg-type]
    assert seconds is None or 0 <= seconds <= 7.0


def test_a_malformed_result_href_is_unsafe_not_a_value_error(
    rsps: Rsps, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    body = OPUS_RESULTS.replace(b"http://127.0.0.1:8082/store?ID=6b2aa7", b"//[::1/store")
    rsps.get(JOB + "/results", body=body, content_type=XML)
    client = make_client()
    results = client.get_results("2a3490")
    with pytest.raises(UnsafeURL):
        client.download(results[0], tmp_path / "x")
    with pytest.raises(UnsafeURL):
        client.download_many([(results[0], tmp_path / "y")])
    assert opus_job  # the module's documents are the ones of conftest
