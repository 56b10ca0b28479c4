"""The DaCHS fixture's rule (issue 4 §3): under CI=true a DaCHS server that cannot be
started fails the tests; elsewhere they skip with the reason. Checked by running one DaCHS
test in a child pytest whose PATH has no ``dachs`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = (
    "tests/dachs/test_dachs.py::test_create_urlencoded_gives_a_pending_job_at_the_303_location"
)


def _run_without_dachs(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWS_DACHS_", "CI"))}
    env["PATH"] = str(tmp_path)  # an empty directory: no dachs, no pg_isready
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("ci", [True, False])
def test_missing_dachs_fails_under_ci_and_skips_elsewhere(tmp_path: Path, ci: bool) -> None:
    done = _run_without_dachs(tmp_path, ci)
    out = done.stdout + done.stderr
    if ci:
        assert done.returncode == 1, out
        assert "DaCHS is required when CI=true" in out
        assert "1 error" in out or "1 failed" in out
    else:
        assert done.returncode == 0, out
        assert "1 skipped" in out
        assert "DaCHS not available" in out
