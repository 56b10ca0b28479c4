"""Console lines, progress bars, the package surface."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import uws_call_expres
from uws_call_expres import uws_call_expres as run_function
from uws_call_expres.output import Console, DownloadProgress, progress_wanted
from uws_lite.text import for_terminal


def test_server_text_is_shown_escaped_by_the_one_sanitiser() -> None:
    # What uws_call_expres prints of a server's text goes through uws_lite.text.for_terminal.
    assert for_terminal("expres.cdf") == "expres.cdf"
    assert for_terminal("a\x1b[31mb") == "a\\x1b[31mb"
    assert for_terminal("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert for_terminal("Jupiter αβγ ✓") == "Jupiter αβγ ✓"


def test_console_streams_prefix_and_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    Console(True, prefix="[1/2 a.json] ").info("Job completed")
    Console(True).warning("careful")
    Console(True, to_stderr=True).info("to stderr")
    Console(False).info("hidden")
    Console(False).warning("hidden too")
    Console(False).notice("shown even when quiet")
    captured = capsys.readouterr()
    assert captured.out == "[1/2 a.json] Job completed\n"
    assert captured.err == "Warning: careful\nto stderr\nshown even when quiet\n"


def test_progress_auto_needs_a_terminal_and_verbosity() -> None:
    assert progress_wanted(True, False) is True
    assert progress_wanted(False, True) is False
    assert progress_wanted(None, False) is False
    assert progress_wanted(None, True) is False  # pytest's stderr is not a terminal


def test_progress_bar_draws_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with DownloadProgress("x.cdf", True) as bar:
        bar(0, 2048)
        bar(2048, 2048)
    assert "x.cdf" in capsys.readouterr().err
    with DownloadProgress("y.cdf", False) as off:
        off(10, 10)
    assert capsys.readouterr() == ("", "")


def test_run_with_progress_bars(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_function(LOOP=True, progress=True)
    assert run.ok
    err = capsys.readouterr().err
    assert "expres_run.cdf" in err  # the bar's label


def test_package_surface() -> None:
    for name in uws_call_expres.__all__:
        assert getattr(uws_call_expres, name) is not None
    assert "uws_call_expres" in dir(uws_call_expres)
    with pytest.raises(AttributeError):
        _ = uws_call_expres.no_such_name  # type: ignore[attr-defined]
    assert importlib.import_module("uws_call_expres.run").uws_call_expres is run_function


def test_import_is_light() -> None:
    code = (
        "import uws_call_expres, sys; "
        "print(sorted(m for m in ('requests', 'lxml', 'tqdm') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_console_script_entry_point() -> None:
    from importlib.metadata import entry_points

    found = entry_points()
    if hasattr(found, "select"):
        scripts = list(found.select(group="console_scripts"))
    else:  # Python 3.9
        scripts = list(found["console_scripts"])  # type: ignore[index]
    # Python 3.9 may list a distribution twice (an editable install and a build).
    ours = [s for s in scripts if s.name == "uws-call-expres"]
    assert ours
    assert {s.value for s in ours} == {"uws_call_expres.cli:main"}
    assert ours[0].load() is importlib.import_module("uws_call_expres.cli").main
