"""Every code block of README.md and docs/ runs (see conftest.py for how), and a block that
does not is marked so in the page, with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from .pages import (
    ROOT,
    RUNNABLE,
    PageRun,
    console_commands,
    lines_match,
    normalise,
    pages,
    read_blocks,
)

PAGES = pages()


@pytest.mark.e2e
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_block_of_the_page_runs(page: Path, page_run: PageRun) -> None:
    for block in read_blocks(page):
        page_run.run(block)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_block_that_is_not_run_says_why(page: Path) -> None:
    for block in read_blocks(page):
        kind, value = block.marker or ("", "")
        if kind == "not-run":
            assert len(value.split()) >= 3, f"{block.where}: say why the block is not run"
        elif kind == "file":
            assert value, f"{block.where}: <!-- file: PATH --> needs a path"
            assert " " not in value, f"{block.where}: one path, without spaces"
        elif kind == "run":
            assert (value, block.lang) == ("pytest", "python"), f"{block.where}: {block.marker}"
        else:
            assert block.lang in RUNNABLE, (
                f"{block.where}: a {block.lang or 'plain'} block is not run: give it a runnable"
                " language, or say <!-- file: PATH --> or <!-- not-run: REASON --> before it"
            )
        if block.lang == "console" and kind != "not-run":
            console_commands(block.text)  # raises on output before the first `$ `


def test_the_docs_have_pages_and_blocks() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/troubleshooting.md"} <= names
    blocks = [b for p in PAGES for b in read_blocks(p)]
    run = [b for b in blocks if not b.marker or b.marker[0] != "not-run"]
    assert len(run) > 40
    assert len(run) > 4 * (len(blocks) - len(run))  # not running a block is the exception


def test_a_page_cannot_reach_the_real_service(page_run: PageRun) -> None:
    import requests

    proxies = requests.utils.get_environ_proxies("https://voparis-uws-maser.obspm.fr/rest/")
    assert proxies["https"] == "http://127.0.0.1:9"
    assert not requests.utils.get_environ_proxies(page_run.server.rest_url)
    assert page_run.localise("https://voparis-uws-maser.obspm.fr/rest/ExPRES") == (
        page_run.server.base_url + "/rest/ExPRES"
    )
    done = page_run.bash("env | grep -c -E '^(EXPRES_TOKEN|UWS_TOKEN|UWS_URL)=' || true")
    assert done.stdout.strip() == "0"


def test_blocks_are_read_with_their_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n<!-- not-run: installs the package -->\n```bash\npip install .\n```\n\n"
        "```python\nprint(1)\n```\n\n<!-- file: ~/.netrc -->\n```text\nmachine x\n```\n"
        "```{toctree}\nindex\n```\n\n- item\n\n  ```console\n  $ true\n  ```\n",
        encoding="utf-8",
    )
    blocks = read_blocks(page)
    assert [(b.line, b.lang, b.marker) for b in blocks] == [
        (4, "bash", ("not-run", "installs the package")),
        (8, "python", None),
        (13, "text", ("file", "~/.netrc")),
        (22, "console", None),
    ]
    assert blocks[1].text == "print(1)\n"
    assert blocks[3].text == "$ true\n"


def test_outputs_are_compared_loosely_where_runs_differ() -> None:
    shown = [
        "Job : 15efbb",
        "00:48:51 UTC QUEUED (elapsed 0:00 of at most 10:00)",
        "...",
        "4 result(s) saved in .../run1",
    ]
    got = [
        "Job : 2a3490",
        "07:00:01 UTC QUEUED (elapsed 0:00 of at most 10:00)",
        "07:00:01 UTC EXECUTING (elapsed 0:00 of at most 10:00)",
        "Downloading stdout",
        "4 result(s) saved in /tmp/x/work/run1",
    ]
    assert lines_match(shown, got)
    assert not lines_match(shown, got[:-1])  # a missing line
    assert not lines_match(shown[:2], got[:3])  # an extra line
    assert not lines_match(["Job completed"], ["Job failed"])
    assert normalise("job 274509 of 2026-12-06T07:56:25") == "job <id> of <datetime>"


def test_console_commands_carry_their_expected_status() -> None:
    commands = console_commands(
        "$ python -m uws_call_expres --check mine.json   # exit status 1: errors\n"
        "mine.json: ...\n"
        "$ echo a \\\n    b\n"
        "a b\n"
    )
    assert [(c.status, c.expected) for c in commands] == [(1, ["mine.json: ..."]), (0, ["a b"])]
    assert commands[1].text == "echo a \\\n    b"
    with pytest.raises(ValueError, match="before any command"):
        console_commands("output\n$ true\n")
