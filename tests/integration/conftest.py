"""Fixtures of the integration tests: a project with every champion the HTTP API serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mapper_helpers import mapper_project_at

API_GRID = {"alpha_grid": [0.0, 0.5, 1.0], "tune_normalisations": ["minmax"], "tune_poolings": ["max"], "bootstrap": 200}


@dataclass(frozen=True)
class ServedProject:
    """A project root with the champions the API serves (tiny demo data; `clip`: the encoder settings)."""

    root: Path
    demo: Path
    clip: dict[str, Any]
    toml: str


def _promote_unless(project: Any, model: str, version: str | None, promoted: bool) -> None:
    if not promoted:
        project.tracker.promote(model, version)


def served_project_at(root: Path, clip: dict[str, Any], demo: Path, suggest: bool = True) -> ServedProject:
    """Tag2Vec → mapper (tiny demo labels; skipped without ``suggest``) → reranker (3-setting grid on the tiny search
    set) with the ``clip`` encoder settings; each promoted by hand when the gate holds back on tiny data (test setup,
    like `reeltag promote`)."""
    from reeltag.mapper.steps import train_mapper
    from reeltag.project import Project
    from reeltag.rerank.steps import tune_rerank

    project = mapper_project_at(root, clip, demo)
    if suggest:
        trained = train_mapper(project, demo / "labels.csv")
        _promote_unless(project, "mapper", trained.version, trained.promoted)
    s = demo / "search"
    tuner = Project.open(root, rerank=API_GRID)
    tuned = tune_rerank(tuner, s / "base.run", s / "topics.txt", s / "qrels.txt", s / "manifest.csv")
    _promote_unless(project, "reranker", tuned.registered_version, tuned.promoted)
    api = f'\n[api]\ncatalogue = "{s / "manifest.csv"}"\nvideo_root = "{demo}"\nreload_s = 0.5\n'
    toml = (root / "reeltag.toml").read_text(encoding="utf-8") + api
    (root / "reeltag.toml").write_text(toml, encoding="utf-8")
    return ServedProject(root, demo, clip, toml)


@pytest.fixture(scope="session")
def served_project(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path, demo_encoder: Any) -> ServedProject:
    """Every champion the API serves, on the demo-trained encoder (see :func:`served_project_at`)."""
    return served_project_at(tmp_path_factory.mktemp("api-project"), demo_encoder.clip, demo_tiny)


@pytest.fixture(scope="session")
def random_served_project(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path) -> ServedProject:
    """The reranker champion only, tuned on RANDOM encoder weights of the same arch (the control of the online A/B)."""
    clip = {"arch": "reeltag-tiny", "weights": "random"}
    return served_project_at(tmp_path_factory.mktemp("api-project-random"), clip, demo_tiny, suggest=False)
