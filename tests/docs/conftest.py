"""Fixtures for the tests that run the documentation's code blocks (the machinery, and how
each kind of block runs, is in :mod:`pages`)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from uws_lite.testing import OpusServer, RunPlan

from .pages import DOCS_TOKEN, DOCS_USER, PageRun


@pytest.fixture
def docs_server() -> Iterator[OpusServer]:
    """The service the pages talk to: short simulated runs, the guests' 10-minute limit."""
    server = OpusServer(
        users={DOCS_USER: (DOCS_TOKEN, {"ExPRES", "ExPRES-dev"})},
        run_plan=RunPlan(duration=1.5, queued=0.1),
        default_execution_duration=600,
    )
    with server:
        yield server


@pytest.fixture
def page_run(tmp_path: Path, docs_server: OpusServer, monkeypatch: pytest.MonkeyPatch) -> PageRun:
    return PageRun(tmp_path, docs_server, monkeypatch)
