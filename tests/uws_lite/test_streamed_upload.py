"""Streamed multipart uploads (issue 12): the body is the one requests would have built,
it is read from disk as it is sent, with a Content-Length, and OPUS receives normal
multipart file parts."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, Callable

import pytest
import responses
from urllib3.filepost import encode_multipart_formdata

from uws_lite import Client, _multipart
from uws_lite._multipart import MultipartBody
from uws_lite.errors import InvalidRequest, ServerError
from uws_lite.testing.forms import parse_form

from .conftest import BASE

BOUNDARY = "b0undary1234567890"
# A trimmed ExPRES config, as in tests/testing/conftest.py (the embedded server reads it).
CONFIG = {
    "SIMU": {"NAME": "Io2015-04-30", "OUT": ""},
    "NUMBER": {"BODY": 2, "DENSITY": 2, "SOURCE": 2},
    "TIME": {"MIN": 0, "MAX": 1440, "NBR": 1440},
    "FREQUENCY": {"TYPE": "Linear", "MIN": 0.01, "MAX": 44.0, "NBR": 781, "SC": ""},
    "OBSERVER": {"TYPE": "Fixed", "EPHEM": "", "PARENT": "Jupiter", "SC": "Earth"},
}


@pytest.fixture
def fixed_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_multipart, "choose_boundary", lambda: BOUNDARY)


def test_body_is_byte_for_byte_what_urllib3_would_encode(
    fixed_boundary: None, tmp_path: Path
) -> None:
    blob = bytes(range(256)) * 1000 + b"\r\n--not-a-boundary\r\n"
    path = tmp_path / "ephem.bin"
    path.write_bytes(blob)
    fields = [("runId", "été run"), ("n", "3")]
    with path.open("rb") as handle:
        body = MultipartBody(
            fields,
            [
                ("ephemeride", ("ephem.bin", handle, "application/octet-stream")),
                ("config", ('my "x".json', b"{}", "application/json")),
            ],
        )
        streamed = body.read()
    expected, ctype = encode_multipart_formdata(
        [
            *fields,
            ("ephemeride", ("ephem.bin", blob, "application/octet-stream")),
            ("config", ('my "x".json', b"{}", "application/json")),
        ],
        boundary=BOUNDARY,
    )
    assert streamed == expected
    assert body.content_type == ctype
    assert len(body) == len(expected)


def test_small_reads_rewind_and_iteration_give_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 700_001)
    with path.open("rb") as handle:
        body = MultipartBody([("a", "1")], [("f", ("f.txt", handle, "text/plain"))])
        pieces = []
        while True:
            chunk = body.read(4096)
            if not chunk:
                break
            assert len(chunk) <= 4096
            pieces.append(chunk)
        first = b"".join(pieces)
        assert len(first) == len(body)
        assert body.tell() == len(body)
        assert body.read() == b""
        assert body.seek(0) == 0
        assert body.tell() == 0
        assert b"".join(body) == first
        with pytest.raises(io.UnsupportedOperation):
            body.seek(10)
    form = parse_form(body.content_type, first)
    assert form.files["f"].content == b"x" * 700_001


def test_a_file_that_shrinks_during_the_upload_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"y" * 10_000)
    with path.open("rb") as handle:
        body = MultipartBody([], [("f", ("f.bin", handle, "application/octet-stream"))])
        path.write_bytes(b"y" * 10)  # truncated under our feet
        with pytest.raises(InvalidRequest, match="became shorter"):
            body.read()


def test_file_object_is_sent_from_its_current_position() -> None:
    handle = io.BytesIO(b"skip-me|payload")
    handle.seek(8)
    body = MultipartBody([], [("f", ("f.bin", handle, "application/octet-stream"))])
    form = parse_form(body.content_type, body.read())
    assert form.files["f"].content == b"payload"


def test_new_job_streams_with_a_content_length(
    rsps: responses.RequestsMock, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    path = tmp_path / "ephem.txt"
    path.write_bytes(b"State Vector Results\n" * 50_000)
    rsps.post(BASE, status=303, headers={"Location": BASE + "/j1"})
    rsps.get(
        BASE + "/j1",
        body=b'<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0"><uws:jobId>j1</uws:jobId>'
        b"<uws:phase>PENDING</uws:phase></uws:job>",
        content_type="text/xml",
    )
    make_client().new_job({"runId": "r"}, files={"ephemeride": path})
    request: Any = rsps.calls[0].request
    assert request.headers["Content-Length"] == str(len(request.body))
    assert "Transfer-Encoding" not in request.headers
    form = parse_form(request.headers["Content-Type"], request.body)
    assert form.files["ephemeride"].raw_filename == "ephem.txt"
    assert form.files["ephemeride"].content == path.read_bytes()
    assert ("runId", "r") in form.fields


def test_upload_arrives_intact_at_the_embedded_server(opus_server: Any, tmp_path: Path) -> None:
    blob = hashlib.sha256(b"seed").digest() * 200_000  # 6.4 MB, not one repeated byte
    path = tmp_path / "juice ephem.txt"
    path.write_bytes(blob)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    with Client(opus_server.list_url()) as client:
        job = client.new_job({"runId": "big"}, files={"config": config, "ephemeride": path})
    assert opus_server.job(job.job_id).uploads["config"].content == config.read_bytes()
    upload = opus_server.job(job.job_id).uploads["ephemeride"]
    assert upload.raw_filename == "juice ephem.txt"
    assert upload.content == blob
    (post,) = [r for r in opus_server.requests if r.method == "POST"]
    assert post.header("Content-Length") == str(post.body_size)
    assert post.header("Transfer-Encoding") is None


def test_a_streamed_creation_post_is_not_retried(
    rsps: responses.RequestsMock, make_client: Callable[..., Client], tmp_path: Path
) -> None:
    path = tmp_path / "e.txt"
    path.write_bytes(b"z" * 100_000)
    rsps.post(BASE, status=503, body="busy")
    with pytest.raises(ServerError):
        make_client(retries=3).new_job(files={"ephemeride": path})
    assert len(rsps.calls) == 1
