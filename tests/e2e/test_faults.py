"""Every fault of the test server against the real client, with its expected outcome: success
after a retry or a resume, or a clear typed error (exit status 4 on the command line) that
names the job — and in every case no partial file, no stray file, no token in any output.

Faults that hit the run are switched on after the submission is done where that matters
(``request_filter`` aims them at the ``WAIT`` requests of the job), so the job exists and the
error must tell the user which one it was.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from typing import Any, List

import pytest

from uws_lite import Client
from uws_lite.errors import IntegrityError, ParseError, ServerError
from uws_lite.models import Phase
from uws_lite.testing import HOSTILE_XML_KINDS, generated_sha1
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

pytestmark = pytest.mark.e2e

WAITS = r"^GET /rest/ExPRES(-dev)?/\w+\?.*WAIT="
AUTH = ("--login", TEST_USER)


def _run_cli(ws: Any, *extra: str, authenticated: bool = False) -> Any:
    args: List[str] = ["example.json", "-o", str(ws.out), "--no-progress", *extra]
    if authenticated:
        args += list(AUTH)
    return ws.cli(*args, token=TEST_TOKEN if authenticated else None)


def _phase_posts(ws: Any) -> List[Any]:
    """The POSTs to a job's phase: only the one PHASE=RUN (a failure never aborts the job)."""
    return [r for r in ws.server.requests if r.method == "POST" and r.path.endswith("/phase")]


def _wait_gets(ws: Any) -> List[Any]:
    return [r for r in ws.server.requests if r.method == "GET" and "WAIT=" in r.query]


def _job_gets(ws: Any) -> int:
    return sum(
        1
        for r in ws.server.requests
        if r.method == "GET" and r.path.count("/") == 3 and r.path.startswith("/rest/")
    )


# -- waiting ---------------------------------------------------------------------------------


def test_wait_ignored_still_completes_without_busy_polling(ws: Any) -> None:
    ws.server.faults.wait_ignored = True
    ws.config(duration=2.0)
    done = _run_cli(ws)
    assert done.code == 0, done.err
    assert "expres_io2015-04-30.cdf" in ws.saved()
    # a 2 s job polled with back-off, not in a tight loop
    assert _job_gets(ws) < 25
    ws.check_clean()


def test_wait_returning_early_still_completes(ws: Any) -> None:
    ws.server.faults.wait_early = 0.05
    ws.config(duration=1.0)
    done = _run_cli(ws, authenticated=True)
    assert done.code == 0, done.err
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


# -- status codes ----------------------------------------------------------------------------


def test_503_while_waiting_is_retried(ws: Any) -> None:
    ws.server.faults.request_filter = WAITS
    ws.server.faults.status_503 = 2
    ws.config(duration=0.5)
    done = _run_cli(ws, authenticated=True)
    assert done.code == 0, done.err
    assert [r.status for r in ws.server.requests].count(503) == 2
    ws.check_clean()


def test_429_with_retry_after_is_retried(ws: Any) -> None:
    ws.server.faults.request_filter = r"^GET "
    ws.server.faults.status_429 = 2
    ws.config()
    run = ws.run(ws.config(), LOOP=True)
    assert run.ok
    assert [r.status for r in ws.server.requests].count(429) == 2
    ws.check_clean()


def test_503_on_creation_is_not_retried_and_creates_nothing(ws: Any) -> None:
    ws.server.faults.request_filter = r"^POST /rest/ExPRES$"
    ws.server.faults.status_503 = 1
    with pytest.raises(ServerError) as caught:
        ws.run(ws.config(), LOOP=True)
    assert caught.value.status == 503
    posts = [r for r in ws.server.requests if r.method == "POST"]
    assert len(posts) == 1  # a creation is never sent twice
    assert ws.server.jobs == {}
    ws.check_clean(str(caught.value))


def test_creation_500_that_leaves_an_orphan(ws: Any) -> None:
    ws.server.faults.creation_500_orphan = 1
    ws.config()
    done = _run_cli(ws, authenticated=True)
    assert done.code == 4
    assert "500" in done.err
    assert len([r for r in ws.server.requests if r.method == "POST"]) == 1
    (orphan,) = ws.server.jobs.values()
    assert orphan.phase == "PENDING"  # left on the server, never started by the client
    # the user is told that a job may exist and how to find and delete it
    assert "a job may have been created anyway" in done.err
    assert f"python -m uws_call_expres --list --login {TEST_USER}" in done.err
    assert "--delete" in done.err
    assert done.err.strip().splitlines()[-1].startswith("uws-call-expres: error: POST ")
    ws.check_clean()


