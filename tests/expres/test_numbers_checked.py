"""Numbers are checked (issue 11, point 2): NaN, infinities, booleans, strings, zero and
negative values are refused with a typed local error (ConfigError / AccessError, both
InvalidRequest) before any request, by uws_call_expres, attach, run_sweep, run_grid, and by
both command lines (exit status 2). ``timeout=nan`` used to wait forever."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Dict

import pytest
import responses

from uws_call_expres import attach, run_grid, run_sweep, uws_call_expres
from uws_call_expres.cli import main as expres_main
from uws_call_expres.errors import AccessError, ConfigError
from uws_lite.cli import main as uws_lite_main
from uws_lite.errors import InvalidRequest

NOT_SECONDS = [math.nan, math.inf, -math.inf, True, False, 0, -1, "5"]
NOT_COUNTS = [math.nan, math.inf, True, 0, 1.5, "2"]


@pytest.mark.parametrize("bad", NOT_SECONDS)
def test_uws_call_expres_timeout(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(ConfigError, match="timeout"):
        uws_call_expres("example.json", LOOP=True, timeout=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", NOT_SECONDS)
def test_attach_timeout(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(ConfigError, match="timeout"):
        attach("2a3490", timeout=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", NOT_SECONDS)
def test_request_timeout(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(AccessError, match="request_timeout"):
        uws_call_expres("example.json", request_timeout=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, 1.5, 0, -5, "1e3", "nan"])
def test_execution_duration(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(ConfigError, match="executionDuration"):
        uws_call_expres("example.json", executionDuration=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", NOT_COUNTS)
def test_run_sweep_max_parallel(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(InvalidRequest, match="max_parallel"):
        run_sweep(["example.json"], max_parallel=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", NOT_COUNTS)
def test_run_grid_max_parallel(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(InvalidRequest, match="max_parallel"):
        run_grid(
            "example.json",
            {"SIMU.NAME": ["a", "b"]},
            output_dir=workdir / "grid",
            max_parallel=bad,
            verbose=False,
        )
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", NOT_SECONDS[:3])
def test_run_sweep_timeout(workdir: Path, rsps: responses.RequestsMock, bad: Any) -> None:
    with pytest.raises(ConfigError, match="timeout"):
        run_sweep(["example.json"], LOOP=True, timeout=bad, verbose=False)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    "options",
    [
        {"--wait-timeout": "nan"},
        {"--timeout": "inf"},
        {"--timeout": "-3"},
        {"--timeout": "0"},
        {"--request-timeout": "nan"},
        {"--request-timeout": "inf"},
        {"--max-parallel": "0"},
    ],
)
def test_expres_cli_exit_2(
    workdir: Path,
    rsps: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    options: Dict[str, str],
) -> None:
    [(option, value)] = options.items()
    assert expres_main(["example.json", option, value]) == 2
    err = capsys.readouterr().err
    assert option.lstrip("-").split("-")[0] in err
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "2a3490", "--wait", "nan"],
        ["show", "2a3490", "--wait", "inf"],
        ["show", "2a3490", "--wait-timeout", "nan"],
        ["show", "2a3490", "--wait-timeout", "-1"],
        ["--request-timeout", "nan", "show", "2a3490"],
        ["duration", "2a3490", "nan"],
        ["duration", "2a3490", "1.5"],
        ["list", "--last", "0"],
    ],
)
def test_uws_lite_cli_exit_2(
    rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str], argv: Any
) -> None:
    code = uws_lite_main(["--url", "https://voparis-uws-maser.obspm.fr/rest/ExPRES", *argv])
    assert code == 2, capsys.readouterr()
    assert len(rsps.calls) == 0
