"""Run the code blocks of README.md and docs/**/*.md, so the documentation cannot drift.

Each page runs in order, as a reader would type it, in its own empty folder with its own
``HOME`` (no ``~/.netrc`` or token of the machine) and one embedded OPUS-compatible server
(:class:`uws_lite.testing.OpusServer`) standing in for the real service:

- The production URL ``https://voparis-uws-maser.obspm.fr`` (and ``http://127.0.0.1:8082``,
  the demo server of ``python -m uws_lite.testing``) in a block's text is replaced by the
  embedded server's URL, the bare host (a ``~/.netrc`` line) by ``127.0.0.1``; outputs are
  compared with the production URL put back.
- Python: ``uws_call_expres``, ``attach``, ``run_sweep`` and ``run_grid`` get the embedded
  server as their default ``server=`` (the public argument); in the shell,
  ``python -m uws_call_expres`` / ``uws-call-expres`` get ``--server`` unless the command
  names its own (or is ``--demo``, which starts its own).
- The server knows the user ``jdoe`` with the token ``YOUR_TOKEN`` (the placeholder the pages
  use); a command reading standard input (``read -rs EXPRES_TOKEN``) is given that token.
- Nothing reaches the network: HTTP(S) proxies point at a closed loopback port, so a block
  that tried the real service would fail instead.

A block's language says how it runs: ``python`` (executed; one namespace per page),
``pycon`` (a doctest in that namespace), ``console`` (each ``$ `` command run by bash; its
output is compared with the lines shown, see :func:`lines_match`; the status must be 0
unless the command ends with a comment saying ``exit status N``), ``bash`` (run as one
script with ``set -euo pipefail``). An HTML comment on the line before a block changes that:

- ``<!-- not-run: REASON -->``: not run (the reason is required and shown in the report);
- ``<!-- file: PATH -->``: the block's text is written to ``PATH`` (``~/`` = the page's
  ``HOME``; mode 0600, as ``~/.netrc`` needs);
- ``<!-- run: pytest -->``: a python block holding tests, run by pytest in a subprocess
  (with the package's ``opus_server`` fixture); at least one test must pass.

Any other block (``text``, no language, ...) without one of these markers fails the tests.
"""

from __future__ import annotations

import doctest
import functools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from uws_lite.testing import OpusServer

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = "https://voparis-uws-maser.obspm.fr"
PRODUCTION_HOST = "voparis-uws-maser.obspm.fr"
DEMO_SERVER = "http://127.0.0.1:8082"
DOCS_USER = "jdoe"
DOCS_TOKEN = "YOUR_TOKEN"  # the placeholder the pages show
# A closed port: a request that would leave the machine fails at once instead.
DEAD_PROXY = "http://127.0.0.1:9"
# Variables of the machine that would change what a block does.
CLEARED_ENV = ("EXPRES_TOKEN", "UWS_TOKEN", "UWS_URL", "UWS_LOGIN", "NETRC")

RUNNABLE = {"python", "pycon", "console", "bash", "sh", "shell"}
MARKER_RE = re.compile(r"^\s*<!--\s*(not-run|file|run)\s*:\s*(.*?)\s*-->\s*$")
FENCE_RE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
STATUS_RE = re.compile(r"#.*\bexit status (\d+)")
SENTINEL = "@@docs-block-status"


