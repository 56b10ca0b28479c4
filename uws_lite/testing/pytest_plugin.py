"""pytest fixtures for the local OPUS-compatible server (registered as a pytest11 entry point).

- ``opus_server``: a fresh, started :class:`~uws_lite.testing.OpusServer` per test (stopped
  after it), with short runs (``TEST_PLAN``) and one authenticated user, ``TEST_USER`` /
  ``TEST_TOKEN``, allowed on both job lists.
- ``opus_server_factory``: ``make(**kwargs)`` starts a server with your own options (same
  defaults); every server it made is stopped after the test.

The server module is imported inside the fixtures, so loading this plugin costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, List

import pytest

if TYPE_CHECKING:
    from .server import OpusServer

__all__ = ["TEST_TOKEN", "TEST_USER", "opus_server", "opus_server_factory"]

TEST_USER = "alice"
# Shaped like an OPUS token (a UUID); tests check it never shows up in any output.
TEST_TOKEN = "5e0c6f43-8a51-4c7e-9d1b-0a2f3e4d5c6b"  # noqa: S105 (a test fixture)


@pytest.fixture
def opus_server_factory() -> Iterator[Callable[..., OpusServer]]:
    from .plan import RunPlan
    from .server import OpusServer

    started: List[OpusServer] = []

    def make(**kwargs: Any) -> OpusServer:
        kwargs.setdefault("users", {TEST_USER: (TEST_TOKEN, {"ExPRES", "ExPRES-dev"})})
        kwargs.setdefault("run_plan", RunPlan(duration=0.2, queued=0.05, cdf_size=64 << 10))
        server = OpusServer(**kwargs)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def opus_server(opus_server_factory: Callable[..., OpusServer]) -> OpusServer:
    return opus_server_factory()
