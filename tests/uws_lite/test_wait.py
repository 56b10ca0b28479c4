"""uws_lite.wait: the wait loop, against simulated servers on a fake clock.

A ``SimServer`` plays a phase timeline on the fake clock. Honouring WAIT, it holds a
request until the phase differs from the ``PHASE`` guard or ``WAIT`` seconds pass;
ignoring WAIT, it answers at once. Every request costs ``rtt`` seconds. Latencies here
are simulated seconds, not wall-clock time.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import pytest

from uws_lite.errors import (
    ConnectionFailed,
    ForbiddenError,
    HTTPStatusError,
    InvalidRequest,
    JobHeld,
    JobNotFound,
    JobNotStarted,
    ParseError,
    RequestTimeout,
    ServerError,
    ServiceErrorDocument,
    WaitTimeout,
)
from uws_lite.models import Job, Phase
from uws_lite.wait import WaitPolicy, wait_for_job

Timeline = Sequence[Tuple[float, str]]  # (seconds after start, phase from then on)


class SimServer:
    def __init__(
        self,
        clock: Any,
        timeline: Timeline,
        *,
        honours_wait: bool = True,
        rtt: float = 0.01,
        failures: Optional[dict[int, Exception]] = None,
    ) -> None:
        self.clock = clock
        self.t0 = clock()
        self.timeline = list(timeline)
        self.honours_wait = honours_wait
        self.rtt = rtt
        self.failures = failures or {}
        self.requests: List[Tuple[Optional[int], Optional[Phase], float]] = []

    def phase_at(self, t: float) -> Phase:
        phase = Phase.UNKNOWN
        for start, name in self.timeline:
            if t - self.t0 >= start:
                phase = Phase(name)
        return phase

    def next_change(self, t: float) -> Optional[float]:
        current = self.phase_at(t)
        for start, name in self.timeline:
            when = self.t0 + start
            if when > t and Phase(name) is not current:
                return when
        return None

    def end_time(self) -> float:
        return self.t0 + self.timeline[-1][0]

    def __call__(self, wait: Optional[int], phase: Optional[Phase]) -> Job:
        number = len(self.requests)
        self.requests.append((wait, phase, self.clock()))
        self.clock.now += self.rtt / 2
        if number in self.failures:
            self.clock.now += self.rtt / 2
            raise self.failures[number]
        now = self.clock()
        if (
            self.honours_wait
            and wait is not None
            and self.phase_at(now).is_active
            and (phase is None or phase is self.phase_at(now))
        ):
            limit = now + (600 if wait == -1 else wait)
            change = self.next_change(now)
            self.clock.now = min(limit, change) if change is not None else limit
        job = Job(job_id="2a3490", phase=self.phase_at(self.clock()))
        self.clock.now += self.rtt / 2
        return job


def run(
    server: SimServer,
    clock: Any,
    *,
    timeout: Optional[float] = None,
    policy: WaitPolicy = WaitPolicy(),  # noqa: B008
    on_change: Optional[Callable[[Job], None]] = None,
) -> Job:
    return wait_for_job(
        server,
        timeout=timeout,
        on_change=on_change,
        policy=policy,
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda d: d,
    )


# --- servers honouring WAIT ----------------------------------------------------------


@pytest.mark.parametrize("first", ["QUEUED", "EXECUTING"])
def test_honoured_wait_sees_the_end_at_once_with_few_requests(fake_clock: Any, first: str) -> None:
    server = SimServer(fake_clock, [(0, first), (0.5, "EXECUTING"), (60, "COMPLETED")])
    job = run(server, fake_clock, timeout=600)
    assert job.phase is Phase.COMPLETED
    assert len(server.requests) <= 4
    assert fake_clock() - server.end_time() <= 0.05
    assert fake_clock.sleeps == []  # the server did all the waiting
    # Every request after the first is a long-poll guarded by the phase last seen.
    for wait, phase, _ in server.requests[1:]:
        assert wait is not None
        assert wait <= 60
        assert phase in (Phase.QUEUED, Phase.EXECUTING)


def test_long_job_polls_in_bounded_waits(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING"), (250, "COMPLETED")])
    run(server, fake_clock, policy=WaitPolicy(max_wait=50))
    waits = [w for w, _, _ in server.requests[1:]]
    assert waits == [50] * 5  # 250 s in 50 s long-polls, the last answered at the change
    assert fake_clock() - server.end_time() <= 0.05


def test_wait_never_exceeds_time_left(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING")])
    with pytest.raises(WaitTimeout) as info:
        run(server, fake_clock, timeout=25.5)
    waits = [w for w, _, _ in server.requests if w is not None]
    assert waits[0] == 25
    assert all(w >= 1 for w in waits)
    assert info.value.job.phase is Phase.EXECUTING
    assert info.value.timeout == 25.5
    assert fake_clock() - server.t0 <= 25.5 + 0.05


# --- servers ignoring WAIT -----------------------------------------------------------


@pytest.mark.parametrize("duration", [0.3, 2, 10, 60, 300, 3600])
def test_ignored_wait_latency_bound(fake_clock: Any, duration: float) -> None:
    server = SimServer(
        fake_clock, [(0, "QUEUED"), (0.1, "EXECUTING"), (duration, "COMPLETED")], honours_wait=False
    )
    job = run(server, fake_clock)
    assert job.phase is Phase.COMPLETED
    latency = fake_clock() - server.end_time()
    assert latency <= max(0.5, 0.1 * duration)


def test_ignored_wait_backs_off_and_never_busy_loops(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING"), (600, "COMPLETED")], honours_wait=False)
    run(server, fake_clock)
    sleeps = fake_clock.sleeps
    assert sleeps[0] == pytest.approx(0.2)
    assert all(b >= a for a, b in zip(sleeps, sleeps[1:]))  # exponential, then capped
    assert max(sleeps) <= 10.0
    assert sleeps[-1] == pytest.approx(10.0)
    # At most one request without a pause before it (the one right after the first state).
    assert len(server.requests) <= len(sleeps) + 2
    assert len(server.requests) < 150  # 10 minutes of job: ~110 polls, not thousands


def test_jitter_only_shortens(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING"), (30, "COMPLETED")], honours_wait=False)
    wait_for_job(server, clock=fake_clock, sleep=fake_clock.sleep)  # default random jitter
    assert all(0 < s <= 10.0 for s in fake_clock.sleeps)
    assert fake_clock() - server.end_time() <= 3.0


def test_server_returning_early_sometimes_is_still_long_polled(fake_clock: Any) -> None:
    # Early answers get a pause, then WAIT is asked again (never given up).
    server = SimServer(fake_clock, [(0, "EXECUTING"), (100, "COMPLETED")], honours_wait=False)
    server.honours_wait = False
    original = server.__call__

    def flaky(wait: Optional[int], phase: Optional[Phase]) -> Job:
        server.honours_wait = len(server.requests) >= 5
        return original(wait, phase)

    wait_for_job(flaky, clock=fake_clock, sleep=fake_clock.sleep, jitter=lambda d: d)
    assert len(fake_clock.sleeps) >= 3
    assert all(w is not None for w, _, _ in server.requests[1:])
    assert fake_clock() - server.end_time() <= 0.05


# --- phases --------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["COMPLETED", "ERROR", "ABORTED", "ARCHIVED"])
def test_terminal_phases_are_returned(fake_clock: Any, end: str) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING"), (3, end)])
    assert run(server, fake_clock).phase is Phase(end)


@pytest.mark.parametrize("honours", [True, False])
def test_held_raises_job_held(fake_clock: Any, honours: bool) -> None:
    server = SimServer(fake_clock, [(0, "QUEUED"), (2, "HELD")], honours_wait=honours)
    with pytest.raises(JobHeld, match="HELD") as info:
        run(server, fake_clock, timeout=100)
    assert info.value.job.phase is Phase.HELD


@pytest.mark.parametrize("honours", [True, False])
def test_pending_forever_raises_job_not_started(fake_clock: Any, honours: bool) -> None:
    server = SimServer(fake_clock, [(0, "PENDING")], honours_wait=honours)
    with pytest.raises(JobNotStarted, match="PHASE=RUN") as info:
        run(server, fake_clock, timeout=600, policy=WaitPolicy(pending_grace=10))
    assert info.value.job.phase is Phase.PENDING
    assert 10 <= fake_clock() - server.t0 <= 12
    assert len(server.requests) >= 2


@pytest.mark.parametrize("honours", [True, False])
def test_pending_briefly_is_fine(fake_clock: Any, honours: bool) -> None:
    server = SimServer(
        fake_clock,
        [(0, "PENDING"), (4, "QUEUED"), (6, "EXECUTING"), (20, "COMPLETED")],
        honours_wait=honours,
    )
    assert run(server, fake_clock, policy=WaitPolicy(pending_grace=10)).phase is Phase.COMPLETED


@pytest.mark.parametrize("pause", ["SUSPENDED", "UNKNOWN"])
def test_suspended_and_unknown_keep_waiting(fake_clock: Any, pause: str) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING"), (5, pause), (40, "EXECUTING"), (50, "COMPLETED")]
    )
    seen: list[Phase] = []
    job = run(server, fake_clock, on_change=lambda j: seen.append(j.phase))
    assert job.phase is Phase.COMPLETED
    assert seen == [Phase.EXECUTING, Phase(pause), Phase.EXECUTING, Phase.COMPLETED]
    # Not active: WAIT must not block there (§2.2.1.2), so plain polls with pauses.
    paused = [r for r in server.requests if server.phase_at(r[2]) is Phase(pause)]
    assert paused
    assert all(w is None for w, _, _ in paused[1:])
    assert fake_clock.sleeps


def test_on_change_sees_first_state_and_each_change_once(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock, [(0, "QUEUED"), (1, "EXECUTING"), (9, "COMPLETED")], honours_wait=False
    )
    seen: list[Phase] = []
    run(server, fake_clock, on_change=lambda j: seen.append(j.phase))
    assert seen == [Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED]


def test_flapping_phases_still_pause(fake_clock: Any) -> None:
    # A server whose phase changes on every answer, instantly: changes alone never spin.
    answers: list[float] = []

    def alternate(wait: Optional[int], phase: Optional[Phase]) -> Job:
        answers.append(fake_clock())
        if fake_clock() - answers[0] >= 3:
            return Job(job_id="x", phase=Phase.COMPLETED)
        return Job(job_id="x", phase=Phase.QUEUED if len(answers) % 2 else Phase.EXECUTING)

    wait_for_job(alternate, clock=fake_clock, sleep=fake_clock.sleep, jitter=lambda d: d)
    assert len(fake_clock.sleeps) >= len(answers) // (WaitPolicy().max_quick_changes + 1) - 1
    assert len(answers) < 100


@pytest.mark.parametrize(
    ("phase", "error", "timeout"),
    [
        (Phase.HELD, JobHeld, 100.0),
        (Phase.PENDING, JobNotStarted, 100.0),
        (Phase.EXECUTING, WaitTimeout, 5.0),
    ],
)
def test_server_job_ids_are_shown_safely_in_messages(
    fake_clock: Any, phase: Phase, error: type, timeout: float
) -> None:
    # The job id comes from the server: the message shows it escaped (uws_lite.text).
    def fetch(wait: Optional[int], asked: Optional[Phase]) -> Job:
        fake_clock.now += 1
        return Job(job_id="ev\x1b[2Jil\u202e", phase=phase)

    with pytest.raises(error) as info:
        wait_for_job(fetch, timeout=timeout, clock=fake_clock, sleep=fake_clock.sleep)
    assert "Job ev\\x1b[2Jil\\u202e is" in str(info.value)
    assert info.value.job.job_id == "ev\x1b[2Jil\u202e"  # the data itself is kept as sent


# --- deadline ------------------------------------------------------------------------


@pytest.mark.parametrize("honours", [True, False])
def test_deadline_raises_wait_timeout_with_last_job(fake_clock: Any, honours: bool) -> None:
    server = SimServer(
        fake_clock, [(0, "QUEUED"), (1, "EXECUTING"), (999, "COMPLETED")], honours_wait=honours
    )
    with pytest.raises(WaitTimeout, match="still EXECUTING after waiting 30 s") as info:
        run(server, fake_clock, timeout=30)
    assert info.value.job.phase is Phase.EXECUTING
    assert info.value.timeout == 30
    assert 30 <= fake_clock() - server.t0 <= 30.1


def test_zero_timeout_asks_once(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING")])
    with pytest.raises(WaitTimeout):
        run(server, fake_clock, timeout=0)
    assert len(server.requests) == 1


def test_zero_timeout_returns_a_finished_job(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "COMPLETED")])
    assert run(server, fake_clock, timeout=0).phase is Phase.COMPLETED


@pytest.mark.parametrize("bad", [-1, True])
def test_bad_timeout(fake_clock: Any, bad: Any) -> None:
    with pytest.raises(InvalidRequest):
        run(SimServer(fake_clock, [(0, "EXECUTING")]), fake_clock, timeout=bad)


def test_policy_validation() -> None:
    with pytest.raises(InvalidRequest):
        WaitPolicy(max_wait=0)
    with pytest.raises(InvalidRequest):
        WaitPolicy(first_delay=0)
    with pytest.raises(InvalidRequest):
        WaitPolicy(first_delay=20, max_delay=10)


# --- errors while waiting ------------------------------------------------------------


def _503() -> ServerError:
    return ServerError("503", url="u", status=503)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionFailed("reset", "u"),
        RequestTimeout("slow", "u"),
        ServerError("500", url="u", status=500),
        HTTPStatusError("429", url="u", status=429),
    ],
)
def test_transient_errors_are_survived(fake_clock: Any, error: Exception) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING"), (20, "COMPLETED")], failures={0: error, 2: error, 3: error}
    )
    assert run(server, fake_clock, timeout=100).phase is Phase.COMPLETED
    assert len(fake_clock.sleeps) >= 3  # each failure is followed by a pause


def test_job_vanishing_raises_job_not_found(fake_clock: Any) -> None:
    gone = JobNotFound("404", url="u", status=404)
    server = SimServer(
        fake_clock, [(0, "EXECUTING"), (50, "COMPLETED")], failures={2: gone}, honours_wait=False
    )
    with pytest.raises(JobNotFound):
        run(server, fake_clock)
    assert len(server.requests) == 3


def test_other_http_errors_end_the_wait(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING")], failures={1: ForbiddenError("403", url="u", status=403)}
    )
    with pytest.raises(ForbiddenError):
        run(server, fake_clock, timeout=100)


def test_failures_until_the_deadline_give_wait_timeout_chained(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING")], failures={i: _503() for i in range(1, 10_000)}
    )
    with pytest.raises(WaitTimeout, match="last attempt failed") as info:
        run(server, fake_clock, timeout=60)
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.job.phase is Phase.EXECUTING


def test_never_answered_before_deadline_raises_the_error(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock,
        [(0, "EXECUTING")],
        failures={i: ConnectionFailed("down", "u") for i in range(10_000)},
    )
    with pytest.raises(ConnectionFailed):
        run(server, fake_clock, timeout=30)


def test_without_deadline_errors_are_survived_for_error_patience(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING")], failures={i: _503() for i in range(1, 100_000)}
    )
    with pytest.raises(ServerError):
        run(server, fake_clock, policy=WaitPolicy(error_patience=120))
    assert 120 <= fake_clock() - server.t0 <= 135


# --- bad job documents while waiting -------------------------------------------------


def _truncated(n: int = 0) -> ParseError:
    return ParseError(f"truncated #{n}: not well-formed XML", url="u")


def _html() -> ServiceErrorDocument:
    return ServiceErrorDocument("an HTML page instead of a UWS job", url="u", status=200)


@pytest.mark.parametrize("bad", [_truncated(), _html()])
def test_one_bad_document_is_survived_after_a_pause(fake_clock: Any, bad: Exception) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING"), (20, "COMPLETED")], failures={1: bad})
    assert run(server, fake_clock, timeout=100).phase is Phase.COMPLETED
    assert len(fake_clock.sleeps) >= 1  # asked again only after a pause, not at once


def test_bad_documents_below_the_limit_in_a_row_are_survived(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock,
        [(0, "EXECUTING"), (20, "COMPLETED")],
        failures={1: _truncated(), 2: _html()},
    )
    assert run(server, fake_clock, timeout=100).phase is Phase.COMPLETED
    assert len(fake_clock.sleeps) >= 2


@pytest.mark.parametrize("first", [0, 1])  # before or after the first good document
def test_a_server_always_sending_garbage_fails_fast(fake_clock: Any, first: int) -> None:
    errors: dict[int, Exception] = {i: _truncated(i) for i in range(first, 10_000)}
    server = SimServer(fake_clock, [(0, "EXECUTING")], failures=errors)
    with pytest.raises(ParseError) as info:
        run(server, fake_clock, timeout=3600)
    assert len(server.requests) == first + 3  # default max_bad_documents
    assert info.value is errors[first + 2]  # the last one, as it was
    assert fake_clock() - server.t0 < 60  # long before the deadline


def test_the_limit_of_bad_documents_is_a_policy(fake_clock: Any) -> None:
    server = SimServer(fake_clock, [(0, "EXECUTING")], failures={1: _html(), 2: _html()})
    with pytest.raises(ServiceErrorDocument):
        run(server, fake_clock, timeout=100, policy=WaitPolicy(max_bad_documents=2))
    assert len(server.requests) == 3
    with pytest.raises(InvalidRequest):
        WaitPolicy(max_bad_documents=0)


def test_a_good_document_starts_the_count_again(fake_clock: Any) -> None:
    # Two bad documents, one good, again and again: never three in a row.
    errors: dict[int, Exception] = {i: _truncated(i) for i in range(1, 60) if i % 3 != 0}
    server = SimServer(
        fake_clock, [(0, "EXECUTING"), (200, "COMPLETED")], failures=errors, honours_wait=False
    )
    assert run(server, fake_clock, timeout=1000).phase is Phase.COMPLETED
    assert len(server.requests) > 20  # it did go through many bad documents


def test_network_errors_do_not_break_a_row_of_bad_documents(fake_clock: Any) -> None:
    errors: dict[int, Exception] = {1: _truncated(1), 2: _503(), 3: _html(), 4: _503()}
    errors[5] = _truncated(5)
    server = SimServer(fake_clock, [(0, "EXECUTING")], failures=errors)
    with pytest.raises(ParseError) as info:
        run(server, fake_clock, timeout=3600)
    assert info.value is errors[5]
    assert len(server.requests) == 6


def test_bad_documents_until_the_deadline_give_wait_timeout_chained(fake_clock: Any) -> None:
    server = SimServer(
        fake_clock, [(0, "EXECUTING")], failures={i: _truncated(i) for i in range(1, 10_000)}
    )
    policy = WaitPolicy(max_bad_documents=10_000)
    with pytest.raises(WaitTimeout, match="last attempt failed") as info:
        run(server, fake_clock, timeout=60, policy=policy)
    assert isinstance(info.value.__cause__, ParseError)


def test_an_error_document_with_an_error_status_is_not_a_bad_document(fake_clock: Any) -> None:
    # Only 2xx answers count as "a bad copy of the job"; a 4xx is the server's answer.
    refused = ServiceErrorDocument("refused", url="u", status=400)
    server = SimServer(fake_clock, [(0, "EXECUTING")], failures={1: refused})
    with pytest.raises(ServiceErrorDocument):
        run(server, fake_clock, timeout=100)
    assert len(server.requests) == 2
