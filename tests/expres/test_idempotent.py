"""Runs that are idempotent, checked before sending, complete and scriptable (issue 14,
points 8-11), offline with ``responses`` and the fake service of conftest.py."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, List, Optional

import pytest
import responses

from uws_call_expres import attach, uws_call_expres
from uws_call_expres.cli import main
from uws_call_expres.destination import check_output_dir
from uws_call_expres.errors import OutputError
from uws_call_expres.existing import MARK_ATTRIBUTE, is_known_copy, mark_saved
from uws_call_expres.output import Console
from uws_call_expres.saving import plan_saving, save_results
from uws_call_expres.settle import Settle, settle_results
from uws_lite import Client
from uws_lite.models import Job, Phase, Result

STORE = "https://uws.example.org/store/"


def _xattrs_here(directory: Path) -> bool:
    """Whether files in ``directory`` keep user extended attributes (Linux ext4, xfs...)."""
    probe = directory / ".xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")  # type: ignore[attr-defined,unused-ignore]
        return True
    except (AttributeError, OSError):
        return False
    finally:
        probe.unlink()


def _store_gets(rsps: responses.RequestsMock) -> List[str]:
    return [c.request.url for c in rsps.calls if "/store" in c.request.url]


# --- 9. local mistakes before anything is sent ------------------------------------------


def test_output_dir_is_created_and_the_probe_file_removed(tmp_path: Path) -> None:
    out = check_output_dir(tmp_path / "a" / "b")
    assert out == tmp_path / "a" / "b"
    assert out.is_dir()
    assert list(out.iterdir()) == []  # the probe file is gone


@pytest.mark.parametrize("where", ["somefile/sub", "somefile"])
def test_output_dir_under_a_regular_file_is_refused_before_any_request(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (workdir / "somefile").write_text("not a directory")
    assert main(["example.json", "-o", where]) == 2
    assert len(rsps.calls) == 0  # no POST: no job was run for nothing
    err = capsys.readouterr().err
    assert "somefile" in err
    assert "is not a directory" in err
    assert (workdir / "somefile").read_text() == "not a directory"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("where", ["/proc/nope/x", "/proc"])
def test_output_dir_in_proc_is_refused_even_as_root(
    workdir: Path, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    # As root os.access(/proc, W_OK) is True: only creating and writing tells the truth.
    assert main(["example.json", "-o", where]) == 2
    assert len(rsps.calls) == 0
    assert where in capsys.readouterr().err
    with pytest.raises(OutputError, match="choose another output directory"):
        uws_call_expres("example.json", LOOP=True, output_dir=where, verbose=False)
    assert len(rsps.calls) == 0


def test_sweep_and_attach_refuse_an_unusable_output_dir_first(
    workdir: Path, rsps: responses.RequestsMock, kit: SimpleNamespace
) -> None:
    (workdir / "somefile").write_text("x")
    assert main([kit.CONFIG, "example.json", "-o", "somefile/sub"]) == 2
    assert main(["--attach", "a00001", "-o", "somefile/sub"]) == 2
    with pytest.raises(OutputError):
        attach("a00001", output_dir=workdir / "somefile" / "sub", verbose=False)
    assert len(rsps.calls) == 0


# --- 8. idempotent runs --------------------------------------------------------------------


def test_attaching_twice_downloads_nothing_again_and_duplicates_nothing(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    first = uws_call_expres("example.json", LOOP=True, output_dir="out", verbose=False)
    assert first.ok
    gets = len(_store_gets(rsps))
    assert gets == 2
    capsys.readouterr()
    again = attach(first.job_id, output_dir="out")
    assert again.ok
    assert len(_store_gets(rsps)) == gets  # verified by SHA-1: no second download
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["expres_run.cdf", "stdout"]
    assert again.files == first.files  # the files already there are the run's files
    out = capsys.readouterr().out
    assert "expres_run.cdf is already there (verified): not downloaded again" in out
    assert "stdout is already there (verified)" in out
    assert "Downloading" not in out


def test_a_changed_file_is_not_taken_for_the_result_and_the_rename_is_printed(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    first = uws_call_expres("example.json", LOOP=True, output_dir="out", verbose=False)
    cdf = workdir / "out" / "expres_run.cdf"
    cdf.write_bytes(b"edited by hand")
    capsys.readouterr()
    again = attach(first.job_id, output_dir="out")
    assert again.ok
    renamed = workdir / "out" / "expres_run-1.cdf"
    assert again.files == (renamed, workdir / "out" / "stdout")
    assert cdf.read_bytes() == b"edited by hand"  # nothing is lost
    assert renamed.read_bytes() == opus.results[0].content
    out = capsys.readouterr().out
    assert "expres_run.cdf saved as expres_run-1.cdf" in out
    assert "stdout is already there (verified)" in out


@pytest.mark.parametrize("policy", ["never", "always"])
def test_verified_files_are_kept_under_every_policy(
    workdir: Path, opus: Any, rsps: responses.RequestsMock, policy: str
) -> None:
    first = uws_call_expres("example.json", LOOP=True, output_dir="out", verbose=False)
    before = {p.name: p.stat().st_ino for p in (workdir / "out").iterdir()}
    again = attach(first.job_id, output_dir="out", overwrite=policy, verbose=False)
    assert again.ok  # "never": a file that is the result is no clash
    assert len(_store_gets(rsps)) == 2
    assert {p.name: p.stat().st_ino for p in (workdir / "out").iterdir()} == before


@pytest.fixture
def client() -> Iterator[Client]:
    with Client("https://uws.example.org/rest/ExPRES") as made:
        yield made


def _log(rid: str) -> Result:
    return Result(rid, STORE + rid)  # no hash, like OPUS's logs


def test_a_log_without_hash_is_marked_and_then_known(
    tmp_path: Path, rsps: responses.RequestsMock, client: Client
) -> None:
    if not _xattrs_here(tmp_path):
        pytest.skip("this file system keeps no extended attributes (see the compare tests)")
    rsps.get(STORE + "stdout", body=b"log of job 1\n")
    result = _log("stdout")
    files, failures = save_results(
        client, plan_saving([result], tmp_path), Console(False), overwrite="rename", progress=False
    )
    assert failures == ()
    assert os.getxattr(files[0], MARK_ATTRIBUTE)  # type: ignore[attr-defined,unused-ignore]
    assert is_known_copy(files[0], result) is True
    (planned,) = plan_saving([result], tmp_path)
    assert planned.status == "present"
    # another job's log under the same name is not this one; an edited file neither
    assert is_known_copy(files[0], _log("other")) is None
    files[0].write_bytes(b"edited\n")
    assert is_known_copy(files[0], result) is False


def test_without_extended_attributes_a_log_is_compared_not_duplicated(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    def unsupported(*args: Any) -> Any:
        raise OSError(errno.ENOTSUP, "Operation not supported")

    monkeypatch.setattr("uws_call_expres.existing._set_mark", unsupported)
    monkeypatch.setattr("uws_call_expres.existing._get_mark", unsupported)
    rsps.get(STORE + "stdout", body=b"log of job 1\n")
    result = _log("stdout")
    for _ in range(2):  # a run, then the same again into the same directory
        files, failures = save_results(
            client,
            plan_saving([result], tmp_path),
            Console(False),
            overwrite="rename",
            progress=False,
        )
        assert (files, failures) == ((tmp_path / "stdout",), ())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]
    assert len(rsps.calls) == 2  # fetched again to compare: the price of no marks


@pytest.mark.parametrize("identical", [True, False])
def test_an_unverifiable_file_is_downloaded_and_compared(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    client: Client,
    capsys: pytest.CaptureFixture[str],
    identical: bool,
) -> None:
    (tmp_path / "stderr").write_bytes(b"")  # e.g. saved by another program: no mark
    rsps.get(STORE + "stderr", body=b"" if identical else b"boom\n")
    result = _log("stderr")
    (planned,) = plan_saving([result], tmp_path)
    assert (planned.status, planned.dest.name) == ("compare", "stderr-1")
    files, failures = save_results(client, [planned], Console(), overwrite="rename", progress=False)
    assert failures == ()
    out = capsys.readouterr().out
    if identical:
        assert files == (tmp_path / "stderr",)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr"]  # no stderr-1
        assert "stderr is already there (verified: downloaded again and compared" in out
    else:
        assert files == (tmp_path / "stderr-1",)
        assert (tmp_path / "stderr-1").read_bytes() == b"boom\n"
        assert (tmp_path / "stderr").read_bytes() == b""
        assert "stderr saved as stderr-1 (stderr holds something else)" in out


def test_a_hash_result_is_verified_by_sha1_without_a_request(
    tmp_path: Path, rsps: responses.RequestsMock, client: Client
) -> None:
    data = b"CDF" * 1000
    (tmp_path / "x.cdf").write_bytes(data)
    good = Result("x.cdf", STORE + "x", attributes={"hash": hashlib.sha1(data).hexdigest()})  # noqa: S324
    bad = Result("x.cdf", STORE + "x", attributes={"hash": "0" * 40})
    assert [p.status for p in plan_saving([good], tmp_path)] == ["present"]
    ((status, name),) = [(p.status, p.dest.name) for p in plan_saving([bad], tmp_path)]
    assert (status, name) == ("download", "x-1.cdf")
    with pytest.raises(OutputError, match="overwrite='never' is set"):
        plan_saving([bad], tmp_path, overwrite="never")
    files, failures = save_results(
        client, plan_saving([good], tmp_path), Console(False), overwrite="rename", progress=False
    )
    assert (files, failures) == ((tmp_path / "x.cdf",), ())
    assert len(rsps.calls) == 0


def test_a_symlink_is_never_taken_for_a_result(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"abc")
    (tmp_path / "x").symlink_to(tmp_path / "real")
    result = Result("x", STORE + "x", attributes={"hash": hashlib.sha1(b"abc").hexdigest()})  # noqa: S324
    mark_saved(tmp_path / "x", result)  # nothing: results with a hash are not marked
    assert is_known_copy(tmp_path / "x", result) is False


# --- 10. every listed result ----------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Reader:
    """A client whose get_job returns the given listings, one per call (then the last)."""

    def __init__(self, *listings: List[str], fail_at: Optional[int] = None) -> None:
        self.listings = listings
        self.calls = 0
        self.fail_at = fail_at

    def get_job(self, job_id: str) -> Job:
        self.calls += 1
        if self.fail_at == self.calls:
            from uws_lite.errors import HTTPStatusError

            raise HTTPStatusError("HTTP 503", url=STORE, status=503)
        ids = self.listings[min(self.calls, len(self.listings) - 1)]
        return _job(ids)


def _job(ids: List[str], phase: Phase = Phase.COMPLETED) -> Job:
    return Job(job_id="a1", phase=phase, results=tuple(Result(i, STORE + i) for i in ids))


def _settle(reader: _Reader, job: Job, policy: Optional[Settle] = None) -> Job:
    clock = _Clock()
    return settle_results(
        reader,  # type: ignore[arg-type]
        job,
        Console(False),
        policy=policy or Settle(),
        clock=clock,
        sleep=clock.sleep,
    )


def test_an_unchanging_list_costs_two_reads() -> None:
    reader = _Reader(["stdout", "stderr"])
    job = _settle(reader, _job(["stdout", "stderr"]))
    assert reader.calls == 2  # at 0.25 s and 0.5 s
    assert [r.id for r in job.results] == ["stdout", "stderr"]


def test_a_job_that_lists_provenance_costs_no_read() -> None:
    reader = _Reader(["never read"])
    job = _settle(reader, _job(["x.cdf", "stdout", "provjson"]))
    assert reader.calls == 0
    assert job.results[-1].id == "provjson"


def test_late_results_are_waited_for() -> None:
    first = ["x.cdf", "stdout", "stderr"]
    later = [*first, "provjson", "provxml", "provsvg"]
    reader = _Reader(first, first, later)  # listed from the second re-read on
    job = _settle(reader, _job(first))
    assert [r.id for r in job.results] == later
    assert reader.calls == 3  # the change, then one read that agrees


def test_the_watch_is_bounded() -> None:
    reader = _Reader(*[[f"r{n}"] for n in range(100)])  # a list that never settles
    job = _settle(reader, _job(["r0"]), Settle(interval=0.25, quiet=0.5, limit=3.0))
    assert reader.calls == 12  # 3 s / 0.25 s
    assert job.results[0].id == "r12"


def test_a_failed_re_read_keeps_the_last_listing() -> None:
    reader = _Reader(["a"], ["a", "b"], fail_at=2)
    job = _settle(reader, _job(["a"]))
    assert [r.id for r in job.results] == ["a", "b"]


def test_archived_and_unfinished_jobs_are_not_watched() -> None:
    reader = _Reader(["x"])
    _settle(reader, _job([], Phase.ARCHIVED))
    _settle(reader, _job([], Phase.EXECUTING))
    assert reader.calls == 0


# --- 11. scriptable --no-wait, LOOP=False ------------------------------------------------------


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_no_wait_stdout_is_exactly_the_job_ids_for_a_sweep(
    workdir: Path,
    opus: Any,
    kit: SimpleNamespace,
    capsys: pytest.CaptureFixture[str],
    quiet: List[str],
) -> None:
    assert main([kit.CONFIG, "example.json", "--no-wait", "--max-parallel", "1", *quiet]) == 0
    captured = capsys.readouterr()
    by_run_id = {job.run_id: job_id for job_id, job in opus.jobs.items()}
    assert captured.out.splitlines() == [by_run_id[Path(kit.CONFIG).stem], by_run_id["example"]]
    assert ("Sweep: 2 job(s)" in captured.err) is not quiet


def test_loop_false_gives_the_phase_read_back_and_a_reattach_call(workdir: Path, opus: Any) -> None:
    run = uws_call_expres("example.json", LOOP=False, verbose=False)
    assert run.ok
    assert run.phase.value == opus.jobs[run.job_id].phase  # read back after PHASE=RUN
    assert not run.finished
    assert run.reattach == f"attach({run.job_id!r})"
    assert run.to_dict()["reattach"] == run.reattach
    other = uws_call_expres("example.json", LOOP=False, verbose=False, output_dir="o")
    assert other.reattach == f"attach({other.job_id!r}, output_dir={str(workdir / 'o')!r})"
    done = attach(run.job_id, output_dir=".", verbose=False)
    assert done.reattach is None  # finished: nothing to take over


def test_reattach_call_names_the_routing_never_the_token(
    workdir: Path, opus: Any, monkeypatch: pytest.MonkeyPatch, kit: SimpleNamespace
) -> None:
    monkeypatch.setenv("EXPRES_TOKEN", kit.TOKEN)
    run = uws_call_expres("example.json", LOOP=False, LOGIN="jdoe", branch="develop", verbose=False)
    assert run.reattach == f"attach({run.job_id!r}, LOGIN='jdoe', Job_List='ExPRES-dev')"
    assert kit.TOKEN not in repr(run)


def test_reattach_call_runs(workdir: Path, opus: Any) -> None:
    run = uws_call_expres("example.json", LOOP=False, verbose=False, output_dir="later")
    assert run.reattach is not None
    done = eval(run.reattach, {"attach": lambda *a, **k: attach(*a, verbose=False, **k)})  # noqa: S307
    assert done.ok
    assert sorted(p.name for p in (workdir / "later").iterdir()) == ["expres_run.cdf", "stdout"]
