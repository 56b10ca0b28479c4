"""Run every benchmark figure (issues 5 and 12) in one go and write the table to bench/RESULTS.md.

    python bench/run.py            # the full run (< 10 minutes on 2 cores)
    python bench/run.py --quick    # smoke run: small sizes, one repetition, writes nothing tracked
    python bench/run.py --only parse,coldstart

Everything runs on loopback against uws_lite.testing's OPUS-compatible server.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

# `python bench/run.py` puts bench/ on sys.path; the figures import each other as the
# package `bench`, so the repository root goes first.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench import machine, proc  # noqa: E402
from bench.table import Row, failed, render  # noqa: E402

# (name, module, what the figure is; used when the module itself cannot run)
FIGURES: Tuple[Tuple[str, str, str], ...] = (
    ("latency", "bench.latency", "completion detection latency and status requests per job"),
    ("download", "bench.download", "1 GiB download, peak RSS, resume, 8 parallel results"),
    ("download_cli", "bench.download_cli", "`uws-lite download` of 1 GiB vs `curl -o`"),
    ("parse", "bench.parse", "parse a 10 000-job list / a job with 1 000 results"),
    ("coldstart", "bench.coldstart", "cold start: `--help` and a `--no-wait` submission"),
    ("sweep", "bench.sweep", "sweep of 50 one-second jobs, max-parallel 8"),
    ("waitload", "bench.waitload", "sweep of 100 × 20 s jobs: requests/s, detection, CPU"),
    ("joblist", "bench.joblist", "get_job_list() of a 100 000-job list: time, extra peak RSS"),
    ("upload", "bench.upload", "job creation with a 200 MiB ephemeris upload: peak RSS"),
)


def _parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    names = [name for name, _, _ in FIGURES]
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmarks of uws_lite / uws_call_expres on loopback (issue 5).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: small sizes, one repetition (does not write bench/RESULTS.md)",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated figures to run (default all): {','.join(names)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the markdown (default bench/RESULTS.md; --quick: none)",
    )
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(only) - set(names))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    args.selected = only or names
    return args


def _run_figure(module_name: str, what: str, quick: bool) -> List[Row]:
    try:
        module = importlib.import_module(module_name)
        runner: Callable[[bool], List[Row]] = module.run
        return runner(quick)
    except Exception as error:  # one broken figure must not hide the others
        traceback.print_exc()
        return [failed(what, "see bench/README.md", error)]


def _loads(spent: List[Tuple[str, float, float, float]]) -> str:
    """How loaded the shared machine was during each figure (1-minute load average)."""
    lines = ["| figure | wall | load before | load after |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {wall:.0f} s | {before:.2f} | {after:.2f} |"
        for name, wall, before, after in spent
    ]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parse_args(argv)
    started = time.perf_counter()
    rows: List[Row] = []
    spent: List[Tuple[str, float, float, float]] = []
    for name, module_name, what in FIGURES:
        if name not in args.selected:
            continue
        print(f"[{time.perf_counter() - started:6.1f} s] {name}: {what}", flush=True)
        figure_start = time.perf_counter()
        load_before = machine.load()
        rows.extend(_run_figure(module_name, what, args.quick))
        wall = time.perf_counter() - figure_start
        spent.append((name, wall, load_before, machine.load()))
        print(f"         {name} took {wall:.1f} s", flush=True)
    shutil.rmtree(proc.SCRATCH, ignore_errors=True)
    total = time.perf_counter() - started
    table = render(rows)
    mode = "quick (smoke) run" if args.quick else "full run"
    text = (
        "# Benchmark results\n\n"
        f"`python bench/run.py{' --quick' if args.quick else ''}`"
        f"{' --only ' + ','.join(args.selected) if args.only else ''}: {mode},"
        f" {total:.0f} s wall in total.\n"
        "All figures on loopback against `uws_lite.testing`'s OPUS-compatible server;"
        " medians with [min–max] and the number of runs; ratios = package / reference.\n\n"
        "## Machine\n\n"
        + machine.describe()
        + "\nLoad of the machine (1-minute load average; other work shares it) during each"
        " figure:\n\n" + _loads(spent) + "\n## Results\n\n" + table
    )
    print()
    print(text)
    output = args.output
    if output is None and not args.quick:
        output = Path(__file__).resolve().parent / "RESULTS.md"
    if output is not None:
        output.write_text(text, encoding="utf-8")
        print(f"written to {output}")
    unmeasured = [row for row in rows if row.unmeasured]
    return 1 if unmeasured else 0


if __name__ == "__main__":
    sys.exit(main())
