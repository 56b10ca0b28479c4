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
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRATCH = BENCH / ".scratch"
# The bench measures what a user runs after `pip install`, which compiles every module to
# bytecode once. A shell with PYTHONDONTWRITEBYTECODE=1 makes every start compile the whole
# package again (+45 ms of CPU for a `--no-wait` submission on the reference machine), so
# children always run with the bytecode cache on.
NO_CACHE_VARIABLE = "PYTHONDONTWRITEBYTECODE"


def child_environ(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """This process's environment for a child, bytecode cache on, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != NO_CACHE_VARIABLE}
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Finished:
    """A finished child: its stdout, wall time seen from here, its own peak RSS, its CPU time.

    ``peak_rss`` is the child's own high-water mark (``VmHWM`` of ``/proc/<pid>/status``,
    read while it runs), not ``wait4``'s ``ru_maxrss``: on Linux that one keeps the largest
    RSS the process had before ``exec``, i.e. the forking Python parent's (51 MB reported
    for a curl that peaks at 11 MB). 0 where /proc is not available.
    """

    stdout: str
    wall: float
    peak_rss: int
    cpu: float  # user + system seconds of the child (all its threads), from wait4
    cpu_trace: Tuple[Tuple[float, float], ...] = ()
    """(``time.time()``, cumulative CPU seconds of the child) while it ran, when asked for."""

    def json(self) -> Dict[str, Any]:
        """The child's last stdout line, read as JSON (children print one object)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        value = json.loads(lines[-1])
        assert isinstance(value, dict)
        return value

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds the child spent between two ``time.time()`` instants (interpolated
        between the samples of ``cpu_trace``; needs ``run(..., trace_every=...)``)."""
        return _interpolate(self.cpu_trace, end) - _interpolate(self.cpu_trace, start)


def _interpolate(trace: Sequence[Tuple[float, float]], when: float) -> float:
    if not trace:
        raise ValueError("no CPU samples: run the child with trace_every")
    if when <= trace[0][0]:
        return trace[0][1]
    for (t0, c0), (t1, c1) in zip(trace, trace[1:]):
        if t0 <= when <= t1:
            return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1
    return trace[-1][1]


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _own_hwm(pid: int) -> int:
    """VmHWM of a running process in bytes (0 once it has exited or without /proc)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU seconds of a running process (all threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


def run(
    cmd: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 300.0,
    cwd: Optional[Path] = None,
    trace_every: Optional[float] = None,
) -> Finished:
    """Run ``cmd`` and wait for it, reading its own peak RSS while it runs (``env``: the
    child's whole environment; default :func:`child_environ`).

    Output goes to temporary files, not pipes, so the child can be reaped with ``wait4``
    (``communicate`` would reap it and lose its resource usage). ``trace_every``: seconds
    between samples of the child's cumulative CPU time (``Finished.cpu_trace``).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=str(cwd or ROOT),
            env=dict(env) if env is not None else child_environ(),
            stdout=out,
            stderr=err,
        )
        deadline = start + timeout
        peak = 0
        trace: List[Tuple[float, float]] = []
        next_sample = start
        while True:
            # Read before reaping: once reaped, /proc/<pid> is gone (or another process's).
            peak = max(peak, _own_hwm(proc.pid))
            now = time.perf_counter()
            if trace_every is not None and now >= next_sample:
                cpu = _cpu_seconds(proc.pid)
                if cpu is not None:
                    trace.append((time.time(), cpu))
                next_sample = now + trace_every
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if now > deadline:
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
    cpu_total = usage.ru_utime + usage.ru_stime
    if trace_every is not None:
        trace.append((time.time(), cpu_total))
    return Finished(stdout=stdout, wall=wall, peak_rss=peak, cpu=cpu_total, cpu_trace=tuple(trace))


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
    env = child_environ(env)
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
