"""Result files: /store?ID= downloads, Range, generated content and its SHA-1."""

from __future__ import annotations

import hashlib
from typing import Any, Dict

import pytest

from uws_lite.testing import generated_content, generated_sha1
from uws_lite.testing.payload import PERIOD, chunks


def _cdf(api: Any, **test: Any) -> Dict[str, str]:
    job_id = api.create_job(**test)
    results = api.results(api.wait_for(job_id))
    (name,) = [rid for rid in results if rid.endswith(".cdf")]
    return results[name]


def test_download_with_headers_and_matching_hash(api: Any) -> None:
    result = _cdf(api, cdf_size=100_000)
    response = api.get(result[api.XLINK + "href"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-cdf"
    assert response.headers["Content-Length"] == "100000"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{result["name"]}"'
    assert response.content == generated_content(0, 100_000)
    assert hashlib.sha1(response.content, usedforsecurity=False).hexdigest() == result["hash"]
    assert response.content[:4] == b"\xcd\xf3\x00\x01"  # the CDF magic number


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=10-19", 10, 20), ("bytes=99990-", 99990, 100_000), ("bytes=-5", 99995, 100_000)],
)
def test_range_requests(api: Any, header: str, start: int, end: int) -> None:
    href = _cdf(api, cdf_size=100_000)[api.XLINK + "href"]
    response = api.get(href, headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end - 1}/100000"
    assert response.content == generated_content(start, end)


def test_unsatisfiable_range_is_416(api: Any) -> None:
    href = _cdf(api, cdf_size=1000)[api.XLINK + "href"]
    assert api.get(href, headers={"Range": "bytes=5000-"}).status_code == 416


def test_head_gives_the_size_without_the_body(api: Any) -> None:
    href = _cdf(api, cdf_size=5000)[api.XLINK + "href"]
    head = api.session.head(api.url(href), timeout=10)
    assert head.headers["Content-Length"] == "5000"
    assert head.content == b""


def test_a_large_result_streams_and_matches_its_hash(api: Any) -> None:
    size = 256 << 20
    result = _cdf(api, cdf_size=size)
    digest = hashlib.sha1(usedforsecurity=False)
    received = 0
    with api.session.get(api.url(result[api.XLINK + "href"]), stream=True, timeout=60) as resp:
        for block in resp.iter_content(1 << 20):
            digest.update(block)
            received += len(block)
    assert received == size
    assert digest.hexdigest() == result["hash"] == generated_sha1(size)


def test_results_of_deleted_jobs_are_gone(api: Any) -> None:
    job_id = api.create_job(cdf_size=10)
    href = [
        r for r in api.results(api.wait_for(job_id)).values() if "store" in r[api.XLINK + "href"]
    ]
    api.delete(f"/rest/ExPRES/{job_id}")
    assert api.get(href[0][api.XLINK + "href"]).status_code == 404


@pytest.mark.parametrize("size", [0, 1, PERIOD - 1, PERIOD, PERIOD + 1, 3 * PERIOD + 12345])
def test_generated_sha1_matches_the_content(size: int) -> None:
    digest = hashlib.sha1(usedforsecurity=False)
    for block in chunks(0, size, chunk=300_000):
        digest.update(block)
    assert generated_sha1(size) == digest.hexdigest()


def test_chunks_are_consistent_whatever_the_split() -> None:
    whole = generated_content(PERIOD - 10, PERIOD + 10)
    assert whole == generated_content(PERIOD - 10, PERIOD) + generated_content(PERIOD, PERIOD + 10)
    assert generated_content(5, 10) == generated_content(PERIOD + 5, PERIOD + 10)
    # a resume at a wrong power-of-two offset never lines up with the right bytes
    assert generated_content(1 << 20, (1 << 20) + 64) != generated_content(0, 64)
