"""Hardening (issue 13, findings 12 and 13): atomic writes keep file modes and are durable; normal commands
(make clean, demo-data, demo, report --out) never remove or overwrite files that are not theirs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from robust_helpers import invoke_cli

from reeltag import io

pytestmark = pytest.mark.robustness

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_writes_keep_the_target_mode_or_follow_the_umask(tmp_path: Path, umask_022, tried) -> None:
    tried.fault("atomic write replacing a shared file (mode)")
    fresh = io.write_json_atomic(tmp_path / "fresh.json", {"a": 1})
    shared = tmp_path / "shared.json"
    shared.write_text("{}", encoding="utf-8")
    shared.chmod(0o640)
    io.write_json_atomic(shared, {"b": 2})
    assert _mode(fresh) == 0o644 and _mode(shared) == 0o640 and json.loads(shared.read_text()) == {"b": 2}


def test_atomic_writes_fsync_the_file_and_its_folder(tmp_path: Path, monkeypatch, tried) -> None:
    tried.fault("power loss right after an atomic write")
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(io.os, "fsync", recording_fsync)
    target = io.write_text_atomic(tmp_path / "sub" / "state.json", "{}")
    folder = str(target.parent)
    assert any(Path(p).parent == target.parent and Path(p).name.startswith(".state.json.") for p in synced)
    assert synced[-1] == folder  # after the rename, so the new name itself is durable


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_keeps_the_data_and_clean_data_is_asked_for_by_name(tmp_path: Path, tried) -> None:
    tried.fault("make clean in a project with data")
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for rel in (
        "data/corpus/posts-0.parquet",
        "data/inbox/posts/new.jsonl",
        "demo-out/reeltag.toml",
        ".venv/bin/python",
        "src/pkg/__pycache__/m.pyc",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "data/corpus/posts-0.parquet").is_file() and (tmp_path / "data/inbox/posts/new.jsonl").is_file()
    assert (tmp_path / "demo-out").is_dir() and not (tmp_path / ".venv").exists()
    assert not (tmp_path / "src/pkg/__pycache__").exists()
    subprocess.run(["make", "-s", "clean-data"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert not (tmp_path / "data").exists() and not (tmp_path / "demo-out").exists()


def test_demo_data_refuses_a_folder_with_someone_elses_files(tmp_path: Path, tried) -> None:
    tried.bad_input("demo", "demo-data --out a folder holding non-demo files")
    (tmp_path / "labels.csv").write_text("video,tags\nmine.mp4,#mine\n", encoding="utf-8")
    outcome = invoke_cli("demo-data", "--out", str(tmp_path), "--size", "tiny")
    assert outcome.exit_code == 2 and "labels.csv" in outcome.output and "demo.json" in outcome.output
    assert (tmp_path / "labels.csv").read_text(encoding="utf-8") == "video,tags\nmine.mp4,#mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv"]


def test_demo_refuses_a_root_that_is_a_real_project(tmp_path: Path, tried) -> None:
    tried.bad_input("demo", "demo --root a real project")
    root = tmp_path / "real"
    (root / "data" / "corpus").mkdir(parents=True)
    (root / "reeltag.toml").write_text("[tag2vec]\nvector_size = 32\n", encoding="utf-8")
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    outcome = invoke_cli(
        "demo", "--root", str(root), "--size", "tiny", "--quick", env={"PREFECT_HOME": str(tmp_path / "prefect")}
    )
    assert outcome.exit_code == 2 and "not a demo project" in outcome.output
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before


@pytest.mark.slow
def test_report_out_never_replaces_a_decision_json_beside_it(tmp_root: Path, tmp_path: Path, tried) -> None:
    tried.bad_input("report", "--out into a folder holding someone's decision.json")
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "decision.json").write_text('{"theirs": true}', encoding="utf-8")
    outcome = invoke_cli("report", "--out", str(folder / "poc.html"), "--root", str(tmp_root), "--json")
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    assert (folder / "decision.json").read_text(encoding="utf-8") == '{"theirs": true}'
    assert result["decision"] == str(folder / "poc.decision.json") and (folder / "poc.decision.json").is_file()
