"""Shared fixtures: temp project root, temp sqlite MLflow store, env scrub, seeded demo data, real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TELEMETRY_OFF = {"DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def _real_data_dir() -> Path:
    return Path(os.environ.get("REELTAG_REAL_DATA", REPO.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared real data folder (``REELTAG_REAL_DATA``); tests skip with the reason when it is absent."""
    folder = _real_data_dir()
    if not (folder / "README.md").is_file():
        pytest.skip(f"real data not found at {folder} (set REELTAG_REAL_DATA to the shared data folder)")
    return folder


@pytest.fixture(autouse=True)
def scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REELTAG_* setting from the developer's shell leaks into a test; telemetry stays off."""
    for key in list(os.environ):
        if key.startswith("REELTAG_") and key != "REELTAG_REAL_DATA":
            monkeypatch.delenv(key)
    for key, value in TELEMETRY_OFF.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def tmp_root(tmp_path: Path) -> Path:
    """An empty project root (with the repo's data contracts)."""
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def project(tmp_root: Path):
    """A project on a temp root whose MLflow store is a temp sqlite file."""
    from reeltag.project import Project

    return Project.open(tmp_root, tracking={"trigger": "test"})


@pytest.fixture(scope="session")
def demo_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded 'tiny' demo sets, generated once per session (read-only for tests)."""
    from reeltag.demo import generate_demo

    out = tmp_path_factory.mktemp("demo-tiny")
    generate_demo(out, seed=1, size="tiny")
    return out
