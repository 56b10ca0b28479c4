"""Install a built wheel or sdist in a fresh virtual environment and smoke-test it.

Run by ``tox -e pkg`` (not collected by pytest) after ``python -m build``::

    python tests/docs/smoke_install.py DIST_DIR

For each of the wheel and the sdist found in DIST_DIR: a new venv, ``pip install`` of that
file alone (its dependencies from the index), then, from an empty folder (so that nothing
is imported from the source tree): both command lines' ``--version``, the offline demo
(``python -m uws_call_expres --demo``), ``import uws_lite.testing``, the pytest plugin's
entry point, and the data files (example config, ExPRES schema, UWS XSDs, ``py.typed``).
The wheel must hold the two packages and nothing else.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path
from typing import List

CHECK_INSTALLED = r"""
import sys
from importlib import metadata, resources

import uws_call_expres
import uws_lite
import uws_lite.testing

version = metadata.version("uws_call_expres")
assert uws_lite.__version__ == uws_call_expres.__version__ == version, version
files = {
    "uws_call_expres": ["py.typed", "data/example.json", "data/expres-v1.0.3.schema.json"],
    "uws_lite": ["py.typed", "schemas/UWS-v1.0.xsd", "schemas/UWS-v1.1.xsd"],
}
for package, names in files.items():
    for name in names:
        file = resources.files(package).joinpath(name)
        assert file.is_file(), f"{package}/{name} is not installed"
        assert name == "py.typed" or file.read_bytes(), f"{package}/{name} is empty"
for name in ("uws_lite", "uws_call_expres", "uws_lite.testing"):
    assert "site-packages" in sys.modules[name].__file__, sys.modules[name].__file__
plugins = {ep.name: ep.value for ep in metadata.entry_points(group="pytest11")}
assert plugins.get("uws_lite") == "uws_lite.testing.pytest_plugin", plugins
scripts = {ep.name for ep in metadata.entry_points(group="console_scripts")}
assert {"uws-lite", "uws-call-expres"} <= scripts, scripts
print("installed", version, "from", uws_lite.__file__)
"""


def run(command: List[str], cwd: Path) -> str:
    print("$", " ".join(command), flush=True)
    done = subprocess.run(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    return done.stdout


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    extra = {top for top in tops if not top.endswith(".dist-info")} - {
        "uws_lite",
        "uws_call_expres",
    }
    if extra:
        raise SystemExit(f"{wheel.name} holds more than the two packages: {sorted(extra)}")


def smoke(artifact: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="smoke-") as tmp:
        root = Path(tmp)
        venv.create(root / "venv", with_pip=True)
        bindir = root / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
        python = str(bindir / "python")
        work = root / "work"
        work.mkdir()
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             str(artifact)], work)  # fmt: skip
        version = run([str(bindir / "uws-lite"), "--version"], work).split()[-1]
        expres = run([str(bindir / "uws-call-expres"), "--version"], work)
        if version not in expres:
            raise SystemExit(f"the two command lines disagree: {version} / {expres}")
        run([python, "-c", CHECK_INSTALLED], work)
        run([python, "-m", "uws_call_expres", "--demo", "-q", "-o", "demo"], work)
        saved = sorted(p.name for p in (work / "demo").iterdir())
        if not any(name.endswith(".cdf") for name in saved) or "stdout" not in saved:
            raise SystemExit(f"the demo saved {saved}")
        print(f"ok: {artifact.name} (demo saved {', '.join(saved)})", flush=True)


def main(argv: List[str]) -> None:
    dist = Path(argv[0]).resolve()
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise SystemExit(f"expected one wheel and one sdist in {dist}: {wheels + sdists}")
    check_wheel_contents(wheels[0])
    for artifact in (wheels[0], sdists[0]):
        smoke(artifact)


if __name__ == "__main__":
    main(sys.argv[1:])
