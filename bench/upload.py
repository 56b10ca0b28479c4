"""Issue 12: peak RSS of creating a job with a large ephemeris upload.

    python -m bench.upload [--quick]      # prints a markdown table

Against the embedded OPUS server (in this process), each upload runs in a fresh child
(``child_upload.py``) that reports its own peak RSS (VmHWM): ``Client.new_job(files=...)``
(streamed multipart) vs ``requests.post(files=...)`` (the file read into memory, the old
way), at two file sizes, to show whether RSS grows with the file. Goal: 200 MiB upload,
peak RSS flat in the file size, ≤ 60 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

if __package__ in (None, ""):  # python bench/upload.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import proc
from bench.stats import Samples, megabytes, seconds
from bench.table import Row, render

GOAL_RSS = 60e6
MiB = 1 << 20
# A trimmed ExPRES config (the embedded server reads it); the ephemeris is the upload.
_CONFIG = {
    "SIMU": {"NAME": "upload", "OUT": ""},
    "NUMBER": {"BODY": 2, "DENSITY": 2, "SOURCE": 2},
    "TIME": {"MIN": 0, "MAX": 1440, "NBR": 1440},
    "FREQUENCY": {"TYPE": "Linear", "MIN": 0.01, "MAX": 44.0, "NBR": 781, "SC": ""},
    "OBSERVER": {"TYPE": "Fixed", "EPHEM": "", "PARENT": "Jupiter", "SC": "Earth"},
}


def _ephemeris(path: Path, size: int) -> None:
    line = b"2026-11-24T22:39:01.000  1.234567890E+05 -2.345678901E+05  3.456789012E+04\n"
    block = line * (MiB // len(line) + 1)
    with path.open("wb") as out:
        left = size
        while left > 0:
            out.write(block[: min(left, MiB)])
            left -= min(left, MiB)


def measure(sizes: Sequence[int], runs: int) -> Dict[str, Dict[int, List[Dict[str, Any]]]]:
    """``runs`` children per (variant, size)."""
    from bench import server as bench_server
    from uws_lite import Client

    proc.SCRATCH.mkdir(parents=True, exist_ok=True)
    config = proc.SCRATCH / "upload-config.json"
    config.write_text(json.dumps(_CONFIG))
    ephem = proc.SCRATCH / "upload-ephem.txt"
    out: Dict[str, Dict[int, List[Dict[str, Any]]]] = {"uws_lite": {}, "requests": {}}
    opus = bench_server.start()
    try:
        url = opus.list_url()
        for size in sizes:
            _ephemeris(ephem, size)
            for k in range(runs):
                # Interleaved, and the order alternates: A B, B A, ...
                for which in list(out) if k % 2 == 0 else list(out)[::-1]:
                    args = [which, url, str(config), str(ephem)]
                    done = proc.python_child("child_upload", args).json()
                    job_id = done["job_id"]
                    got = len(opus.job(job_id).uploads["ephemeride"].content)
                    if got != size:
                        raise RuntimeError(f"{which}: the server received {got} of {size} bytes")
                    with Client(url) as client:  # frees the server's copy of the upload
                        client.delete_job(job_id)
                    out[which].setdefault(size, []).append(done)
    finally:
        opus.stop()
        for path in (config, ephem):
            if path.exists():
                os.unlink(path)
    return out


def run(quick: bool) -> List[Row]:
    """The figure's row (the run.py interface)."""
    small, big = (1 * MiB, 20 * MiB) if quick else (10 * MiB, 200 * MiB)
    results = measure((small, big), 1 if quick else 3)
    rss = {
        w: {s: Samples.of(f["peak_rss"] for f in fs) for s, fs in r.items()}
        for w, r in results.items()
    }
    wall = Samples.of(f["seconds"] for f in results["uws_lite"][big])
    growth = rss["uws_lite"][big].median - rss["uws_lite"][small].median
    met = rss["uws_lite"][big].median <= GOAL_RSS and growth < 5e6
    return [
        Row(
            figure=f"upload of a {big // MiB} MiB ephemeris: peak RSS of the process",
            measured=f"{rss['uws_lite'][big].fmt(megabytes)} (new_job {wall.fmt(seconds)})",
            reference=f"requests files=: {rss['requests'][big].fmt(megabytes)}",
            ratio="–",
            goal="flat in the file size, ≤ 60 MB",
            met=None if quick else met,
            facts=(
                f"uws_lite {rss['uws_lite'][small].fmt(megabytes)} at {small // MiB} MiB "
                f"(growth {megabytes(growth)}); requests "
                f"{rss['requests'][small].fmt(megabytes)} at {small // MiB} MiB"
            ),
            info=quick,
        )
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 and 20 MiB, one run")
    args = parser.parse_args(argv)
    sys.stdout.write(render(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
