"""The structure holds: no module of either package imports, even lazily or for type checking
only, a module that imports it back (a cycle); uws_lite never imports uws_call_expres.

The imports are read from the source (every ``import`` statement, wherever it is), so a
cycle hidden inside a function or under ``TYPE_CHECKING`` is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> Dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imported(name: str, path: Path, known: Dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            children = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            if not (children and node.module is None):
                yield target
            yield from children


def _graph(packages: List[str]) -> Dict[str, Set[str]]:
    known: Dict[str, Path] = {}
    for package in packages:
        known.update(_modules(package))
    return {
        name: {t for t in _imported(name, path, known) if t in known and t != name}
        for name, path in known.items()
    }


def _cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


@pytest.mark.parametrize("packages", [["uws_lite"], ["uws_call_expres"]])
def test_no_import_cycle(packages: List[str]) -> None:
    assert _cycles(_graph(packages)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_uws_lite_never_imports_uws_call_expres() -> None:
    edges = _graph(["uws_lite", "uws_call_expres"])
    upward = sorted(
        (name, target)
        for name, targets in edges.items()
        if name.startswith("uws_lite")
        for target in targets
        if target.startswith("uws_call_expres")
    )
    assert upward == []


def test_the_graph_sees_lazy_imports() -> None:
    # uws_lite.auth reads .netrc through netrcfile with an import inside netrc_entry.
    assert "uws_lite.netrcfile" in _graph(["uws_lite"])["uws_lite.auth"]
