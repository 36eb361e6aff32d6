"""Flow tests run against one temporary Prefect API per session (``prefect_test_harness``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary SQLite-backed Prefect API; task results (the cache) in a session temp folder."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    storage = tmp_path_factory.mktemp("prefect-results")
    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}), prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def demo_root(tmp_path: Path, demo_tiny: Path) -> Path:
    """An empty project root for a flow test (demo data stays in the read-only session folder)."""
    root = tmp_path / "project"
    root.mkdir()
    return root
