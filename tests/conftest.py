"""Shared fixtures: temp project root, temp sqlite MLflow store, env scrub, seeded demo data, real data."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from robustness_summary import collect_kinds, print_summary

from reeltag.tracking.naming import TELEMETRY_OFF

REPO = Path(__file__).resolve().parents[1]
KEPT_ENV = ("REELTAG_REAL_DATA", "REELTAG_SAMPLE_EVAL")  # paths to test inputs outside the repo, not settings


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
        if key.startswith("REELTAG_") and key not in KEPT_ENV:
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


DEMO_ENCODER_STEPS = 120  # ~0.8 held-out zero-shot accuracy on demo_tiny (chance ~0.07); see tests/integration/test_adapt.py


@dataclass(frozen=True)
class DemoEncoder:
    """A demo-trained tiny encoder: ``Project.open(root, clip=demo_encoder.clip)`` makes a project use it."""

    checkpoint: Path
    clip: dict[str, Any]
    result: dict[str, Any]  # the JSON that `reeltag clip adapt --json` printed
    root: Path  # the project root it was adapted (and registered) in


@pytest.fixture(scope="session")
def demo_encoder(demo_tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoEncoder:
    """`reeltag clip adapt` of reeltag-tiny from random init on the demo_tiny segments, once per session."""
    from typer.testing import CliRunner

    from reeltag.cli import app

    root = tmp_path_factory.mktemp("demo-encoder")
    checkpoint = root / "reeltag-tiny-demo.pt"
    args = [
        "clip",
        "adapt",
        "--pairs",
        str(demo_tiny / "segments.jsonl"),
        "--from",
        "random",
        "--arch",
        "reeltag-tiny",
        "--steps",
        str(DEMO_ENCODER_STEPS),
        "--out",
        str(checkpoint),
        "--root",
        str(root),
        "--json",
    ]
    env = {**TELEMETRY_OFF, "REELTAG_TRACKING__TRIGGER": "test", "REELTAG_CLIP__THREADS": "1"}
    outcome = CliRunner().invoke(app, args, env=env)
    assert outcome.exit_code == 0, outcome.output[-3000:]
    result = json.loads([line for line in outcome.stdout.splitlines() if line.startswith("{")][-1])
    return DemoEncoder(checkpoint, {"weights": str(checkpoint), "arch": "reeltag-tiny"}, result, root)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    collect_kinds(report)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001, ARG001 (pytest hook)
    print_summary(terminalreporter, config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first (a stable sort: the order is the same in every xdist worker), so their files are
    handed out first and the run does not end waiting on one of them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
