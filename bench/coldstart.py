"""Figure: ``python -m uws_call_expres --help`` cold start vs importing requests + lxml.

Hyperfine-like: warm-up runs, then the two commands interleaved many times, each a fresh
interpreter; wall time of the whole process is measured from here.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Sequence, Tuple

from .stats import Samples, ratio, seconds
from .table import Row

FIGURE = "`python -m uws_call_expres --help` cold start"
GOAL = "≤ 1.3 × `python -c 'import requests, lxml.etree'`"
LIMIT = 1.3

CLI = [sys.executable, "-m", "uws_call_expres", "--help"]
BASELINE = [sys.executable, "-c", "import requests, lxml.etree"]


def _time(cmd: Sequence[str], cwd: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[1:])} exited {done.returncode}: {done.stderr.decode()[-300:]}"
        )
    return elapsed


def _import_costs(cmd: Sequence[str], cwd: str) -> Dict[str, int]:
    """Top-level package -> cumulative import time (µs), from ``-X importtime``."""
    done = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    costs: Dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = [f.strip() for f in line[len("import time:") :].split("|")]
        try:
            cumulative = int(fields[1])
        except (ValueError, IndexError):
            continue
        name = fields[2]
        if name == name.lstrip():  # only the top level of the import tree
            costs[name.split(".")[0]] = costs.get(name.split(".")[0], 0) + cumulative
    return costs


def _why(cwd: str) -> str:
    cli = _import_costs(CLI, cwd)
    base = _import_costs(BASELINE, cwd)
    extra: List[Tuple[str, int]] = sorted(
        ((name, us) for name, us in cli.items() if name not in base),
        key=lambda item: -item[1],
    )
    top = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in extra[:5] if us >= 1000)
    return f"imports the baseline does not make (-X importtime, cumulative): {top or 'none'}"


def run(quick: bool) -> List[Row]:
    runs = 3 if quick else 20
    with tempfile.TemporaryDirectory(prefix="uws-bench-cold-") as cwd:
        for _ in range(1 if quick else 3):  # warm the page cache and .pyc files
            _time(CLI, cwd)
            _time(BASELINE, cwd)
        cli: List[float] = []
        base: List[float] = []
        for _ in range(runs):
            cli.append(_time(CLI, cwd))
            base.append(_time(BASELINE, cwd))
        cli_s, base_s = Samples.of(cli), Samples.of(base)
        value = cli_s.median / base_s.median
        # Paired ratios show the noise of the shared machine.
        paired = Samples.of(c / b for c, b in zip(cli, base))
        met = value <= LIMIT
        facts = f"paired ratios {paired.fmt(ratio)}"
        if not met:
            facts += "; " + _why(cwd)
    return [
        Row(
            figure=FIGURE,
            measured=cli_s.fmt(seconds),
            reference=f"import requests, lxml.etree: {base_s.fmt(seconds)}",
            ratio=ratio(value),
            goal=GOAL,
            met=met,
            facts=facts,
        )
    ]
