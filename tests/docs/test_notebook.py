"""The tutorial notebook is stored as a reader downloads it: no outputs (the documentation
build executes it against the embedded server, and a failing cell fails the build), and it
uses the packages' public names only."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List

from .pages import ROOT

NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def cells() -> List[Dict[str, Any]]:
    document = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert document["nbformat"] == 4
    assert document["metadata"]["kernelspec"]["name"] == "python3"
    return list(document["cells"])


def source(cell: Dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def test_the_notebook_is_stored_without_outputs() -> None:
    code = [cell for cell in cells() if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [], source(cell)
        assert cell["execution_count"] is None, source(cell)


def test_the_notebook_uses_public_names_and_the_embedded_server() -> None:
    text = "\n".join(source(cell) for cell in cells() if cell["cell_type"] == "code")
    imports = re.findall(r"^from (\S+) import", text, flags=re.MULTILINE)
    assert set(imports) <= {"uws_call_expres", "uws_lite", "uws_lite.testing", "IPython.display"}
    assert "OpusServer(" in text
    assert "server.stop()" in text
    assert "voparis-uws-maser" not in text  # never the real service
    for step in ("uws_call_expres(", "run.open()", "quicklook(", "run_grid(", "Image("):
        assert step in text, step
