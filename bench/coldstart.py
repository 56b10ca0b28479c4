"""Figures: ``python -m uws_call_expres --help`` cold start, and a real ``--no-wait``
submission (config check, job creation with the upload, start), each vs importing
requests + lxml.

Hyperfine-like: warm-up runs, then the command and the baseline in pairs whose order
alternates, many times, each a fresh interpreter; wall time of the whole process is measured
from here. The submission goes to the embedded server in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from . import proc
from . import server as srv
from .pairs import PairSummary, rotated
from .stats import Samples, ratio, seconds
from .table import Row

FIGURE = "`python -m uws_call_expres --help` cold start"
GOAL = "≤ 1.3 × `python -c 'import requests, lxml.etree'`"
LIMIT = 1.3

NO_WAIT_FIGURE = "`--no-wait` submission, whole process"

CLI = [sys.executable, "-m", "uws_call_expres", "--help"]
BASELINE = [sys.executable, "-c", "import requests, lxml.etree"]


@dataclass(frozen=True)
class _Run:
    wall: float  # seconds, fork to exit, seen from here
    cpu: float  # user + system seconds of the process (wait4): steadier under load


def _time(cmd: Sequence[str], cwd: str) -> _Run:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=proc.child_environ()
        )
        _, status, usage = os.wait4(child.pid, 0)  # blocking: no polling delay in the wall
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")[-300:]
            raise RuntimeError(f"{' '.join(cmd[1:])} exited {child.returncode}: {message}")
    return _Run(wall=elapsed, cpu=usage.ru_utime + usage.ru_stime)


def _import_costs(cmd: Sequence[str], cwd: str) -> Dict[str, int]:
    """Module -> its own import time (µs, "self" in ``-X importtime``)."""
    done = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=proc.child_environ(),
    )
    costs: Dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = [f.strip() for f in line[len("import time:") :].split("|")]
        try:
            costs[fields[2]] = int(fields[0])
        except (ValueError, IndexError):
            continue
    return costs


def _why(cmd: Sequence[str], cwd: str) -> str:
    """The modules the command imports and the baseline does not, by package (self times,
    so that requests, imported by uws_lite here, is not counted as uws_lite's)."""
    base = _import_costs(BASELINE, cwd)
    extra: Dict[str, int] = {}
    for name, us in _import_costs(cmd, cwd).items():
        if name not in base:
            package = name.split(".")[0]
            extra[package] = extra.get(package, 0) + us
    ranked: List[Tuple[str, int]] = sorted(extra.items(), key=lambda item: -item[1])
    top = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in ranked[:6] if us >= 1000)
    total = sum(extra.values()) / 1000
    return (
        f"modules the baseline does not import: {total:.0f} ms of import time"
        f" (-X importtime, one run): {top or 'none over 1 ms'}"
    )


def _row(figure: str, cmd: Sequence[str], cwd: str, quick: bool) -> Row:
    runs = 4 if quick else 20
    for _ in range(1 if quick else 3):  # warm the page cache and .pyc files
        _time(cmd, cwd)
        _time(BASELINE, cwd)
    pairs, cli, base = rotated(
        runs, lambda: _time(cmd, cwd), lambda: _time(BASELINE, cwd), lambda t: t.wall
    )
    cli_s, base_s = Samples.of(r.wall for r in cli), Samples.of(r.wall for r in base)
    cpu_cli, cpu_base = Samples.of(r.cpu for r in cli), Samples.of(r.cpu for r in base)
    value = cli_s.median / base_s.median
    # Paired ratios show the noise of the shared machine, and whether the order matters.
    summary = PairSummary.of(pairs)
    met = value <= LIMIT
    facts = (
        f"{summary.describe('command', 'baseline')}; CPU (user + system) of the process:"
        f" {cpu_cli.fmt(seconds)} vs {cpu_base.fmt(seconds)}, ratio"
        f" {ratio(cpu_cli.median / cpu_base.median)}; bytecode cache on"
    )
    if not met:
        facts += "; " + _why(cmd, cwd)
    return Row(
        figure=figure,
        measured=cli_s.fmt(seconds),
        reference=f"import requests, lxml.etree: {base_s.fmt(seconds)}",
        ratio=ratio(value),
        goal=GOAL,
        met=met,
        facts=facts,
    )


def _config(directory: str) -> Path:
    path = Path(directory) / "nowait.json"
    plan = {"duration": 0.2, "queued": 0, "cdf_size": 1024, "provenance": False}
    path.write_bytes(srv.config("nowait", **plan))
    return path


def run(quick: bool) -> List[Row]:
    with tempfile.TemporaryDirectory(prefix="uws-bench-cold-") as cwd:
        rows = [_row(FIGURE, CLI, cwd, quick)]
        server = srv.start()
        try:
            submit = [
                *CLI[:3],
                str(_config(cwd)),
                "--server",
                server.rest_url,
                "--no-wait",
                "--quiet",
            ]
            rows.append(_row(NO_WAIT_FIGURE, submit, cwd, quick))
        finally:
            server.stop()
    return rows
