"""The bundled example config (uws_call_expres/data/example.json) and ``--example-config``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from uws_call_expres.cli import main
from uws_call_expres.config_file import EXPRES_SECTIONS
from uws_call_expres.errors import OutputError
from uws_call_expres.example import (
    EXAMPLE_CONFIG_COMMAND,
    example_config,
    example_config_path,
    write_example_config,
)

# The reference copy of the same ExPRES file (see tests/e2e/data/README.md).
SOURCE = (
    Path(__file__).parent.parent
    / "e2e"
    / "data"
    / "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json"
)
PACKAGED = Path(__file__).parent.parent.parent / "uws_call_expres" / "data" / "example.json"


def test_the_packaged_example_is_the_real_expres_config_byte_for_byte() -> None:
    data = example_config()
    assert data == SOURCE.read_bytes()
    with example_config_path() as path:
        assert path.name == "example.json"
        assert path.read_bytes() == data
    document = json.loads(data)
    assert set(EXPRES_SECTIONS) <= set(document)
    assert document["SIMU"]["NAME"] == "Io2015-04-30"
    assert document["OBSERVER"]["EPHEM"] == ""  # runs without an ephemeris file


def test_the_data_folder_names_the_source_of_the_example() -> None:
    notice = (PACKAGED.parent / "README.md").read_text(encoding="utf-8")
    assert "github.com/maserlib/ExPRES" in notice
    assert "support/tests/expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json" in (
        notice.replace("\n  ", "")
    )
    assert "9bc10c552992dadc41c123f22bf19fb22cda70f7" in notice


def test_example_config_writes_identical_bytes_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "example.json"
    assert main(["--example-config", str(target)]) == 0
    assert target.read_bytes() == SOURCE.read_bytes()
    out = capsys.readouterr().out
    assert f"python -m uws_call_expres {target}" in out


def test_example_config_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mine.json"
    target.write_text('{"my": "precious config"}', encoding="utf-8")
    assert main(["--example-config", str(target)]) == 2
    assert target.read_text(encoding="utf-8") == '{"my": "precious config"}'
    err = capsys.readouterr().err
    assert "already exists" in err
    assert "never overwrites" in err
    assert "another name" in err


def test_example_config_refuses_a_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(OutputError, match="already exists"):
        write_example_config(link)
    assert not (tmp_path / "elsewhere.json").exists()


def test_example_config_in_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "example.json"
    assert main(["--example-config", str(target)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not target.exists()


def test_example_config_json_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "example.json"
    assert main(["--example-config", str(target), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"ok": True, "exit_code": 0, "example_config": str(target)}
    assert main(["--example-config", str(target), "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)
    assert refused["ok"] is False
    assert refused["error"]["type"] == "OutputError"


def test_example_config_with_a_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run.json", "--example-config", str(tmp_path / "x.json")]) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_a_missing_config_says_how_to_get_an_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["example.json"]) == 2
    err = capsys.readouterr().err
    assert "'example.json' does not exist" in err
    assert EXAMPLE_CONFIG_COMMAND in err
    assert EXAMPLE_CONFIG_COMMAND == "python -m uws_call_expres --example-config example.json"


def test_the_subprocess_writes_the_example_then_refuses_to_overwrite_it(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uws_call_expres", "--example-config", "example.json"]
    env = {k: v for k, v in os.environ.items() if k != "EXPRES_TOKEN"}
    first = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "example.json").read_bytes() == SOURCE.read_bytes()
    second = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert second.returncode == 2
    assert "already exists" in second.stderr
    assert (tmp_path / "example.json").read_bytes() == SOURCE.read_bytes()


def test_help_tells_a_newcomer_about_the_demo_and_the_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "--example-config FILE" in text
    assert "--demo" in text
    assert "never overwrites" in text