def test_failing_get_after_the_creation_names_the_job_and_leaves_it(ws: Any) -> None:
    # The job is created and started; the one GET that follows (not retried: a 200 HTML
    # page is an answer) fails. The id is known from the creation's 303.
    ws.server.faults.request_filter = r"^GET /rest/ExPRES/\w+$"
    ws.server.faults.html_instead_of_xml = 1
    ws.config(duration=0.5)
    done = _run_cli(ws, authenticated=True)
    assert done.code == 4
    (job_id,) = ws.server.jobs
    assert f"Job : {job_id}" in done.out
    (line,) = [x for x in done.err.splitlines() if "--attach" in x]
    printed = shlex.split(line)
    assert printed[:6] == ["python", "-m", "uws_call_expres", "--attach", job_id, "--login"]
    assert str(ws.out) in printed
    assert "HTML page" in done.err.strip().splitlines()[-1]  # the error itself, one line
    assert len(_phase_posts(ws)) == 1  # started once, never aborted
    assert ws.saved() == {}
    # the printed command takes the job over
    again = ws.cli(*printed[3:], token=TEST_TOKEN)
    assert again.code == 0, again.err
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


def test_failing_run_after_the_creation_names_the_job(ws: Any) -> None:
    ws.server.faults.request_filter = r"^POST /rest/ExPRES/\w+/phase$"
    ws.server.faults.status_503 = 1  # a POST is not retried
    ws.config()
    done = _run_cli(ws)
    assert done.code == 4
    (job_id,) = ws.server.jobs
    assert f"Job : {job_id}" in done.out
    assert f"python -m uws_call_expres --attach {job_id}" in done.err
    assert f"python -m uws_call_expres --delete {job_id}" in done.err  # if never started
    assert ws.server.jobs[job_id].phase == "PENDING"
    ws.check_clean()


# -- documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["truncated_xml", "html_instead_of_xml"])
def test_one_bad_job_document_while_waiting_is_survived(ws: Any, fault: str) -> None:
    # A proxy or an overloaded server sends one broken answer: the wait asks again.
    ws.server.faults.request_filter = WAITS
    setattr(ws.server.faults, fault, 1)
    ws.config(duration=2.0)
    done = _run_cli(ws, authenticated=True)
    assert done.code == 0, done.err
    assert getattr(ws.server.faults, fault) == 0  # it did fire
    assert "expres_io2015-04-30.cdf" in ws.saved()
    ws.check_clean()


@pytest.mark.parametrize(
    ("fault", "said"),
    [("truncated_xml", "not well-formed XML"), ("html_instead_of_xml", "HTML page")],
)
def test_bad_job_documents_for_ever_fail_fast_and_name_the_job(
    ws: Any, fault: str, said: str
) -> None:
    ws.server.faults.request_filter = WAITS
    setattr(ws.server.faults, fault, 1000)
    ws.config(duration=30.0)
    done = _run_cli(ws, authenticated=fault == "truncated_xml")
    assert done.code == 4
    # three bad documents in a row, then the error (not a wait until the job's end)
    assert len(_wait_gets(ws)) == 3
    (job_id,) = ws.server.jobs
    assert f"Job : {job_id}" in done.out
    assert f"python -m uws_call_expres --attach {job_id}" in done.err  # the user can find it
    assert said in done.err.strip().splitlines()[-1]  # the error, as one line
    assert len(_phase_posts(ws)) == 1  # the job was left running, not aborted
    assert ws.server.jobs[job_id].phase != "ABORTED"
    assert ws.saved() == {}
    ws.check_clean()


@pytest.mark.parametrize("kind", HOSTILE_XML_KINDS)
def test_hostile_xml_is_refused(ws: Any, kind: str) -> None:
    ws.server.faults.hostile_xml = kind
    with pytest.raises(ParseError) as caught:
        ws.run(ws.config(), LOOP=True, LOGIN=TEST_USER, TOKEN=TEST_TOKEN)
    message = str(caught.value)
    assert "DOCTYPE" in message
    assert "root:" not in message  # nothing of /etc/passwd was read
    assert ws.saved() == {}
    ws.check_clean(message)


def test_hostile_result_ids_stay_in_the_output_directory(ws: Any) -> None:
    mine = ws.out / "example.json"
    mine.write_text("my own file")  # a user's file that a result named example.json hits
    ws.server.faults.hostile_result_ids = True
    ws.server.faults.hostile_content_disposition = True
    config = ws.config(cdf_name="expres_a.cdf")
    run = ws.run(config, LOOP=True)
    assert run.ok
    assert mine.read_text() == "my own file"
    assert config.read_text().startswith("{")  # the input config is untouched
    saved = set(ws.saved())
    assert len(run.files) == len(run.results) == 8  # every result kept, under unique names
    assert len({p.name for p in run.files}) == 8
    assert all(ws.out in p.parents for p in run.files)
    assert {"expres_a.cdf", "example.json"} <= saved
    # the duplicate "expres_a.cdf" (a log) did not replace the real one
    assert (ws.out / "expres_a.cdf").stat().st_size == ws.server.run_plan.cdf_size
    ws.check_clean(verify=False)


