"""The store's parts on their own: the scheduler (one timer thread), what a POST means
(posted.py), and a store driven without HTTP."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import List, Tuple

import pytest

from uws_lite.testing.failures import AccessDenied, ClientMistake
from uws_lite.testing.forms import Form, UploadedPart
from uws_lite.testing.identity import GUEST, Identity
from uws_lite.testing.plan import RunPlan
from uws_lite.testing.posted import read_creation, read_destruction, read_execution_duration
from uws_lite.testing.scheduler import Scheduler
from uws_lite.testing.store import JobStore

CONFIG = UploadedPart("config", "my config.json", b'{"SIMU": {"NAME": "x"}}')
EPHEMERIS = UploadedPart("ephemeride", "juice.txt", b"ephemeris")


def test_scheduler_fires_events_in_due_order_with_their_generation() -> None:
    lock = threading.Lock()
    fired: List[Tuple[str, int, str]] = []
    both = threading.Event()

    def fire(job_id: str, generation: int, action: str) -> None:
        assert lock.locked()  # fired with the store's lock held
        fired.append((job_id, generation, action))
        if len(fired) == 2:
            both.set()

    scheduler = Scheduler(lock, fire)
    with lock:  # both are in the heap before the thread looks
        scheduler.schedule("later", 1, 0.05, "finish")
        scheduler.schedule("now", 0, 0.0, "execute")
    scheduler.start()
    try:
        assert both.wait(10)
    finally:
        scheduler.stop()
    assert fired == [("now", 0, "execute"), ("later", 1, "finish")]


def test_a_stopped_scheduler_drops_pending_events() -> None:
    lock = threading.Lock()
    fired: List[str] = []
    scheduler = Scheduler(lock, lambda job_id, generation, action: fired.append(job_id))
    scheduler.start()
    with lock:
        scheduler.schedule("never", 0, 3600.0, "execute")
    scheduler.stop()
    assert fired == []


def test_read_creation_splits_the_form_as_opus_does() -> None:
    form = Form(
        fields=(("runId", "r1"), ("executionDuration", "30"), ("PHASE", "RUN"), ("x", "1")),
        files={"config": CONFIG, "ephemeride": EPHEMERIS, "extra": CONFIG},
    )
    new = read_creation(form)
    assert (new.run_id, new.execution_duration, new.start) == ("r1", "30", True)
    assert [name for name, _, _ in new.inputs] == ["config", "ephemeride"]
    assert new.input_error is None
    assert {name: p.value for name, p in new.parameters.items()} == {
        "x": "1",
        "extra": "my-config.json",  # another file part: its sanitised name
    }


def test_a_file_input_sent_as_a_value_fails_only_after_the_earlier_inputs() -> None:
    form = Form(fields=(("ephemeride", "http://elsewhere/e.txt"),), files={"config": CONFIG})
    new = read_creation(form)
    assert [name for name, _, _ in new.inputs] == ["config"]
    assert new.input_error == 'cannot upload URL for input "ephemeride": http://elsewhere/e.txt'
    assert read_creation(Form()).input_error == 'cannot upload URL for input "config": '


def test_a_non_integer_execution_duration_stores_nothing() -> None:
    with pytest.raises(ClientMistake, match="must be an integer"):
        read_creation(Form(fields=(("executionDuration", "ten"),), files={"config": CONFIG}))
    assert read_execution_duration("0042") == "42"
    with pytest.raises(ClientMistake, match="keyword required"):
        read_execution_duration(None)


def test_destruction_keeps_the_first_19_characters_of_a_longer_time() -> None:
    assert read_destruction("2026-12-31T12:00:00.5+01:00") == datetime(2026, 12, 31, 12)
    with pytest.raises(ClientMistake, match="ISO8601"):
        read_destruction("tomorrow")


def test_store_without_http_create_orphan_and_ownership() -> None:
    store = JobStore(run_plan=RunPlan())
    guest = Identity(GUEST.name, GUEST.token, frozenset({"ExPRES"}))
    job_id = store.create(guest, "ExPRES", Form(files={"config": CONFIG}))
    assert store.get(guest, "ExPRES", job_id).phase == "PENDING"
    # OPUS saves the job before reading its inputs: a failed upload leaves it behind.
    with pytest.raises(ClientMistake):
        store.create(guest, "ExPRES", Form(fields=(("config", "http://x/c.json"),)))
    assert len(store.snapshots()) == 2
    stranger = Identity("eve", "t", frozenset({"ExPRES"}))
    with pytest.raises(AccessDenied, match="not the owner"):
        store.get(stranger, "ExPRES", job_id)
    with pytest.raises(AccessDenied, match="permission"):
        store.get(guest, "ExPRES-dev", job_id)
