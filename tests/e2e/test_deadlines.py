"""Deadlines that hold, end to end (issue 11, point 1 and "Also found"):

- ``uws_call_expres(timeout=5)`` and ``attach(timeout=5)`` end within the deadline plus the
  stated margin when the server holds, trickles or rate-limits the wait (before: 35-300 s);
- a download that stalls (no byte, connection open) is noticed after ``stall_timeout``
  (20 s by default, not the 90 s read timeout) and resumed with Range;
- a download's total ``timeout`` raises DownloadTimeout on time (download_many: every
  unfinished item fails with it), leaving no file.

Timing is asserted generously (bound + 5 s) so a loaded machine does not make them flaky.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import pytest

from uws_call_expres import attach
from uws_lite import Client, DownloadTimeout, WaitTimeout
from uws_lite.models import Result
from uws_lite.testing.faults import FOREVER, Faults
from uws_lite.transport import DEFAULT_STALL_TIMEOUT
from uws_lite.wait import DEADLINE_MARGIN

pytestmark = pytest.mark.e2e

WAITS = r"^GET /rest/ExPRES(-dev)?/\w+\?.*WAIT="
SLACK = 5.0
SIZE = 4 << 20  # 4 chunks of a download: a stall at 60 % leaves 2 MiB written, resumed


def _huge_retry_after(f: Faults) -> None:
    f.status_429, f.retry_after = FOREVER, "999999999"


def _held(f: Faults) -> None:
    f.hold_requests = 120.0


def _trickle(f: Faults) -> None:
    f.trickle_delay = 2.0


HOSTILE: Dict[str, Callable[[Faults], None]] = {
    "huge-retry-after": _huge_retry_after,
    "held": _held,
    "trickle": _trickle,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_uws_call_expres_timeout_holds(ws: Any, name: str) -> None:
    ws.server.faults.request_filter = WAITS  # the submission goes through, the wait does not
    HOSTILE[name](ws.server.faults)
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as info:
        ws.run(ws.config(duration=600), LOOP=True, timeout=5, verbose=False)
    elapsed = time.monotonic() - started
    assert elapsed < 5 + DEADLINE_MARGIN + SLACK, f"{name}: {elapsed:.1f} s"
    assert info.value.job.phase.value in ("QUEUED", "EXECUTING")
    ws.check_clean()


def test_attach_timeout_holds(ws: Any) -> None:
    run = ws.run(ws.config(duration=600), LOOP=False, verbose=False)
    ws.server.faults.request_filter = WAITS
    _held(ws.server.faults)
    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        attach(
            run.job_id,
            server=ws.server.rest_url,
            output_dir=ws.out,
            timeout=5,
            verbose=False,
            progress=False,
        )
    assert time.monotonic() - started < 5 + DEADLINE_MARGIN + SLACK


# -- downloads ------------------------------------------------------------------------------


def _completed_result(ws: Any, size: int = SIZE) -> Tuple[Client, Result]:
    client = Client(ws.server.list_url())
    job = client.new_job(files={"config": ws.config(cdf_size=size, duration=0.1)}, run=True)
    job = client.wait(job.job_id, timeout=30)
    assert job.phase.value == "COMPLETED"
    result = next(r for r in job.results if r.id.endswith(".cdf"))  # cdf_size bytes
    assert result.sha1  # checked by every download below
    return client, result


def _ranged_gets(ws: Any) -> int:
    return sum(
        1
        for r in ws.server.requests
        if r.path == "/store" and any(k.lower() == "range" for k, _ in r.headers)
    )


def test_a_stalled_download_is_resumed_after_the_stall_timeout(ws: Any, tmp_path: Path) -> None:
    client, result = _completed_result(ws)
    ws.server.faults.stall_download_at = 0.6  # silent, connection open, for 120 s
    started = time.monotonic()
    path = client.download(result, tmp_path / "dl" / "r.cdf", stall_timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 10, f"{elapsed:.1f} s"  # the old code waited the 90 s read timeout
    assert path.stat().st_size == SIZE  # and its SHA-1 was checked by download
    assert _ranged_gets(ws) == 1  # resumed where it stalled, not started again
    client.close()


def test_the_default_stall_timeout_is_well_below_the_read_timeout(ws: Any, tmp_path: Path) -> None:
    assert DEFAULT_STALL_TIMEOUT <= 20
    client, result = _completed_result(ws)
    ws.server.faults.stall_download_at = 0.6
    started = time.monotonic()
    client.download(result, tmp_path / "dl" / "r.cdf")  # Client's read timeout is 90 s
    elapsed = time.monotonic() - started
    assert elapsed < DEFAULT_STALL_TIMEOUT + 15, f"{elapsed:.1f} s"
    assert _ranged_gets(ws) == 1
    client.close()


def test_a_download_total_timeout_raises_on_time_and_leaves_nothing(
    ws: Any, tmp_path: Path
) -> None:
    client, result = _completed_result(ws)
    ws.server.faults.stall_download_at = 0.5
    ws.server.faults.stall_download_count = FOREVER  # every attempt stalls
    started = time.monotonic()
    with pytest.raises(DownloadTimeout, match="deadline"):
        client.download(result, tmp_path / "dl" / "r.cdf", timeout=3, stall_timeout=20)
    assert time.monotonic() - started < 3 + DEADLINE_MARGIN + SLACK
    assert list((tmp_path / "dl").iterdir()) == []  # no file, no .part
    client.close()


def test_download_many_total_timeout_bounds_all_of_them(ws: Any, tmp_path: Path) -> None:
    client, result = _completed_result(ws)
    ws.server.faults.stall_download_at = 0.5
    ws.server.faults.stall_download_count = FOREVER
    started = time.monotonic()
    report = client.download_many(
        [(result, tmp_path / "dl" / "a.cdf"), (result, tmp_path / "dl" / "b.cdf")], timeout=3
    )
    assert time.monotonic() - started < 3 + DEADLINE_MARGIN + SLACK
    assert [type(o.error) for o in report] == [DownloadTimeout, DownloadTimeout]  # both FAILED
    with pytest.raises(DownloadTimeout):
        report.raise_for_failures()
    assert list((tmp_path / "dl").iterdir()) == []
    client.close()


def test_a_download_within_its_total_timeout_completes(ws: Any, tmp_path: Path) -> None:
    client, result = _completed_result(ws)
    path = client.download(result, tmp_path / "dl" / "r.cdf", timeout=60)
    assert path.stat().st_size == SIZE
    client.close()
