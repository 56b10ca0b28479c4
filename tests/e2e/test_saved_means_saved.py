""" "Saved" means saved by this call (issue 11, point 4): when another file takes a result's
destination name during its download, the run is not ok, the other file is not one of the
run's files, and ResultsIncomplete names what is missing with the re-attach command."""

from __future__ import annotations

from typing import Any, List

import pytest

from uws_call_expres import ResultsIncomplete

pytestmark = pytest.mark.e2e

CDF = "expres_io2015-04-30.cdf"
OTHER = b"someone else's file, written during the download\n"


def _take_the_name(ws: Any, path: str = "/store") -> List[str]:
    taken: List[str] = []

    def hook(request_path: str) -> None:
        if request_path == path and not taken:
            (ws.out / CDF).write_bytes(OTHER)
            taken.append(request_path)

    ws.server.faults.download_hook = hook
    return taken


def test_a_name_taken_during_the_download_is_results_incomplete(ws: Any) -> None:
    taken = _take_the_name(ws)
    with pytest.raises(ResultsIncomplete) as caught:
        ws.run(ws.config(), LOOP=True)
    assert taken, "the fault did not fire"
    error = caught.value
    run = error.run
    assert not run.ok
    assert CDF not in [p.name for p in run.files]  # never the other file
    assert [rid for rid, _ in error.failures] == [CDF]
    assert CDF in str(error)
    assert "retry with:" in str(error)
    assert run.job_id in str(error)
    assert (ws.out / CDF).read_bytes() == OTHER  # left alone
    assert "stdout" in [p.name for p in run.files]  # the others were saved
    ws.console()


def test_the_cli_exits_non_zero_and_says_what_is_missing(ws: Any) -> None:
    _take_the_name(ws)
    ws.config()
    # The CLI runs in a subprocess: the hook runs in this process, in the server.
    done = ws.cli("example.json", "-o", str(ws.out), "--no-progress")
    assert done.code != 0, done.text
    assert CDF in done.err
    # Refused at publication, or (when the others were stopped and retried one by one)
    # before the retry of this one: either way the name is left to the other file.
    assert "appeared during the download" in done.err or "already exists" in done.err
    assert (ws.out / CDF).read_bytes() == OTHER


def test_planted_links_in_the_output_directory_are_never_written_through(ws: Any) -> None:
    # Issue 11, point 3: a link at the old, predictable .part name and at final names,
    # pointing outside the output directory.
    outside = ws.root / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_bytes(b"precious")
    (ws.out / f".{CDF}.part").symlink_to(victim)
    (ws.out / ".stdout.part").symlink_to(outside / "created-by-part")
    (ws.out / "stdout").symlink_to(outside / "created-by-name")
    run = ws.run(ws.config(), LOOP=True)
    assert run.ok
    assert (ws.out / CDF).is_file()
    assert not (ws.out / CDF).is_symlink()
    assert all(not p.is_symlink() for p in run.files)
    assert victim.read_bytes() == b"precious"
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]  # nothing created there
    ws.console()
