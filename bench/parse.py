"""Figure: parse a 10 000-job list and a job with 1 000 results, uws_lite vs pyvo.

pyvo (with astropy and numpy) is installed into bench/.pyvo on first use, for the bench only;
each parser runs in its own process on the same bytes (OPUS-style documents, bench/uwsdocs.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from . import proc, uwsdocs
from .stats import Samples, ratio, seconds
from .table import Row

GOAL = "≤ 0.1 × pyvo's time"
LIMIT = 0.1
PYVO_DIR = proc.BENCH / ".pyvo"


def ensure_pyvo() -> Path:
    """Install pyvo into bench/.pyvo unless it is there already (never into the env)."""
    if (PYVO_DIR / "pyvo" / "io" / "uws").is_dir():
        return PYVO_DIR
    print("  installing pyvo into bench/.pyvo (first run only) ...", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(PYVO_DIR), "pyvo"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install --target bench/.pyvo pyvo failed: {done.stderr[-400:]}")
    return PYVO_DIR


def _row(figure: str, key: str, mine: Dict[str, Any], pyvo: Dict[str, Any]) -> Row:
    m, p = Samples.of(mine[key]["times"]), Samples.of(pyvo[key]["times"])
    value = m.median / p.median
    facts = f"both read {mine[key]['count']} items" + (
        "" if mine[key]["count"] == pyvo[key]["count"] else f" (pyvo: {pyvo[key]['count']}!)"
    )
    floor = Samples.of(mine[f"{key}_lxml"]["times"])
    facts += (
        f"; uws_lite {m.median * 1e6 / max(1, mine[key]['count']):.1f} µs per item, pyvo"
        f" {p.median * 1e6 / max(1, pyvo[key]['count']):.1f} µs; lxml building the tree"
        f" alone (no UWS objects): {floor.fmt(seconds)} = {ratio(floor.median / p.median)}"
        " pyvo"
    )
    return Row(
        figure=figure,
        measured=m.fmt(seconds),
        reference=f"pyvo.io.uws: {p.fmt(seconds)}",
        ratio=ratio(value),
        goal=GOAL,
        met=value <= LIMIT,
        facts=facts,
    )


def run(quick: bool) -> List[Row]:
    n_jobs, n_results = (10_000, 1_000) if not quick else (1_000, 100)
    rounds = 1 if quick else 3
    repeats_list, repeats_job = (1, 1) if quick else (2, 7)
    pyvo_dir = ensure_pyvo()
    proc.SCRATCH.mkdir(parents=True, exist_ok=True)
    list_path = proc.SCRATCH / "joblist.xml"
    job_path = proc.SCRATCH / "job.xml"
    list_path.write_bytes(uwsdocs.job_list(n_jobs))
    job_path.write_bytes(uwsdocs.job_with_results(n_results))
    rows: List[Row] = []
    try:
        # Rounds alternate the two parsers' processes, and which of them goes first, so that
        # a noisy moment of the shared machine does not hit only one of them.
        results: Dict[str, Dict[str, Any]] = {}
        for k in range(rounds):
            for which in ("uws_lite", "pyvo") if k % 2 == 0 else ("pyvo", "uws_lite"):
                out = proc.python_child(
                    "child_parse",
                    [which, str(list_path), str(job_path), str(repeats_list), str(repeats_job)],
                    extra_path=pyvo_dir if which == "pyvo" else None,
                ).json()
                merged = results.setdefault(which, {})
                for key, value in out.items():
                    entry = merged.setdefault(key, {"times": [], "count": value["count"]})
                    entry["times"].extend(value["times"])
        rows.append(
            _row(
                f"parse a {n_jobs:,}-job list",
                "list",
                results["uws_lite"],
                results["pyvo"],
            )
        )
        rows.append(
            _row(
                f"parse a job with {n_results:,} results",
                "job",
                results["uws_lite"],
                results["pyvo"],
            )
        )
    finally:
        list_path.unlink(missing_ok=True)
        job_path.unlink(missing_ok=True)
    return rows
