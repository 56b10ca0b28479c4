"""Deadlines that hold (issue 11, point 1): ``Client.wait(timeout=4)`` ends within its
deadline plus the stated margin, whatever the embedded server does — a huge Retry-After,
429 or 503 forever, requests held past WAIT, a job document trickled byte by byte or
stalled after its first byte. Before the fix these ran 35-300 s.

And numbers that are checked (point 2): NaN, infinities, booleans, strings and out-of-range
values are refused with InvalidRequest before any request, at every entry point of
uws_lite that takes a timeout, a duration, a size or a count.

Timing is asserted generously (T + margin + 5 s): on a loaded machine a test can be slow,
but never by the tens of seconds the old code took.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from uws_lite import Client, WaitTimeout
from uws_lite.errors import InvalidRequest, RequestTimeout, UWSError
from uws_lite.numbers import check_count, check_seconds
from uws_lite.testing.faults import FOREVER, Faults
from uws_lite.wait import DEADLINE_MARGIN, WaitPolicy

T = 4.0
SLACK = 5.0  # for a loaded 2-core machine; the old code overshot by 30-300 s
WAITS = r"^GET /rest/ExPRES/\w+\?.*WAIT="  # the blocking GETs, after the first plain one
EVERY_GET = r"^GET /rest/ExPRES/\w+"


def _huge_retry_after(f: Faults) -> None:
    f.status_429, f.retry_after = FOREVER, "999999999"


def _429_forever(f: Faults) -> None:
    f.status_429, f.retry_after = FOREVER, "10"  # an ordinary "come back later"


def _503_forever(f: Faults) -> None:
    f.status_503, f.retry_after = FOREVER, "10"


def _held(f: Faults) -> None:
    f.hold_requests = 120.0  # far longer than any WAIT the client asks for


def _trickle(f: Faults) -> None:
    f.trickle_delay = 2.0  # 1 byte every 2 s: each read gets a byte before its timeout


def _trickled_headers(f: Faults) -> None:
    f.trickle_delay, f.trickle_headers = 2.0, True  # the status line and headers too


def _stall(f: Faults) -> None:
    f.trickle_delay = 120.0  # the first byte, then silence with the connection open


HOSTILE: Dict[str, Callable[[Faults], None]] = {
    "huge-retry-after": _huge_retry_after,
    "429-forever": _429_forever,
    "503-forever": _503_forever,
    "held": _held,
    "trickle": _trickle,
    "trickled-headers": _trickled_headers,
    "stall": _stall,
}


@pytest.fixture
def running(opus_server: Any) -> Any:
    """A guest client and a job that stays EXECUTING (seeded: never ends by itself)."""
    client = Client(opus_server.list_url())
    yield client, opus_server.seed_jobs(1, phase="EXECUTING")[0]
    client.close()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_wait_deadline_holds_on_a_hostile_server(running: Any, opus_server: Any, name: str) -> None:
    client, job_id = running
    opus_server.faults.request_filter = WAITS
    HOSTILE[name](opus_server.faults)
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as info:
        client.wait(job_id, timeout=T)
    elapsed = time.monotonic() - started
    assert elapsed < T + DEADLINE_MARGIN + SLACK, f"{name}: {elapsed:.1f} s"
    assert info.value.job.job_id == job_id
    assert info.value.job.phase.value == "EXECUTING"
    assert info.value.timeout == T


@pytest.mark.parametrize("name", ["huge-retry-after", "held", "trickle", "trickled-headers"])
def test_deadline_holds_when_no_answer_ever_came(running: Any, opus_server: Any, name: str) -> None:
    # Every GET of the job is hostile, the first one included: no job was ever seen, so
    # the failure itself is raised (a typed UWSError), still within the bound.
    client, job_id = running
    opus_server.faults.request_filter = EVERY_GET
    HOSTILE[name](opus_server.faults)
    started = time.monotonic()
    with pytest.raises(UWSError) as info:
        client.wait(job_id, timeout=T)
    assert time.monotonic() - started < T + DEADLINE_MARGIN + SLACK
    assert not isinstance(info.value, WaitTimeout)


def test_huge_retry_after_is_cut_to_the_time_left_and_says_so(
    running: Any, opus_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, job_id = running
    opus_server.faults.request_filter = WAITS
    _huge_retry_after(opus_server.faults)
    with caplog.at_level(logging.WARNING, logger="uws_lite._retry"), pytest.raises(WaitTimeout):
        client.wait(job_id, timeout=T)
    said = [r.getMessage() for r in caplog.records]
    assert any("retry after" in m and "left before the deadline" in m for m in said), said


def test_without_a_deadline_a_huge_retry_after_is_capped_and_logged(
    opus_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = opus_server.seed_jobs(1, phase="EXECUTING")[0]
    opus_server.faults.status_429, opus_server.faults.retry_after = 1, "999999999"
    with (
        Client(opus_server.list_url(), max_retry_after=0.5) as client,
        caplog.at_level(logging.WARNING, logger="uws_lite._retry"),
    ):
        assert client.get_job(job_id).phase.value == "EXECUTING"  # retried after 0.5 s
    assert any("max_retry_after" in r.getMessage() for r in caplog.records)


def test_a_held_wait_still_returns_the_end_when_it_comes_in_time(
    running: Any, opus_server: Any
) -> None:
    # The deadline machinery must not break the normal case: a slow server that answers
    # within the time left is waited for.
    client, job_id = running
    opus_server.faults.request_filter = WAITS
    opus_server.faults.hold_requests = 0.5
    opus_server.faults.wait_ignored = True
    with pytest.raises(WaitTimeout):
        client.wait(job_id, timeout=2.5)
    waits = [r for r in opus_server.requests if "WAIT=" in r.query and r.status == 200]
    assert waits, "no held request was answered within the deadline"


@pytest.mark.parametrize("name", ["held", "trickle", "trickled-headers", "stall"])
@pytest.mark.parametrize("what", ["job", "job list"])
def test_a_read_with_a_timeout_ends_at_its_bound(
    running: Any, opus_server: Any, name: str, what: str
) -> None:
    # The JobWatcher's ticks bound each request this way: a hung list must not hold them.
    client, job_id = running
    opus_server.faults.request_filter = EVERY_GET if what == "job" else r"^GET /rest/ExPRES\?"
    HOSTILE[name](opus_server.faults)
    read: Callable[[], Any] = lambda: client.get_job(job_id, timeout=1.0)  # noqa: E731
    if what == "job list":
        read = lambda: client.get_job_list(phases=["EXECUTING"], timeout=1.0)  # noqa: E731
    with pytest.raises(RequestTimeout):
        read()


# -- numbers that are checked ----------------------------------------------------------------

NOT_SECONDS = [math.nan, math.inf, -math.inf, True, False, "5", -1, -0.5]
NOT_COUNTS = [math.nan, math.inf, True, 1.5, "3", 2.0]


@pytest.mark.parametrize("bad", NOT_SECONDS)
def test_check_seconds_refuses(bad: Any) -> None:
    with pytest.raises(InvalidRequest):
        check_seconds(bad, "timeout")


def test_check_seconds_accepts_and_says_what() -> None:
    assert check_seconds(3, "t") == 3.0
    assert check_seconds(0, "t", zero_ok=True) == 0.0
    assert check_seconds(math.inf, "t", infinite_ok=True) == math.inf
    with pytest.raises(InvalidRequest, match="NaN"):
        check_seconds(math.nan, "the timeout")
    with pytest.raises(InvalidRequest, match="> 0"):
        check_seconds(0, "t")


@pytest.mark.parametrize("bad", NOT_COUNTS)
def test_check_count_refuses(bad: Any) -> None:
    with pytest.raises(InvalidRequest):
        check_count(bad, "n")


def test_check_count_range_and_error_type() -> None:
    class Mine(InvalidRequest):
        pass

    assert check_count(0, "n", minimum=0) == 0
    with pytest.raises(Mine, match="at least 1"):
        check_count(0, "n", error=Mine)
    with pytest.raises(InvalidRequest, match="at most 3"):
        check_count(4, "n", maximum=3)


@pytest.mark.parametrize("bad", NOT_SECONDS)
def test_wait_timeout_refused_before_any_request(opus_server: Any, bad: Any) -> None:
    with Client(opus_server.list_url()) as client, pytest.raises(InvalidRequest):
        client.wait("abc123", timeout=bad)
    assert opus_server.requests == ()


@pytest.mark.parametrize("bad", [*NOT_SECONDS, 0])
def test_read_timeouts_refused_before_any_request(opus_server: Any, bad: Any) -> None:
    with Client(opus_server.list_url()) as client:
        with pytest.raises(InvalidRequest):
            client.get_job("abc123", timeout=bad)
        with pytest.raises(InvalidRequest):
            client.get_job_list(timeout=bad)
    assert opus_server.requests == ()


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, 1.5, "3", -2])
def test_get_job_wait_refused_before_any_request(opus_server: Any, bad: Any) -> None:
    with Client(opus_server.list_url()) as client, pytest.raises(InvalidRequest):
        client.get_job("abc123", wait=bad)
    assert opus_server.requests == ()


@pytest.mark.parametrize(
    "timeout", [math.nan, math.inf, True, 0, -1, "10", (math.nan, 5), (5, math.inf), (1, True)]
)
def test_client_timeout_refused(timeout: Any) -> None:
    with pytest.raises(InvalidRequest):
        Client("https://example.org/rest/ExPRES", timeout=timeout)


@pytest.mark.parametrize(
    "options", [{"retries": True}, {"retries": 1.5}, {"max_retry_after": math.nan}]
)
def test_client_retry_numbers_refused(options: Dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        Client("https://example.org/rest/ExPRES", **options)


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, 1.5, -1, "60"])
def test_execution_duration_refused_before_any_request(opus_server: Any, bad: Any) -> None:
    with Client(opus_server.list_url()) as client, pytest.raises(InvalidRequest):
        client.set_execution_duration("abc123", bad)
    assert opus_server.requests == ()


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": math.nan},
        {"timeout": math.inf},
        {"timeout": True},
        {"timeout": 0},
        {"stall_timeout": math.nan},
        {"stall_timeout": False},
    ],
)
def test_download_numbers_refused_before_any_request(
    opus_server: Any, tmp_path: Path, options: Dict[str, Any]
) -> None:
    href = opus_server.base_url + "/store?ID=1"
    with Client(opus_server.list_url()) as client:
        with pytest.raises(InvalidRequest):
            client.download(href, tmp_path / "a", **options)
        with pytest.raises(InvalidRequest):
            client.download_many([(href, tmp_path / "b")], **options)
    assert opus_server.requests == ()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", [True, 0, 1.5, math.nan])
def test_download_many_max_workers_refused(opus_server: Any, tmp_path: Path, bad: Any) -> None:
    href = opus_server.base_url + "/store?ID=1"
    with Client(opus_server.list_url()) as client, pytest.raises(InvalidRequest):
        client.download_many([(href, tmp_path / "a")], max_workers=bad)
    assert opus_server.requests == ()


@pytest.mark.parametrize(
    "options",
    [{"max_wait": True}, {"first_delay": math.nan}, {"max_delay": math.inf}, {"max_wait": 1.5}],
)
def test_wait_policy_numbers_refused(options: Dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        WaitPolicy(**options)
