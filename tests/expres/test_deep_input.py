"""Deeply nested local input is a ConfigError and CLI exit 2, before any request (issue 11,
point 7): a config file (Python API and CLI) and a ``--grid --set`` value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from uws_call_expres import ConfigError, uws_call_expres
from uws_call_expres.cli import main
from uws_call_expres.gridspec import parse_values

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


@pytest.mark.parametrize("text", [DEEP, DEEP_OBJECT])
def test_a_deeply_nested_config_is_a_config_error(
    workdir: Path, rsps: responses.RequestsMock, text: str
) -> None:
    (workdir / "deep.json").write_text(text)
    with pytest.raises(ConfigError, match="nested too deeply"):
        uws_call_expres("deep.json", LOOP=True)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("text", [DEEP, DEEP_OBJECT])
def test_a_deeply_nested_config_exits_2(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (workdir / "deep.json").write_text(text)
    assert main(["deep.json", "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["error"]["type"] == "ConfigError"
    assert len(rsps.calls) == 0


def test_a_deeply_nested_grid_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_values(DEEP)


def test_a_deeply_nested_grid_value_exits_2(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workdir / "example.json"
    assert main(["--grid", str(config), "--set", f"SIMU.NAME={DEEP}", "-o", "grid"]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err
    assert "Traceback" not in err
    assert len(rsps.calls) == 0
