"""``download``: safe names, verification, re-runs that resume, progress bars."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any, Callable

from uws_lite.cli import main


def _store_gets(uws: Any) -> list[str]:
    return [r.url for r in uws.requests if "/store" in r.url]


def test_download_all(cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = cli("download", "2a3490", "-o", str(out))
    assert run.code == 0, run.err
    assert (out / "expres_test_run_a.cdf").read_bytes() == job_done.results[0].content
    assert (out / "stdout").read_bytes() == b"ExPRES run log\n"
    assert "Downloading" not in run.out
    lines = run.out.splitlines()
    assert lines[0].split() == ["RESULT", "ID", "FILE", "SIZE", "STATUS"]
    assert len(lines) == 3
    assert sorted(p.name for p in out.iterdir()) == ["expres_test_run_a.cdf", "stdout"]


def test_download_json_and_quiet(cli: Callable[..., Any], job_done: Any, tmp_path: Path) -> None:
    doc = json.loads(cli("download", "2a3490", "-o", str(tmp_path / "a"), "--json").out)
    assert doc["job_id"] == "2a3490"
    assert [(f["id"], Path(f["path"]).name, f["status"]) for f in doc["files"]] == [
        ("expres_test_run_a.cdf", "expres_test_run_a.cdf", "download"),
        ("stdout", "stdout", "download"),
    ]
    assert doc["files"][1]["size"] == 15
    run = cli("download", "2a3490", "-o", str(tmp_path / "b"), "-q")
    assert (run.code, run.out, run.err) == (0, "", "")
    assert (tmp_path / "b" / "stdout").is_file()


def test_download_some_results(cli: Callable[..., Any], job_done: Any, tmp_path: Path) -> None:
    run = cli("download", "2a3490", "stdout", "-o", str(tmp_path))
    assert run.code == 0, run.err
    assert [p.name for p in tmp_path.iterdir()] == ["stdout"]


def test_unknown_result_lists_the_known_ones(
    cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path
) -> None:
    run = cli("download", "2a3490", "nope.cdf", "-o", str(tmp_path))
    assert run.code == 2
    assert "no result 'nope.cdf'" in run.err
    assert "expres_test_run_a.cdf, stdout" in run.err
    assert _store_gets(uws) == []


def test_hostile_result_ids_stay_in_the_directory(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    results = [
        uws.result_class("../../escape.txt", b"1"),
        uws.result_class("/etc/passwd", b"2"),
        uws.result_class(".bashrc", b"3"),
        uws.result_class("same", b"4", href="https://uws.example.org/store?ID=same-a"),
        uws.result_class("same", b"5", href="https://uws.example.org/store?ID=same-b"),
        uws.result_class("evil\u202egpj.exe", b"6", href="https://uws.example.org/store?ID=e"),
    ]
    uws.add(uws.job_class("h1", phase="COMPLETED", results=results))
    out = tmp_path / "out"
    run = cli("download", "h1", "-o", str(out), "--json")
    assert run.code == 0, run.err
    names = sorted(p.name for p in out.iterdir())
    assert all(not n.startswith(".") and "/" not in n for n in names)
    assert len(names) == 6
    assert sorted(p.read_bytes() for p in out.iterdir()) == [b"1", b"2", b"3", b"4", b"5", b"6"]
    assert not (tmp_path / "escape.txt").exists()
    assert "\u202e" not in run.out + run.err


def test_rerun_skips_verified_files(
    cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path
) -> None:
    assert cli("download", "2a3490", "-o", str(tmp_path)).code == 0
    before = len(_store_gets(uws))
    run = cli("download", "2a3490", "-o", str(tmp_path), "--json")
    assert run.code == 0, run.err
    assert len(_store_gets(uws)) == before  # nothing fetched again
    assert [f["status"] for f in json.loads(run.out)["files"]] == ["present", "present"]
    assert "already there (verified)" in run.err


def test_rerun_after_a_failure_fetches_only_what_is_missing(
    cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path
) -> None:
    (tmp_path / "stdout").write_bytes(b"ExPRES run log\n")  # size matches: a finished download
    run = cli("download", "2a3490", "-o", str(tmp_path), "--json")
    assert run.code == 0, run.err
    assert [f["status"] for f in json.loads(run.out)["files"]] == ["download", "present"]
    assert len(_store_gets(uws)) == 1


def test_someone_elses_file_is_not_overwritten(
    cli: Callable[..., Any], job_done: Any, uws: Any, tmp_path: Path
) -> None:
    mine = tmp_path / "expres_test_run_a.cdf"
    mine.write_bytes(b"my own work")
    run = cli("download", "2a3490", "-o", str(tmp_path))
    assert run.code == 2
    assert "already exist(s) with other content" in run.err
    assert "--overwrite" in run.err
    assert mine.read_bytes() == b"my own work"
    assert _store_gets(uws) == []  # refused before any transfer
    run = cli("download", "2a3490", "-o", str(tmp_path), "--overwrite")
    assert run.code == 0, run.err
    assert mine.read_bytes() == job_done.results[0].content


def test_unverifiable_existing_file_is_kept(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    unhashed = uws.result_class("log", b"server log", sha1="")  # hash="": as OPUS's logs
    uws.add(uws.job_class("k1", phase="COMPLETED", results=[unhashed]))
    (tmp_path / "log").write_bytes(b"local log")
    run = cli("download", "k1", "-o", str(tmp_path), "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["files"][0]["status"] == "kept"
    assert (tmp_path / "log").read_bytes() == b"local log"
    assert "cannot be verified: kept" in run.err


def test_integrity_failure_exits_4_and_leaves_no_file(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    real = hashlib.sha1(b"the real file").hexdigest()  # noqa: S324 (OPUS integrity hash)
    bad = uws.result_class("x.cdf", b"truncated", sha1=real)
    uws.add(uws.job_class("i1", phase="COMPLETED", results=[bad]))
    run = cli("download", "i1", "-o", str(tmp_path))
    assert run.code == 4
    assert "the same command fetches the rest" in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_non_http_hrefs(cli: Callable[..., Any], uws: Any, tmp_path: Path) -> None:
    results = [
        uws.result_class("ok.txt", b"ok"),
        uws.result_class("local", b"", href="file:///etc/passwd"),
    ]
    uws.add(uws.job_class("u1", phase="COMPLETED", results=results))
    run = cli("download", "u1", "-o", str(tmp_path))
    assert run.code == 0, run.err
    assert "Skipping result local" in run.err
    assert [p.name for p in tmp_path.iterdir()] == ["ok.txt"]
    run = cli("download", "u1", "local", "-o", str(tmp_path))
    assert run.code == 2
    assert "has no http(s) href" in run.err


def test_unfinished_job_gets_a_note(cli: Callable[..., Any], uws: Any, tmp_path: Path) -> None:
    uws.add(
        uws.job_class("n1", phase="EXECUTING", results=[uws.result_class("part.txt", b"so far")])
    )
    run = cli("download", "n1", "-o", str(tmp_path))
    assert run.code == 0
    assert "is EXECUTING: results may be incomplete" in run.err


def test_no_results(cli: Callable[..., Any], uws: Any, tmp_path: Path) -> None:
    uws.add(uws.job_class("z1", phase="ERROR"))
    run = cli("download", "z1", "-o", str(tmp_path), "--json")
    assert run.code == 0
    assert json.loads(run.out)["files"] == []
    assert "has no results to download" in run.err


def test_output_directory_that_cannot_be_made(
    cli: Callable[..., Any], job_done: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = cli("download", "2a3490", "-o", str(blocker / "sub"))
    assert run.code == 2
    assert "cannot create the directory" in run.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(job_done: Any, tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), _Terminal()
    code = main(["download", "2a3490", "-o", str(tmp_path)], stdout=stdout, stderr=stderr)
    assert code == 0, stderr.getvalue()
    shown = stderr.getvalue()
    assert "expres_test_run_a.cdf" in shown
    assert "100%" in shown


def test_no_progress_bar_when_not_a_terminal(
    cli: Callable[..., Any], job_done: Any, tmp_path: Path
) -> None:
    run = cli("download", "2a3490", "-o", str(tmp_path))
    assert "%" not in run.err


def test_every_result_is_tried_and_each_failure_named(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    # Before: the first failure stopped the others. Now the good one is saved, each failed
    # one is named, and the command exits 4 with the first failure's error.
    real = hashlib.sha1(b"the real file").hexdigest()  # noqa: S324 (OPUS integrity hash)
    results = [
        uws.result_class("a.cdf", b"truncated", sha1=real),
        uws.result_class("ok.txt", b"fine"),
        uws.result_class("b.cdf", b"also truncated", sha1=real),
    ]
    uws.add(uws.job_class("m1", phase="COMPLETED", results=results))
    run = cli("download", "m1", "-o", str(tmp_path))
    assert run.code == 4
    assert [p.name for p in tmp_path.iterdir()] == ["ok.txt"]
    lines = run.err.strip().splitlines()
    assert len(lines) == 2
    assert f"{tmp_path / 'b.cdf'} was not saved" in lines[0]
    assert "a.cdf" in lines[1]
    assert "SHA-1" in lines[1]
    assert "the same command fetches the rest" in lines[1]
    assert (tmp_path / "ok.txt").read_bytes() == b"fine"


def test_a_failed_download_names_its_file_and_keeps_its_error_type(
    cli: Callable[..., Any], uws: Any, tmp_path: Path
) -> None:
    # OPUS's result hrefs (.../store?ID=<hash>) do not name the result: the error line does.
    real = hashlib.sha1(b"the real file").hexdigest()  # noqa: S324 (OPUS integrity hash)
    uws.add(
        uws.job_class(
            "m2", phase="COMPLETED", results=[uws.result_class("a.cdf", b"cut", sha1=real)]
        )
    )
    run = cli("download", "m2", "-o", str(tmp_path), "--json")
    assert run.code == 4
    assert f"uws-lite: {tmp_path / 'a.cdf'} was not saved: " in run.err
    error = json.loads(run.out)["error"]
    assert error["type"] == "IntegrityError"
    assert error["exit_code"] == 4
    assert error["message"].startswith(f"{tmp_path / 'a.cdf'} was not saved: ")
    assert "the same command fetches the rest" in error["message"]
    assert list(tmp_path.iterdir()) == []
