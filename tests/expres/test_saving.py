"""Local names for results, the overwrite policy and the parallel downloads
(uws_call_expres.saving): offline, with ``responses``."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Tuple

import pytest
import responses

from uws_call_expres.destination import check_output_dir, check_overwrite
from uws_call_expres.errors import OutputError
from uws_call_expres.output import Console
from uws_call_expres.saving import (
    DOWNLOAD_WORKERS,
    plan_saving,
    save_results,
)
from uws_lite import Client
from uws_lite.errors import InvalidRequest
from uws_lite.models import Result

STORE = "https://uws.example.org/store/"


def plan_destinations(
    results: Sequence[Result], output_dir: Path, **options: Any
) -> Tuple[Tuple[Result, Path], ...]:
    """(result, destination) pairs of plan_saving (a present result's: the file there)."""
    return tuple((item.result, item.dest) for item in plan_saving(results, output_dir, **options))


def _results(*ids: str) -> tuple[Result, ...]:
    return tuple(Result(rid, f"https://h/store?ID={n}") for n, rid in enumerate(ids))


def _names(planned: tuple[tuple[Result, Path], ...]) -> list[str]:
    return [dest.name for _, dest in planned]


@pytest.mark.parametrize(
    "hostile", ["../x", "/etc/passwd", "..", ".", "", "a/../../b", "C:\\Windows\\x", "\x1b[2Jx"]
)
def test_hostile_ids_become_one_component_inside_the_directory(
    tmp_path: Path, hostile: str
) -> None:
    ((_, dest),) = plan_destinations(_results(hostile), tmp_path)
    assert dest.parent == tmp_path
    assert dest.name not in ("", ".", "..")
    assert "/" not in dest.name
    assert "\\" not in dest.name
    assert "\x1b" not in dest.name
    assert dest.resolve().parent == tmp_path.resolve()


def test_duplicates_are_made_unique_case_insensitively(tmp_path: Path) -> None:
    names = _names(plan_destinations(_results("a.cdf", "A.cdf", "a.cdf", "stdout"), tmp_path))
    assert names[0] == "a.cdf"
    assert len({n.casefold() for n in names}) == 4


def test_inputs_in_the_output_dir_are_protected_in_every_policy(tmp_path: Path) -> None:
    config = tmp_path / "example.json"
    config.write_text("{}")
    for policy in ("rename", "always", "never"):
        (name,) = _names(
            plan_destinations(
                _results("example.json"), tmp_path, protected=[config], overwrite=policy
            )
        )
        assert name != "example.json"
        assert name.casefold() != "example.json"


def test_inputs_elsewhere_do_not_rename(tmp_path: Path) -> None:
    config = tmp_path / "configs" / "example.json"
    out = tmp_path / "out"
    (name,) = _names(plan_destinations(_results("example.json"), out, protected=[config]))
    assert name == "example.json"


def test_rename_keeps_existing_files(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    (tmp_path / "STDERR").write_text("old")
    names = _names(plan_destinations(_results("stdout", "stderr"), tmp_path))
    assert "stdout" not in names
    assert "stderr" not in names


def test_always_reuses_existing_names(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    assert _names(plan_destinations(_results("stdout"), tmp_path, overwrite="always")) == ["stdout"]


def test_never_refuses_a_clash_and_names_it(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("old")
    with pytest.raises(OutputError, match="stdout"):
        plan_destinations(_results("x.cdf", "stdout"), tmp_path, overwrite="never")
    planned = plan_destinations(_results("x.cdf"), tmp_path, overwrite="never")
    assert _names(planned) == ["x.cdf"]


def test_missing_output_dir_is_fine_for_planning(tmp_path: Path) -> None:
    assert _names(plan_destinations(_results("a"), tmp_path / "new")) == ["a"]


def test_overwrite_policy_values() -> None:
    for policy in ("rename", "always", "never"):
        assert check_overwrite(policy) == policy
    with pytest.raises(InvalidRequest):
        check_overwrite("yes")


def test_output_dir_checks(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(OutputError, match="not a directory"):
        check_output_dir(tmp_path / "file" / "sub")


# --- save_results: parallel downloads -----------------------------------------------------


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client() -> Iterator[Client]:
    with Client("https://uws.example.org/rest/ExPRES") as made:
        yield made


def _serve(
    rsps: responses.RequestsMock, rid: str, content: bytes = b"", status: int = 200
) -> Result:
    """A result at STORE + rid; with its SHA-1 when served."""
    rsps.get(STORE + rid, body=content, status=status)
    sha1 = hashlib.sha1(content).hexdigest() if status == 200 else ""  # noqa: S324
    return Result(rid, STORE + rid, attributes={"hash": sha1})


def _asked(rsps: responses.RequestsMock, rid: str) -> int:
    return sum(1 for call in rsps.calls if call.request.url == STORE + rid)


def _save(
    client: Client,
    results: tuple[Result, ...],
    out: Path,
    *,
    overwrite: str = "rename",
    progress: bool = False,
    max_workers: Optional[int] = None,
) -> tuple[tuple[Path, ...], tuple[tuple[str, str], ...]]:
    planned = plan_destinations(results, out, overwrite=overwrite)
    workers = {} if max_workers is None else {"max_workers": max_workers}
    return save_results(
        client, planned, Console(), overwrite=overwrite, progress=progress, **workers
    )


def test_all_results_saved_in_result_order_with_lines_first(
    rsps: responses.RequestsMock,
    client: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert DOWNLOAD_WORKERS == 4
    contents = {f"r{n}.cdf": bytes([n]) * (1000 + n) for n in range(9)}
    results = tuple(_serve(rsps, rid, data) for rid, data in contents.items())
    saved, failures = _save(client, results, tmp_path / "out")
    assert failures == ()
    assert saved == tuple(tmp_path / "out" / rid for rid in contents)
    assert [p.read_bytes() for p in saved] == list(contents.values())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(contents)  # no .part
    assert all(_asked(rsps, rid) == 1 for rid in contents)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Downloading {rid}" for rid in contents]


def test_downloads_run_in_parallel_within_the_bound(
    rsps: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    # The first three answers wait for each other: a sequential download would break the
    # barrier (and fail the result) instead of saving everything.
    lock = threading.Lock()
    barrier = threading.Barrier(3, timeout=30)
    state = {"active": 0, "peak": 0, "calls": 0}

    def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
            state["calls"] += 1
            first = state["calls"] <= 3
        try:
            if first:
                barrier.wait()
            return 200, {}, request.url.rsplit("/", 1)[1].encode()
        finally:
            with lock:
                state["active"] -= 1

    results = []
    for n in range(7):
        rsps.add_callback(responses.GET, f"{STORE}p{n}", callback=answer)
        results.append(Result(f"p{n}", f"{STORE}p{n}"))
    saved, failures = _save(client, tuple(results), tmp_path, max_workers=3)
    assert failures == ()
    assert [p.read_bytes() for p in saved] == [f"p{n}".encode() for n in range(7)]
    assert state["peak"] == 3


def test_a_broken_result_costs_no_other(
    rsps: responses.RequestsMock,
    client: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = (
        _serve(rsps, "a", b"aa"),
        _serve(rsps, "b", status=500),
        _serve(rsps, "c", b"cc"),
        _serve(rsps, "d", status=404),
        _serve(rsps, "e", b"ee"),
    )
    saved, failures = _save(client, results, tmp_path, max_workers=2)
    assert [p.name for p in saved] == ["a", "c", "e"]
    assert [p.read_bytes() for p in saved] == [b"aa", b"cc", b"ee"]
    assert [rid for rid, _ in failures] == ["b", "d"]
    assert "500" in failures[0][1]
    assert "404" in failures[1][1]
    err = capsys.readouterr().err
    assert "Warning: b was not saved" in err
    assert "Warning: d was not saved" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c", "e"]


def test_hrefs_that_are_not_http_are_reported_as_before(
    rsps: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    results = (
        Result("running", "uws:executing:10"),
        _serve(rsps, "a", b"aa"),
        Result("local", "file:///etc/passwd"),
        Result("none", None),
    )
    saved, failures = _save(client, results, tmp_path)
    assert [p.name for p in saved] == ["a"]
    assert [rid for rid, _ in failures] == ["running", "local", "none"]
    assert all("not an http(s) URL" in reason for _, reason in failures)
    assert len(rsps.calls) == 1


def test_files_saved_before_a_failure_are_not_fetched_again(
    rsps: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    # One worker: "a" is complete when "b" fails and stops the parallel download. "a"
    # replaces an older file (overwrite="always"), which must still count as saved.
    (tmp_path / "a").write_bytes(b"old output")
    results = (_serve(rsps, "a", b"new"), _serve(rsps, "b", status=404), _serve(rsps, "c", b"c"))
    saved, failures = _save(client, results, tmp_path, overwrite="always", max_workers=1)
    assert [p.name for p in saved] == ["a", "c"]
    assert (tmp_path / "a").read_bytes() == b"new"
    assert (tmp_path / "c").read_bytes() == b"c"
    assert [rid for rid, _ in failures] == ["b"]
    assert _asked(rsps, "a") == 1


def test_the_only_result_left_is_not_asked_twice(
    rsps: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    results = (_serve(rsps, "a", b"aa"), _serve(rsps, "b", status=404))
    saved, failures = _save(client, results, tmp_path, max_workers=1)
    assert [p.name for p in saved] == ["a"]
    assert [rid for rid, _ in failures] == ["b"]
    assert "404" in failures[0][1]
    assert _asked(rsps, "b") == 1


def test_progress_bars_from_worker_threads(
    rsps: responses.RequestsMock,
    client: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = tuple(_serve(rsps, f"bar{n}.cdf", bytes(5000 + n)) for n in range(4))
    saved, failures = _save(client, results, tmp_path, progress=True)
    assert failures == ()
    assert len(saved) == 4
    err = capsys.readouterr().err
    for n in range(4):
        assert f"bar{n}.cdf" in err


def test_nothing_planned_prints_nothing(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert save_results(client, (), Console(), overwrite="rename", progress=True) == ((), ())
    assert capsys.readouterr() == ("", "")


def test_a_file_that_takes_a_name_after_planning_is_never_taken_for_the_result_on_sight(
    rsps: responses.RequestsMock, client: Client, tmp_path: Path
) -> None:
    # Planned while the names were free; then other files take them. "Saved" is what this
    # call saved: a file of the same size is no proof; an identical SHA-1 is.
    same = _serve(rsps, "same.cdf", b"the result")
    sized = Result("sized", STORE + "sized", size=8)
    rsps.get(STORE + "sized", body=b"the logs")
    other = _serve(rsps, "other.cdf", b"result")
    fine = _serve(rsps, "fine", b"fine")
    planned = plan_saving((same, sized, other, fine), tmp_path)
    (tmp_path / "same.cdf").write_bytes(b"the result")
    (tmp_path / "sized").write_bytes(b"not logs")  # same size, other bytes
    (tmp_path / "other.cdf").write_bytes(b"someone else's")
    saved, failures = save_results(client, planned, Console(), overwrite="rename", progress=False)
    assert [p.name for p in saved] == ["same.cdf", "fine"]
    assert [rid for rid, _ in failures] == ["sized", "other.cdf"]
    assert "appeared meanwhile" in failures[0][1]
    assert "already exists" in failures[1][1]
    assert (tmp_path / "sized").read_bytes() == b"not logs"
    assert (tmp_path / "other.cdf").read_bytes() == b"someone else's"
    assert [c.request.url for c in rsps.calls] == [STORE + "fine"]
