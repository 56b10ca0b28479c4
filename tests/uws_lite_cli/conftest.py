"""Fixtures for the command-line tests: the shared fake OPUS service on ``responses``.

``uws`` is ``fake_opus.FakeOpus`` (tests/fakes/fake_opus.py says what it simulates and how a
test drives it) at :data:`BASE`, where a job moves only on a blocking GET (``WAIT=``), so a
plain GET (``show`` without ``--wait``) shows its phase unchanged. Test files reach its classes
as ``uws.job_class`` and ``uws.result_class``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest
import responses
from fake_opus import FakeOpus
from fake_opus_jobs import FakeJob, FakeResult

from uws_lite.cli import main

BASE = "https://uws.example.org/rest/ExPRES"
TOKEN = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"  # OPUS tokens are UUIDs


@pytest.fixture
def uws() -> Iterator[FakeOpus]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeOpus(rsps, "https://uws.example.org", moves_on="wait")


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
def job_done(uws: FakeOpus) -> FakeJob:
    """A COMPLETED OPUS-like job with a CDF result (with SHA-1) and its log."""
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
