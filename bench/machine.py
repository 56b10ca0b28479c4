"""The machine description written above the table (the numbers mean nothing without it)."""

from __future__ import annotations

import os
import platform
import shutil
import ssl
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from uws_lite import __version__


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _os() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, kernel {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def _version(cmd: List[str]) -> Optional[str]:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else None


def _package_versions(names: Sequence[str], path: Optional[Path] = None) -> str:
    """``name version`` of each installed distribution (from ``path`` only, if given)."""
    from importlib.metadata import PackageNotFoundError, distributions, version

    found: Dict[str, str] = {}
    if path is not None:
        for dist in distributions(path=[str(path)]):
            found[str(dist.metadata["Name"]).lower()] = dist.version
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {found[name] if path is not None else version(name)}")
        except (KeyError, PackageNotFoundError):
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def _peers() -> str:
    """pyvo and what it brings, from bench/.pyvo (installed by the parse figure)."""
    from .parse import PYVO_DIR

    if not PYVO_DIR.is_dir():
        return "not installed (the parse figure installs it into bench/.pyvo)"
    return _package_versions(("pyvo", "astropy", "numpy"), PYVO_DIR) + " (bench/.pyvo)"


def _page_reporting() -> str:
    """Whether freed memory is handed back to the hypervisor (it decides the page cache's
    speed: see bench/README.md, "Known limits")."""
    order = Path("/sys/module/page_reporting/parameters/page_reporting_order")
    try:
        value = order.read_text().strip()
    except OSError:
        return "no free page reporting (bare metal, or not a virtio-balloon guest)"
    return (
        f"virtio-balloon free page reporting on (order {value}): memory freed for ~2 s is"
        " handed back to the host, and the next writer pays host faults on it"
    )


def _bytecode() -> str:
    from .proc import NO_CACHE_VARIABLE

    if os.environ.get(NO_CACHE_VARIABLE):
        return (
            f"{NO_CACHE_VARIABLE} is set here; removed from every child's environment (the"
            " bench measures what runs after `pip install`, which compiles the modules)"
        )
    return "on (as after `pip install`)"


def load() -> float:
    """The 1-minute load average (the machine is shared)."""
    return os.getloadavg()[0]


def describe() -> str:
    """Markdown bullet list: CPU, cores, RAM, Python, OS, date, tools."""
    curl = _version(["curl", "--version"]) or "not installed"
    lines = [
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores",
        f"- RAM: {_ram()}",
        f"- OS: {_os()}",
        f"- memory: {_page_reporting()}",
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()}),"
        f" {_package_versions(('requests', 'urllib3', 'lxml'))}, {ssl.OPENSSL_VERSION}"
        f" (hashlib's SHA-1), uws_lite / uws_call_expres {__version__}",
        f"- bytecode cache: {_bytecode()}",
        f"- server: uws_lite.testing.OpusServer ({__version__};"
        " Python http.server threads, in the bench process; results generated on the fly"
        " and sent in 1 MiB writes)",
        f"- curl: {curl}",
        f"- sha1sum: {_version(['sha1sum', '--version']) or 'not installed'}",
        f"- pyvo: {_peers()}",
        f"- load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    return "\n".join(lines) + "\n"
