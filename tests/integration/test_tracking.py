"""The MLflow adapter on a temp sqlite store: runs, registry, aliases."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _log_dummy(project, tmp_path: Path, value: int) -> tuple[str, str]:
    weights = tmp_path / f"weights-{value}.txt"
    weights.write_text(f"dummy model {value}\n")
    with project.tracker.run("demo", project.settings, tags={"encoder_weights": "random"}) as run:
        project.tracker.log_metrics({"test/score": value / 10})
        project.tracker.log_artifact(weights, "native")
    return run.run_id, f"runs:/{run.run_id}/native"


def test_run_logs_config_and_follows_naming(project, tmp_path: Path) -> None:
    run_id, _ = _log_dummy(project, tmp_path, 1)
    [run] = project.tracker.runs("demo")
    assert run["run_id"] == run_id
    assert run["name"].startswith("demo-test-")
    assert run["params"]["tag2vec.vector_size"] == "100"
    assert run["tags"]["reeltag.config_hash"] == project.settings.config_hash()
    assert run["tags"]["reeltag.encoder_weights"] == "random"
    assert run["metrics"]["test/score"] == pytest.approx(0.1)
    assert project.paths.mlflow_db.is_file()
    assert any(project.paths.artifacts.rglob("config.json"))


def test_champion_moves_and_rollback_points_at_previous(project, tmp_path: Path) -> None:
    tracker = project.tracker
    versions = []
    for value in (1, 2):
        run_id, uri = _log_dummy(project, tmp_path, value)
        versions.append(tracker.register("dummy", uri, run_id, {"depends_on.tag2vec": "3", "trigger": "test"}))
    assert [v.version for v in versions] == ["1", "2"]
    assert versions[0].tags["depends_on.tag2vec"] == "3"

    tracker.promote("dummy", "1")
    assert tracker.by_alias("dummy", "champion").version == "1"
    assert tracker.by_alias("dummy", "rollback") is None
    move = tracker.promote("dummy", "2")
    assert (move.champion, move.rollback) == ("2", "1")
    assert tracker.by_alias("dummy", "champion").version == "2"
    assert tracker.by_alias("dummy", "rollback").version == "1"

    native = tracker.download_native(tracker.by_alias("dummy", "rollback"), tmp_path / "dl")
    assert (native / "weights-1.txt").read_text() == "dummy model 1\n"


def test_unknown_alias_is_refused(project) -> None:
    with pytest.raises(ValueError):
        project.tracker.set_alias("dummy", "best", 1)
