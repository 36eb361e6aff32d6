"""The layer rule (house rule 1): one table orders reeltag's packages, lowest first; every import of ``src/reeltag``
and ``flows/`` (top level, inside functions and under ``TYPE_CHECKING`` alike) runs down the table, or sideways
within one layer without a cycle. Read from the syntax trees, so a new module is covered without a list to keep.

A package is the first name under ``reeltag`` (``reeltag.mapper.steps`` → ``mapper``; ``reeltag.config`` →
``config``); everything in ``flows/`` is ``flows``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "core",
        frozenset(
            {"reeltag", "errors", "io", "textfiles", "durable_sqlite", "security", "console", "paths", "quarantine", "config"}
            | {"ranking", "bootstrap", "slices"}
        ),
    ),
    ("tracking", frozenset({"tracking"})),
    ("project", frozenset({"project"})),  # settings + paths + the project's tracker: what every step takes first
    ("registry", frozenset({"registry"})),  # alias policy, register-and-gate, the gates, compare
    (
        "capabilities",
        frozenset({"corpus", "contracts", "video", "tag2vec", "text", "mapper", "suggest", "rerank", "ab", "review"}),
    ),
    ("report and demo", frozenset({"report", "demo"})),
    ("api and commands", frozenset({"api", "commands", "cli"})),
    ("flows", frozenset({"flows"})),
)
LAYER_OF = {package: rank for rank, (_, packages) in enumerate(LAYERS) for package in packages}


def read_modules() -> dict[str, ast.Module]:
    """Every module of ``src/reeltag`` and ``flows/`` by dotted name."""
    found = {}
    for base, folder in ((ROOT / "src", "reeltag"), (ROOT, "flows")):
        for path in sorted((base / folder).rglob("*.py")):
            name = ".".join(path.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    return "flows" if parts[0] == "flows" else (parts[1] if len(parts) > 1 else "reeltag")


def imported(module: str, tree: ast.Module) -> Iterator[str]:
    """Every reeltag/flows module ``tree`` imports, wherever the import statement is."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] in ("reeltag", "flows"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*module.split(".")[: -node.level], *([base] if base else [])])
            if base.split(".")[0] in ("reeltag", "flows"):
                yield base
                yield from (f"{base}.{a.name}" for a in node.names if base == "reeltag" and not a.name.startswith("__"))


def package_edges(modules: Mapping[str, ast.Module]) -> dict[tuple[str, str], list[str]]:
    """``(from package, to package) → the modules that import across``."""
    edges: dict[tuple[str, str], list[str]] = {}
    for module, tree in modules.items():
        for target in imported(module, tree):
            a, b = package_of(module), package_of(target)
            if a != b and not (b == "reeltag" and target == "reeltag"):
                edges.setdefault((a, b), []).append(f"{module} → {target}")
    return edges


def cycles(edges: Mapping[tuple[str, str], list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one package (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def violations(modules: Mapping[str, ast.Module]) -> list[str]:
    """Imports that run up the table or into an unknown package, and cycles between packages."""
    edges = package_edges(modules)
    wrong = [
        f"{a} ({_layer(a)}) imports {b} ({_layer(b)}): {', '.join(sorted(set(where)))}"
        for (a, b), where in sorted(edges.items())
        if a not in LAYER_OF or b not in LAYER_OF or LAYER_OF[b] > LAYER_OF[a]
    ]
    return wrong + [f"import cycle between packages: {' ↔ '.join(group)}" for group in cycles(edges)]


def _layer(package: str) -> str:
    return LAYERS[LAYER_OF[package]][0] if package in LAYER_OF else "not in LAYERS: add it to the table"


MODULES = read_modules()


def test_imports_run_down_the_layers_without_cycles() -> None:
    assert violations(MODULES) == []


def test_every_package_has_a_layer() -> None:
    packages = {package_of(m) for m in MODULES}
    assert packages - set(LAYER_OF) == set()
    assert {"corpus", "suggest", "registry", "report", "api", "flows"} <= packages  # the walk found the tree


@pytest.mark.parametrize(
    ("planted", "source", "expected"),
    [
        ("reeltag.corpus.planted", "def f():\n    from reeltag.api.app import create_app\n", "corpus (capabilities) imports api"),
        ("reeltag.tracking.planted", "from reeltag.registry import policy\n", "tracking (tracking) imports registry"),
        ("reeltag.reporting_x", "import os\n", None),  # a new top-level module no layer names
    ],
)
def test_a_planted_upward_import_fails(planted: str, source: str, expected: str | None) -> None:
    found = violations({**MODULES, planted: ast.parse(source)})
    if expected is None:
        assert "reporting_x" in " ".join({package_of(m) for m in MODULES | {planted: ast.Module()}} - set(LAYER_OF))
    else:
        assert any(v.startswith(expected) for v in found), found


def test_a_planted_cycle_between_capabilities_fails() -> None:
    planted = {
        "reeltag.corpus.planted": ast.parse("from reeltag.rerank import formats\n"),
        "reeltag.rerank.planted": ast.parse("from reeltag.corpus import tags\n"),
    }
    found = violations({**MODULES, **planted})
    assert "import cycle between packages: corpus ↔ rerank" in found
