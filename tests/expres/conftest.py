"""Fixtures for the uws_call_expres tests: the shared fake OPUS service on ``responses``.

``opus`` is ``fake_opus.FakeOpus`` (tests/fakes/fake_opus.py, which says what it simulates and
how a test drives it) on the ExPRES host: each GET of a started job moves it one step along
its ``script``; a job gets ``opus.results`` when it ends. ``kit`` carries the constants and
helpers test files need (they cannot import this module).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import pytest
import responses
from fake_opus import HOST, FakeOpus, sent_form
from fake_opus_jobs import FakeResult

DATA = Path(__file__).parent / "data"
CONFIG = "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json"
CONFIG_A = "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01a.json"
EPHEM = "wgc_StateVectorResults_juice.txt"
TOKEN = "0b7e1c4a-5d2f-4e8b-9a61-3c2d1e0f9a87"  # a made-up 36-character OPUS-like token


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


@pytest.fixture(autouse=True)
def _quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sweeps and grids poll the fake's job list every 0.05 s, not every 1.5 s (each poll
    moves the fake's running jobs one step: uws_call_expres.connections)."""
    monkeypatch.setattr("uws_call_expres.connections.WATCH_INTERVAL", 0.05)


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
    return FakeOpus(rsps, HOST)


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
        parse_form=sent_form,
    )
