"""Waiting you can see: timestamped phase lines with elapsed/limit, live bars on a terminal,
plain lines elsewhere, bars closed (cursor at column 0) before the summary."""

from __future__ import annotations

import contextlib
import io
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from uws_call_expres import uws_call_expres
from uws_call_expres.cli import main
from uws_call_expres.output import Console, DownloadProgress
from uws_call_expres.waiting import WaitDisplay, clock_time, duration_text
from uws_lite.models import Job, Phase

# 12:03:07 UTC+01:00 EXECUTING (elapsed 0:12 of at most 10:00)
PHASE_LINE = re.compile(
    r"^\d\d:\d\d:\d\d UTC(?:[+-]\d\d:\d\d)? (?P<phase>[A-Z]+)"
    r" \(elapsed (?P<elapsed>\d+:\d\d(?::\d\d)?) of at most (?P<limit>\d+:\d\d(?::\d\d)?)\)$"
)


class FakeTTY(io.StringIO):
    """A terminal that records what is written to it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Paris (UTC+01:00 in December)."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@contextlib.contextmanager
def terminal() -> Iterator[FakeTTY]:
    """Standard output and error are one terminal, as in a shell (set inside the test:
    pytest's capture resets sys.stdout/sys.stderr between a fixture and the test)."""
    tty = FakeTTY()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = tty
    try:
        yield tty
    finally:
        sys.stdout, sys.stderr = saved


def _column_before(text: str, marker: str) -> int:
    """The terminal column where ``marker`` (its first occurrence) starts to be drawn."""
    end = text.index(marker)
    column = 0
    i = 0
    while i < end:
        char = text[i]
        if char in "\r\n":
            column = 0
        elif char == "\x1b":
            match = re.match(r"\x1b\[[0-9;]*[A-Za-z]", text[i:])
            assert match, f"unexpected escape at {i}: {text[i : i + 8]!r}"
            i += len(match.group(0))
            continue
        else:
            column += 1
        i += 1
    return column


def _job(phase: Phase = Phase.EXECUTING, **fields: Any) -> Job:
    return Job(job_id="2a3490", phase=phase, **fields)


# --- formats -----------------------------------------------------------------------------


def test_durations_read_like_a_clock() -> None:
    assert duration_text(0) == "0:00"
    assert duration_text(12.7) == "0:12"
    assert duration_text(600) == "10:00"
    assert duration_text(3723) == "1:02:03"


def test_clock_time_says_which_zone(paris: None) -> None:
    moment = datetime(2026, 12, 1, 11, 3, 7, tzinfo=timezone.utc)
    assert clock_time(moment) == "12:03:07 UTC+01:00"


def test_clock_time_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        moment = datetime(2026, 12, 1, 11, 3, 7, tzinfo=timezone.utc)
        assert clock_time(moment) == "11:03:07 UTC"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_phase_line_with_a_fake_clock(paris: None, capsys: pytest.CaptureFixture[str]) -> None:
    ticks = iter([100.0, 112.4])  # made at 100 s, shown 12.4 s later
    wall = datetime(2026, 12, 1, 11, 3, 7, tzinfo=timezone.utc)
    display = WaitDisplay(
        Console(), _job(), 600, bar=False, clock=lambda: next(ticks), now=lambda: wall
    )
    display.show(_job())
    assert (
        capsys.readouterr().out == "12:03:07 UTC+01:00 EXECUTING (elapsed 0:12 of at most 10:00)\n"
    )


def test_elapsed_counts_from_the_jobs_start_when_known(capsys: pytest.CaptureFixture[str]) -> None:
    wall = datetime(2026, 12, 1, 11, 3, 7, tzinfo=timezone.utc)
    started = datetime(2026, 12, 1, 11, 1, 7, tzinfo=timezone.utc)  # two minutes ago
    job = _job(start_time=started)
    display = WaitDisplay(Console(), job, 10_800, bar=False, clock=lambda: 50.0, now=lambda: wall)
    display.show(job)
    match = PHASE_LINE.match(capsys.readouterr().out.strip())
    assert match
    assert (match["elapsed"], match["limit"]) == ("2:00", "3:00:00")


def test_quiet_display_prints_nothing_and_draws_no_bar(capsys: pytest.CaptureFixture[str]) -> None:
    with WaitDisplay(Console(False), _job(), 600, bar=True) as display:
        display.show(_job())
    assert capsys.readouterr() == ("", "")


# --- runs --------------------------------------------------------------------------------


def test_phase_lines_carry_time_and_limit(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uws_call_expres(LOOP=True, executionDuration=300)
    assert run.ok
    lines = [PHASE_LINE.match(line) for line in capsys.readouterr().out.splitlines()]
    phases = [m["phase"] for m in lines if m]
    assert phases == ["EXECUTING", "COMPLETED"]  # the fake service runs at once
    assert {m["limit"] for m in lines if m} == {"5:00"}  # the run's executionDuration


def test_without_a_terminal_no_bar_and_no_control_characters(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert uws_call_expres(LOOP=True).ok  # progress=None: stderr is not a terminal
    out, err = capsys.readouterr()
    for text in (out, err):
        assert "\r" not in text
        assert "\x1b" not in text
    assert "|" not in err  # no bar drawn


def test_cli_on_a_terminal_closes_bars_before_the_summary(workdir: Path, opus: Any) -> None:
    with terminal() as tty:
        assert main(["example.json", "-o", "out"]) == 0
    text = tty.getvalue()
    assert re.search(r"Job a00001 EXECUTING \|", text), "no live wait bar drawn"
    assert "expres_run.cdf" in text.split("Downloading stdout", 1)[1], "no download bar"
    summary = "2 result(s) saved in"
    bars = [m.start() for m in re.finditer(r"\| ", text)]
    assert max(bars) < text.index(summary), "a bar was drawn after the summary"
    assert _column_before(text, summary) == 0
    assert _column_before(text, "Job completed") == 0


def test_python_progress_true_bars_then_the_outcome(workdir: Path, opus: Any) -> None:
    with terminal() as tty:
        run = uws_call_expres(LOOP=True, progress=True)
    assert run.ok
    text = tty.getvalue()
    assert re.search(r"Job a00001 (QUEUED|EXECUTING) \|", text)
    # each phase line starts at column 0 although a bar is live while it is printed
    for phase in ("EXECUTING (elapsed", "COMPLETED (elapsed"):
        start = text.index(phase)
        line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
        assert PHASE_LINE.match(text[line_start : text.index("\n", start)]), phase


def test_parallel_download_bars_leave_the_cursor_at_column_0() -> None:
    with terminal() as tty:
        bars: List[DownloadProgress] = [DownloadProgress(f"r{i}.cdf", True) for i in range(3)]
        for bar in bars:
            bar(512, 1024)  # three bars live at once: rows 0, 1, 2
        for bar in bars:
            bar.close()
        Console().info("3 result(s) saved in out")
    text = tty.getvalue()
    assert _column_before(text, "3 result(s)") == 0


def test_live_bar_is_closed_on_ctrl_c() -> None:
    display = WaitDisplay(Console(), _job(), 600, bar=True)

    def interrupted_wait() -> None:
        with display:
            display.show(_job())
            raise KeyboardInterrupt

    with terminal() as tty:
        with pytest.raises(KeyboardInterrupt):
            interrupted_wait()
        Console().notice("Interrupted.")
    assert display._ticker is None
    assert display._bar is None
    text = tty.getvalue()
    assert "Job 2a3490 EXECUTING |" in text
    assert _column_before(text, "Interrupted.") == 0


def test_in_a_notebook_bars_are_widgets_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from uws_call_expres import output

    monkeypatch.setattr(output, "in_notebook", lambda: True)
    monkeypatch.setattr(output, "_have_widgets", lambda: False)
    # no ipywidgets: text bars would put escapes into the cell, so none even when asked
    assert output.progress_wanted(True, True) is False
    assert output.progress_wanted(None, True) is False
    monkeypatch.setattr(output, "_have_widgets", lambda: True)
    assert output.progress_wanted(None, True) is True  # stderr is no terminal there
    assert output.progress_wanted(None, False) is False
    assert output.progress_wanted(False, True) is False


def test_not_a_notebook_outside_jupyter() -> None:
    from uws_call_expres.output import in_notebook

    assert in_notebook() is False
