"""Child processes of the bench: paths, running ``python -m bench.<child>``, peak RSS.

Every figure that measures memory or compares against another tool runs it in its own
process so that one variant's allocations cannot pollute another's numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRATCH = BENCH / ".scratch"


@dataclass(frozen=True)
class Finished:
    """A finished child: its stdout, wall time seen from here, and peak RSS in bytes."""

    stdout: str
    wall: float
    max_rss: int

    def json(self) -> Dict[str, Any]:
        """The child's last stdout line, read as JSON (children print one object)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        value = json.loads(lines[-1])
        assert isinstance(value, dict)
        return value


def run(
    cmd: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 300.0,
    cwd: Optional[Path] = None,
) -> Finished:
    """Run ``cmd``; its own peak RSS comes from ``wait4`` (ru_maxrss, KiB on Linux).

    Output goes to temporary files, not pipes, so the child can be reaped with ``wait4``
    (``communicate`` would reap it and lose its resource usage).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=str(cwd or ROOT),
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=err,
        )
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise RuntimeError(f"{' '.join(cmd)} did not finish in {timeout:.0f} s")
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {stderr[-600:]}")
    return Finished(stdout=stdout, wall=wall, max_rss=int(usage.ru_maxrss) * 1024)


def python_child(
    module: str,
    args: Sequence[str],
    *,
    extra_path: Optional[Path] = None,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 300.0,
) -> Finished:
    """Run ``python -m bench.<module> args`` from the repository root (``env``: variables
    added to this process's environment; ``extra_path``: put first on ``sys.path``)."""
    env = {**os.environ, **(env or {})}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(extra_path), env.get("PYTHONPATH", "")) if p
        )
    return run([sys.executable, "-m", f"bench.{module}", *args], env=env, timeout=timeout)


def peak_rss_self() -> int:
    """This process's peak RSS in bytes (VmHWM, the kernel's high-water mark)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