def pages() -> List[Path]:
    """README.md and every Markdown page of docs/ (not the build's output)."""
    found = sorted((ROOT / "docs").rglob("*.md"))
    skip = ("_build", "jupyter_execute", ".ipynb_checkpoints")
    return [ROOT / "README.md"] + [p for p in found if not set(p.parts) & set(skip)]


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: Optional[Tuple[str, str]]  # ("not-run", reason), ("file", path), ("run", what)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def read_blocks(page: Path) -> List[Block]:
    """The fenced blocks of a Markdown page; MyST directives (```{toctree}) are not code."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    previous = ""  # the last non-blank line before the current one
    i = 0
    while i < len(lines):
        opening = FENCE_RE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                previous = lines[i]
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: List[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            line = lines[j]
            body.append(line[indent:] if not line[:indent].strip() else line.lstrip())
            j += 1
        info = opening["info"].strip()
        if not info.startswith("{"):
            marker = MARKER_RE.match(previous)
            blocks.append(
                Block(
                    page=page,
                    line=i + 1,
                    lang=info.split()[0] if info else "",
                    text="\n".join(body) + "\n",
                    marker=(marker[1], marker[2]) if marker else None,
                )
            )
        previous = lines[j] if j < len(lines) else ""
        i = j + 1
    return blocks


# -- comparing outputs ----------------------------------------------------------------------

_VARYING = [
    (re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?"), "<datetime>"),
    (re.compile(r"\b\d{1,2}:\d\d:\d\d\b"), "<time>"),
    (re.compile(r"\b\d+:\d\d\b"), "<elapsed>"),
    (re.compile(r"\b[0-9a-f]{6,64}\b"), "<id>"),  # job ids, grid hashes, SHA-1s
]


def normalise(line: str) -> str:
    """A line with what varies between runs (times, job ids, hashes) replaced by tags."""
    line = line.rstrip()
    for pattern, tag in _VARYING:
        line = pattern.sub(tag, line)
    return line


@functools.cache
def _line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in normalise(expected).split("...")))


def lines_match(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Whether ``actual`` is what ``expected`` shows: line by line, after :func:`normalise`;
    ``...`` inside a line stands for any text, a line that is only ``...`` for any number of
    lines (none included)."""
    want = [line.rstrip() for line in expected]
    got = [normalise(line) for line in actual]

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(got) + 1))
        return (
            j < len(got)
            and _line_pattern(want[i]).fullmatch(got[j]) is not None
            and match(i + 1, j + 1)
        )

    return match(0, 0)


