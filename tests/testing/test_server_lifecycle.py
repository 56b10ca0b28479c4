"""Starting and stopping the server, its pytest fixtures, and ``python -m uws_lite.testing``."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from uws_lite.testing import OpusServer
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER
from uws_lite.testing.server import _loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "8.8.8.8"])  # noqa: S104
def test_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        OpusServer(host)


def test_context_manager_and_urls() -> None:
    server = OpusServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        assert server.list_url("ExPRES-dev") == f"{server.base_url}/rest/ExPRES-dev"
        assert server.rest_url == f"{server.base_url}/rest/"
        assert requests.get(server.list_url(), timeout=10).status_code == 200
        port = server.port
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/rest/ExPRES", timeout=5)


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = OpusServer().start()
    session = requests.Session()
    assert session.get(server.list_url(), timeout=10).status_code == 200
    server.stop()  # returns although the session keeps its connection open
    with pytest.raises(requests.ConnectionError):
        session.get(server.list_url(), timeout=5)
    session.close()


def test_ipv6_loopback_is_accepted() -> None:
    # Binding needs an IPv6 stack (not every CI container has one): check the address choice.
    address, family = _loopback("::1")
    assert (address, family) == ("::1", socket.AF_INET6)


def test_fixture_defaults(opus_server: Any) -> None:
    response = requests.get(
        opus_server.list_url("ExPRES-dev"), auth=(TEST_USER, TEST_TOKEN), timeout=10
    )
    assert response.status_code == 200
    assert opus_server.run_plan.duration < 1


def test_factory_makes_independent_servers(opus_server_factory: Any) -> None:
    first = opus_server_factory(list_names=("Only",), guest_lists=("Only",))
    second = opus_server_factory()
    assert first.base_url != second.base_url
    assert requests.get(first.list_url("Only"), timeout=10).status_code == 200
    assert requests.get(first.list_url("ExPRES"), timeout=10).status_code == 403


def test_demo_cli(tmp_path: Path) -> None:
    example = tmp_path / "example.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uws_lite.testing",
            "--port",
            "0",
            "--user",
            "bob:secret-token",
            "--duration",
            "0.1",
            "--example-config",
            str(example),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(7)]
        base = re.search(r"on (http://127\.0\.0\.1:\d+)", banner[0])
        assert base is not None, banner
        files = {"config": ("example.json", example.read_bytes())}
        created = requests.post(
            base.group(1) + "/rest/ExPRES",
            files=files,
            data={"PHASE": "RUN"},
            allow_redirects=False,
            timeout=10,
        )
        assert created.status_code == 303
        assert any("python -m uws_call_expres" in line for line in banner)
        assert "--login bob" in "".join(banner)
        assert "secret-token" not in "".join(banner)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_demo_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uws_lite.testing", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--example-config" in result.stdout


def test_demo_cli_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "uws_lite.testing", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert "test server on http://" in process.stdout.readline()
    process.terminate()
    _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopping" in err
