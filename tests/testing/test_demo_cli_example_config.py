"""``python -m uws_lite.testing --example-config PATH`` never overwrites a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from uws_lite.testing.__main__ import EXAMPLE_CONFIG, _write_new, main


def test_an_existing_file_is_refused_before_the_server_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "example.json"
    mine.write_text("my own config", encoding="utf-8")
    assert main(["--port", "0", "--example-config", str(mine), "--quiet"]) == 2
    assert mine.read_text(encoding="utf-8") == "my own config"
    captured = capsys.readouterr()
    assert "already exists" in captured.err
    assert "never overwrites" in captured.err
    assert "test server on" not in captured.out  # no banner: the server never started


def test_a_dangling_symlink_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "example.json"
    link.symlink_to(tmp_path / "target.json")
    assert main(["--port", "0", "--example-config", str(link), "--quiet"]) == 2
    assert not (tmp_path / "target.json").exists()


def test_write_new_refuses_a_file_that_appeared_after_the_check(tmp_path: Path) -> None:
    late = tmp_path / "late.json"
    late.write_text("late", encoding="utf-8")
    with pytest.raises(FileExistsError):
        _write_new(late, json.dumps(EXAMPLE_CONFIG))
    assert late.read_text(encoding="utf-8") == "late"


def test_the_command_exits_2_and_keeps_the_file(tmp_path: Path) -> None:
    mine = tmp_path / "example.json"
    mine.write_text("keep me", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "uws_lite.testing", "--port", "0", "--example-config", str(mine)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "already exists" in done.stderr
    assert mine.read_text(encoding="utf-8") == "keep me"