def trim(lines: List[str]) -> List[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


@dataclass
class Command:
    """One ``$ `` command of a console block and the output shown under it."""

    text: str
    expected: List[str]
    status: int


def console_commands(text: str) -> List[Command]:
    commands: List[Command] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(f"console output before any command: {lines[i]!r}")
        command = [lines[i][2:]]
        while command[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        i += 1
        output: List[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        full = "\n".join(command)
        status = STATUS_RE.search(command[-1])
        commands.append(Command(full, trim(output), int(status[1]) if status else 0))
    return commands


# -- running a page -------------------------------------------------------------------------

# bash: `python` is the interpreter running the tests; uws_call_expres talks to the embedded
# server unless the command names a server itself (or is --demo, which starts its own).
BASH_PRELUDE = r"""
python() {
  if [ "${1-}" = -m ] && [ "${2-}" = uws_call_expres ]; then shift 2; _docs_expres "$@";
  else command "$DOCS_PYTHON" "$@"; fi
}
python3() { python "$@"; }
uws-call-expres() { _docs_expres "$@"; }
_docs_expres() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --demo|--url|--url=*|--server|--server=*)
        command "$DOCS_PYTHON" -m uws_call_expres "$@"; return;;
    esac
  done
  command "$DOCS_PYTHON" -m uws_call_expres --server "$DOCS_SERVER" "$@"
}
"""


class PageRun:
    """The state shared by the blocks of one page: folder, HOME, server, Python namespace."""

    def __init__(self, root: Path, server: OpusServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.work = root / "work"
        self.home = root / "home"
        self.work.mkdir()
        self.home.mkdir()
        self.server = server
        self.namespace: Dict[str, Any] = {"__name__": "__docs__"}
        self.env = self._environment()
        for name in CLEARED_ENV:
            monkeypatch.delenv(name, raising=False)
        for name in ("HOME", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, self.env[name])
        monkeypatch.setenv("NO_PROXY", self.env["NO_PROXY"])
        monkeypatch.setenv("no_proxy", self.env["NO_PROXY"])
        monkeypatch.chdir(self.work)
        self._default_server(monkeypatch)

    def _environment(self) -> Dict[str, str]:
        bin_dir = str(Path(sys.executable).parent)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in CLEARED_ENV and not key.upper().endswith("_PROXY")
        }
        env.update(
            PATH=bin_dir + os.pathsep + os.environ.get("PATH", os.defpath),
            HOME=str(self.home),
            TZ="UTC",
            PYTHONUNBUFFERED="1",
            COLUMNS="100",
            DOCS_PYTHON=sys.executable,
            DOCS_SERVER=self.server.rest_url,
            HTTP_PROXY=DEAD_PROXY,
            HTTPS_PROXY=DEAD_PROXY,
            http_proxy=DEAD_PROXY,
            https_proxy=DEAD_PROXY,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    def _default_server(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import uws_call_expres as package

        def with_server(func: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(func)
            def call(*args: Any, **kwargs: Any) -> Any:
                kwargs.setdefault("server", self.server.rest_url)
                return func(*args, **kwargs)

            return call

        for name in ("uws_call_expres", "attach", "run_sweep", "run_grid"):
            monkeypatch.setattr(package, name, with_server(getattr(package, name)))

    # -- text in and out ---------------------------------------------------------------

    def localise(self, text: str) -> str:
        """The block as it runs here: the real service's URL is the embedded server's."""
        base = self.server.base_url
        text = text.replace(PRODUCTION, base).replace(DEMO_SERVER, base)
        return text.replace(PRODUCTION_HOST, "127.0.0.1")

    def publish(self, text: str) -> str:
        """Output as the page shows it: the embedded server's URL is the real service's."""
        return text.replace(self.server.base_url, PRODUCTION)

    # -- blocks -------------------------------------------------------------------------

    def run(self, block: Block) -> None:
        kind = block.marker[0] if block.marker else None
        if kind == "not-run":
            return
        if kind == "file":
            self.write_file(block)
        elif kind == "run":
            if block.marker != ("run", "pytest") or block.lang != "python":
                pytest.fail(f"{block.where}: unknown marker {block.marker} on a {block.lang} block")
            self.run_pytest(block)
        elif block.lang == "python":
            code = compile(self.localise(block.text), block.where, "exec")
            exec(code, self.namespace)  # noqa: S102 (the documentation's own code)
        elif block.lang == "pycon":
            self.run_doctest(block)
        elif block.lang == "console":
            self.run_console(block)
        elif block.lang in ("bash", "sh", "shell"):
            script = "set -euo pipefail\n" + self.localise(block.text)
            done = self.bash(script)
            if done.returncode != 0:
                pytest.fail(f"{block.where}: exit status {done.returncode}\n{done.stdout}")
        else:
            pytest.fail(f"{block.where}: a {block.lang or 'plain'} block without a marker")

    def write_file(self, block: Block) -> None:
        name = block.marker[1] if block.marker else ""
        path = self.home / name[2:] if name.startswith("~/") else self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.localise(block.text), encoding="utf-8")
        path.chmod(0o600)

    def bash(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", BASH_PRELUDE + script],
            cwd=self.work,
            env=self.env,
            input=DOCS_TOKEN + "\n",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )

    def run_console(self, block: Block) -> None:
        commands = console_commands(block.text)
        script = "".join(
            f"{self.localise(c.text)}\nprintf '\\n{SENTINEL} %d\\n' $?\n" for c in commands
        )
        done = self.bash(script)
        parts = re.split(rf"\n{SENTINEL} (\d+)\n", "\n" + self.publish(done.stdout))
        outputs, statuses = parts[0:-1:2], parts[1::2]
        if len(statuses) != len(commands):
            pytest.fail(f"{block.where}: the shell stopped early\n{done.stdout}")
        for command, output, status in zip(commands, outputs, statuses):
            actual = trim(output.splitlines())
            if int(status) != command.status:
                pytest.fail(
                    f"{block.where}: `{command.text}` exited {status}, expected "
                    f"{command.status}\n" + "\n".join(actual)
                )
            if command.expected and not lines_match(command.expected, actual):
                pytest.fail(
                    f"{block.where}: `{command.text}` printed\n"
                    + "\n".join(actual)
                    + "\n--- the page shows ---\n"
                    + "\n".join(command.expected)
                )

    def run_doctest(self, block: Block) -> None:
        test = doctest.DocTestParser().get_doctest(
            self.localise(block.text), self.namespace, block.where, str(block.page), block.line
        )
        report: List[str] = []
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        runner = doctest.DocTestRunner(optionflags=flags)
        result = runner.run(test, out=report.append, clear_globs=False)
        self.namespace.update(test.globs)  # DocTest ran in a copy of the namespace
        if result.failed:
            pytest.fail(self.publish("".join(report)))

    def run_pytest(self, block: Block) -> None:
        test_file = self.work / f"test_docs_{block.line}.py"
        test_file.write_text(self.localise(block.text), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or " passed" not in done.stdout:
            pytest.fail(f"{block.where}: pytest failed\n{done.stdout}")
