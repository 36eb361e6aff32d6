"""The MLflow adapter on a temp sqlite store: runs, registry, aliases, one store per project."""

from pathlib import Path

import pytest

from reeltag.project import Project
from reeltag.tracking.integrity import NATIVE_SHA256, digest_of
from reeltag.tracking.null import NullTracker
from reeltag.tracking.off import TrackingOff

pytestmark = pytest.mark.integration


def _log_dummy(project, tmp_path: Path, value: int):
    weights = tmp_path / f"weights-{value}.txt"
    weights.write_text(f"dummy model {value}\n")
    with project.tracker.run("demo", project.settings, tags={"encoder_weights": "random"}) as run:
        project.tracker.log_metrics(run.run_id, {"test/score": value / 10})
        logged = project.tracker.log_model(run.run_id, {"weights": weights}, loader="reeltag.none:load")
    return run.run_id, logged


def test_run_logs_config_and_follows_naming(project, tmp_path: Path) -> None:
    run_id, _ = _log_dummy(project, tmp_path, 1)
    [run] = project.tracker.runs("demo")
    assert run["run_id"] == run_id and run["status"] == "FINISHED"
    assert run["name"].startswith("demo-test-")
    assert run["params"]["tag2vec.vector_size"] == "100"
    assert run["tags"]["reeltag.config_hash"] == project.settings.config_hash()
    assert run["tags"]["reeltag.encoder_weights"] == "random"
    assert run["metrics"]["test/score"] == pytest.approx(0.1)
    assert project.paths.mlflow_db.is_file()
    assert any(project.paths.artifacts.rglob("config.json"))


def test_a_run_whose_block_raises_is_failed(project) -> None:
    with pytest.raises(RuntimeError), project.tracker.run("demo", project.settings):
        raise RuntimeError("boom")
    assert [r["status"] for r in project.tracker.runs("demo")] == ["FAILED"]


def test_champion_moves_and_rollback_points_at_previous(project, tmp_path: Path) -> None:
    tracker = project.tracker
    versions = []
    for value in (1, 2):
        run_id, logged = _log_dummy(project, tmp_path, value)
        versions.append(tracker.register("dummy", logged, run_id, {"depends_on.tag2vec": "3", "trigger": "test"}))
    assert [v.version for v in versions] == ["1", "2"]
    assert versions[0].tags["depends_on.tag2vec"] == "3"

    tracker.promote("dummy", "1")
    assert tracker.by_alias("dummy", "champion").version == "1"
    assert tracker.by_alias("dummy", "rollback") is None
    move = tracker.promote("dummy", "2")
    assert (move.champion, move.rollback) == ("2", "1")
    assert tracker.by_alias("dummy", "champion").version == "2"
    assert tracker.by_alias("dummy", "rollback").version == "1"

    rollback = tracker.by_alias("dummy", "rollback")
    native = tracker.download_native(rollback, tmp_path / "dl")
    assert (native / "weights-1.txt").read_text() == "dummy model 1\n"
    assert digest_of(native) == rollback.tags[NATIVE_SHA256]


def test_unknown_alias_is_refused(project) -> None:
    with pytest.raises(ValueError):
        project.tracker.set_alias("dummy", "best", 1)


def test_two_projects_in_one_process_log_to_their_own_stores(tmp_path: Path) -> None:
    """Before, the most recently built Tracker set mlflow's global URI and every run went to its store."""
    first = Project.open(tmp_path / "a", tracking={"trigger": "test"})
    second = Project.open(tmp_path / "b", tracking={"trigger": "test"})
    assert first.tracker.client is not second.tracker.client  # both built before either logs
    ids = {}
    for name, project in (("a", first), ("b", second), ("a2", first)):
        with project.tracker.run("demo", project.settings, tags={"writer": name}) as run:
            project.tracker.log_metrics(run.run_id, {"all/x": 1.0})
        ids[name] = run.run_id
    assert {r["run_id"] for r in first.tracker.runs("demo")} == {ids["a"], ids["a2"]}
    assert {r["run_id"] for r in second.tracker.runs("demo")} == {ids["b"]}
    assert all(r["metrics"] == {"all/x": 1.0} for r in first.tracker.runs("demo"))


def test_the_tracker_sets_no_process_wide_mlflow_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = mlflow.get_tracking_uri()
    project = Project.open(tmp_path / "a", tracking={"trigger": "test"})
    with project.tracker.run("demo", project.settings) as run:
        project.tracker.log_metrics(run.run_id, {"all/x": 1.0})
        assert mlflow.active_run() is None
    assert mlflow.get_tracking_uri() == before
    assert "MLFLOW_TRACKING_URI" not in __import__("os").environ


def test_tracking_uri_setting_points_the_tracker_at_another_store(tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"
    project = Project.open(tmp_path / "a", tracking={"trigger": "test", "uri": elsewhere})
    with project.tracker.run("demo", project.settings):
        pass
    assert project.tracker.uri == elsewhere and (tmp_path / "other.db").is_file()
    assert not (tmp_path / "a" / "mlruns" / "mlflow.db").exists()


def test_tracking_off_is_a_null_tracker_that_logs_nothing_and_refuses_registry_writes(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "a", tracking={"enabled": False})
    assert isinstance(project.tracker, NullTracker)
    with project.tracker.run("demo", project.settings) as run:
        project.tracker.log_metrics(run.run_id, {"all/x": 1.0})
    assert run.run_id is None and not (tmp_path / "a" / "mlruns").exists()
    with pytest.raises(TrackingOff, match="tracking is off"):
        project.tracker.promote("tag2vec", "1")


def test_versions_logged_before_the_package_move_still_load() -> None:
    from reeltag.suggest.fusion_model import load_pyfunc as fusion_loader
    from reeltag.tag2vec.pyfunc import load_pyfunc as tag2vec_loader
    from reeltag.tracking.store import loader_function

    assert loader_function("reeltag.tag2vec.serve:load_pyfunc") is tag2vec_loader
    assert loader_function("reeltag.pipelines.fusion_model:load_pyfunc") is fusion_loader
    assert loader_function("reeltag.mapper.train:load_pyfunc").__module__ == "reeltag.mapper.train"