def test_hash_mismatch_keeps_no_file_and_says_so(ws: Any) -> None:
    ws.server.faults.hash_mismatch = True
    ws.config()
    done = _run_cli(ws, authenticated=True)
    assert done.code == 4
    assert "expres_io2015-04-30.cdf" in done.err
    assert "--attach" in done.err
    assert sorted(ws.saved()) == ["provjson", "stderr", "stdout"]  # the logs were saved
    ws.check_clean()


def test_hash_mismatch_through_the_function(ws: Any) -> None:
    from uws_call_expres import ResultsIncomplete

    ws.server.faults.hash_mismatch = True
    with pytest.raises(ResultsIncomplete) as caught:
        ws.run(ws.config(), LOOP=True)
    (failed, _), *_ = caught.value.failures
    assert failed == "expres_io2015-04-30.cdf"
    assert not caught.value.run.ok or caught.value.run.phase is Phase.COMPLETED
    assert "expres_io2015-04-30.cdf" not in ws.saved()
    ws.check_clean(str(caught.value))


# -- jobs ----------------------------------------------------------------------------------------


def test_job_vanishing_while_waiting(ws: Any) -> None:
    ws.server.faults.job_vanishes = 3
    ws.config(duration=5.0)
    done = _run_cli(ws, authenticated=True)
    assert done.code == 4
    assert "NOT FOUND" in done.err
    assert "was not found on the server any more" in done.err
    assert ws.server.jobs == {}
    assert ws.saved() == {}
    ws.check_clean()


# -- downloads -----------------------------------------------------------------------------------


def _store_requests(ws: Any) -> List[Any]:
    return [r for r in ws.server.requests if r.path == "/store"]


@pytest.mark.parametrize("ranged", [True, False])
def test_connection_reset_in_the_middle_of_a_download(ws: Any, ranged: bool) -> None:
    size = 8 << 20
    ws.server.faults.reset_download_at = 0.5
    ws.server.faults.request_filter = r"^GET /store"  # the CDF, not a log downloading beside it
    ws.server.faults.range_supported = ranged
    run = ws.run(ws.config(cdf_size=size), LOOP=True, LOGIN=TEST_USER, TOKEN=TEST_TOKEN)
    assert run.ok
    first, second = _store_requests(ws)
    assert first.header("Range") is None
    if ranged:
        # resumed where the first attempt stopped, not from zero
        assert second.header("Range") is not None
        assert second.status == 206
    else:
        assert second.status == 200
    ws.check_clean(cdf_size=size)


def test_slow_answer_beyond_the_read_timeout_is_retried(ws: Any) -> None:
    ws.server.faults.slow_response = 1
    ws.server.faults.slow_delay = 3.0
    with Client(ws.server.list_url(), timeout=(5.0, 0.5)) as client:
        jobs = client.get_job_list()
    assert len(jobs) == 0
    # the slow first answer is logged once written (to a client that had gone), after the retry
    deadline = time.monotonic() + 20
    while len([r for r in ws.server.requests if r.path == "/rest/ExPRES"]) < 2:
        assert time.monotonic() < deadline, "the slow request was never answered"
        time.sleep(0.05)
    retry, slow = [r for r in ws.server.requests if r.path == "/rest/ExPRES"]
    assert retry.started > slow.started  # answered first although sent second


def test_downloaded_bytes_match_the_generated_content(ws: Any) -> None:
    run = ws.run(ws.config(cdf_size=3 << 20), LOOP=True)
    (cdf,) = [p for p in run.files if p.suffix == ".cdf"]
    digest = hashlib.sha1(cdf.read_bytes(), usedforsecurity=False).hexdigest()
    assert digest == generated_sha1(3 << 20)
    assert json.loads((ws.out / "provjson").read_text())["generated"] == [cdf.name]
    ws.check_clean(cdf_size=3 << 20)


def test_integrity_error_type_for_a_direct_download(ws: Any, tmp_path: Any) -> None:
    ws.server.faults.hash_mismatch = True
    run = ws.run(ws.config(), LOOP=False)
    ws.server.wait_until_idle(10)
    with Client(ws.server.list_url()) as client:
        job = client.get_job(run.job_id)
        result = job.result("expres_io2015-04-30.cdf")
        assert result is not None
        with pytest.raises(IntegrityError):
            client.download(result, ws.out / "expres.cdf")
    assert not (ws.out / "expres.cdf").exists()
    ws.check_clean()


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:notaport/x"])
def test_a_malformed_creation_location_is_a_typed_error_saying_a_job_may_exist(
    ws: Any, location: str
) -> None:
    ws.server.faults.malformed_location = location
    ws.config()
    done = _run_cli(ws, authenticated=True)
    assert done.code == 4, done.text  # a server error, never a crash
    assert "Traceback" not in done.err
    assert "ValueError" not in done.err
    assert len([r for r in ws.server.requests if r.method == "POST"]) == 1
    assert len(ws.server.jobs) == 1  # the job exists: the user is told how to find it
    assert "a job may have been created anyway" in done.err
    assert f"python -m uws_call_expres --list --login {TEST_USER}" in done.err
    ws.check_clean()
