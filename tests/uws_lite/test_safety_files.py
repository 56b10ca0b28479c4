"""Temporary files are safe: created exclusively, under a random name, never through a link
(issue 11, point 3). A symlink planted in the output directory points outside it; the file
it points at must stay untouched (or not be created)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest
import requests
import responses

import uws_lite._transfer as transfer_module
from uws_lite._publish import PUBLISHED_MODE
from uws_lite.download import DownloadItem, DownloadStatus
from uws_lite.errors import DownloadError, InvalidRequest

from .engine import fetch_many, fetch_one

URL = "http://uws.example/rest/ExPRES/abc/results/out"
DATA = b"the result" * 1000


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    return out, outside


@responses.activate
def test_a_planted_part_symlink_is_not_written_through(tmp_path: Path) -> None:
    out, outside = _dirs(tmp_path)
    victim = outside / "victim"
    victim.write_bytes(b"precious")
    (out / ".x.part").symlink_to(victim)
    (out / ".y.part").symlink_to(outside / "created")  # dangling: must not be created
    responses.get(URL, body=DATA)
    for name in ("x", "y"):
        fetch_one(requests.Session(), URL, out / name, auth=None, trusted_origin=URL)
        assert (out / name).read_bytes() == DATA
        assert not (out / name).is_symlink()
    assert victim.read_bytes() == b"precious"
    assert not (outside / "created").exists()
    assert sorted(os.listdir(out)) == [".x.part", ".y.part", "x", "y"]  # planted links kept
    assert os.listdir(outside) == ["victim"]


@responses.activate
def test_part_names_are_random_and_created_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: List[Path] = []
    real = transfer_module.create_part

    def spy(dest: Path) -> tuple[int, Path]:
        fd, path = real(dest)
        created.append(path)
        assert (os.stat(path).st_mode & 0o777) == 0o600
        return fd, path

    monkeypatch.setattr(transfer_module, "create_part", spy)
    responses.get(URL, body=DATA)
    for _ in range(2):
        dest = tmp_path / "x"
        fetch_one(requests.Session(), URL, dest, auth=None, trusted_origin=URL, overwrite=True)
    assert len(created) == 2
    assert created[0] != created[1]  # unpredictable, not ".x.part"
    assert all(p.parent == tmp_path and p.name.startswith(".x.") for p in created)
    assert all(p.name.endswith(".part") and p.name != ".x.part" for p in created)
    assert os.listdir(tmp_path) == ["x"]


@responses.activate
def test_a_symlink_at_the_final_name_is_never_written_through(tmp_path: Path) -> None:
    out, outside = _dirs(tmp_path)
    victim = outside / "victim"
    victim.write_bytes(b"precious")
    (out / "x").symlink_to(victim)
    (out / "y").symlink_to(outside / "created")
    responses.get(URL, body=DATA)
    session = requests.Session()
    for name in ("x", "y"):  # refused: the name is taken (even by a dangling link)
        with pytest.raises(InvalidRequest, match="already exists"):
            fetch_one(session, URL, out / name, auth=None, trusted_origin=URL)
    assert len(responses.calls) == 0
    for name in ("x", "y"):  # overwrite replaces the link itself, not what it points at
        fetch_one(session, URL, out / name, auth=None, trusted_origin=URL, overwrite=True)
        assert not (out / name).is_symlink()
        assert (out / name).read_bytes() == DATA
    assert victim.read_bytes() == b"precious"
    assert os.listdir(outside) == ["victim"]


@responses.activate
def test_a_long_name_still_gets_a_short_enough_part_file(tmp_path: Path) -> None:
    name = "n" * 250
    responses.get(URL, body=DATA)
    seen: List[str] = []
    real = transfer_module.create_part

    def spy(dest: Path) -> tuple[int, Path]:
        fd, path = real(dest)
        seen.append(path.name)
        return fd, path

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transfer_module, "create_part", spy)
        fetch_one(requests.Session(), URL, tmp_path / name, auth=None, trusted_origin=URL)
    assert (tmp_path / name).read_bytes() == DATA
    assert len(seen[0].encode()) <= 255


@responses.activate
def test_download_many_says_which_files_this_call_wrote(tmp_path: Path) -> None:
    # Saved means saved by this call: each item's outcome says it, in order; a file this
    # call did not write is never among them (before: an undeclared saved_paths attribute).
    responses.get("http://uws.example/a", body=b"aa")
    responses.get("http://uws.example/b", status=500)
    responses.get("http://uws.example/c", body=b"cc")
    (tmp_path / "elsewhere").write_bytes(b"not ours")
    items = [DownloadItem(f"http://uws.example/{n}", tmp_path / n) for n in "abc"]
    report = fetch_many(requests.Session(), items, trusted_origin=URL, max_workers=1)
    assert [o.status for o in report] == [
        DownloadStatus.SAVED,
        DownloadStatus.FAILED,
        DownloadStatus.SAVED,
    ]
    assert isinstance(report[1].error, DownloadError)
    assert [o.path for o in report.saved] == [tmp_path / "a", tmp_path / "c"]
    assert all(o.path.read_bytes() == o.path.name.encode() * 2 for o in report.saved)
    assert sorted(os.listdir(tmp_path)) == ["a", "c", "elsewhere"]


@responses.activate
def test_a_saved_result_gets_the_usual_permissions_not_the_temporary_files(tmp_path: Path) -> None:
    # The .part file is 0600 while it is incomplete; the published result is what open()
    # would have made (0666 less the umask), so a group or a web server can read it as before.
    responses.get("http://uws.example/r", body=b"result")
    dest = tmp_path / "r"
    fetch_one(requests.Session(), "http://uws.example/r", dest, auth=None, trusted_origin=URL)
    assert dest.read_bytes() == b"result"
    assert dest.stat().st_mode & 0o777 == PUBLISHED_MODE
    current = os.umask(0)
    os.umask(current)
    assert 0o666 & ~current == PUBLISHED_MODE
