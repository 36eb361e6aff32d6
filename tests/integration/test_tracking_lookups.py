"""Look-ups are server-side queries on tags: many newer, unrelated runs cannot hide what a step looks for."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reeltag.mapper.data import LabelCheck
from reeltag.mapper.steps import _previous
from reeltag.project import Project
from reeltag.report.evidence import CV, rerank_component
from reeltag.tracking.results import RESULT_FILE, SCHEMA

pytestmark = pytest.mark.integration


def _bulk_runs(project: Project, component: str, n: int, tags: dict[str, str]) -> None:
    """``n`` finished runs straight through the client (the cheap way to make a crowded store)."""
    tracker = project.tracker
    experiment = tracker.experiment_id(component)
    for _ in range(n):
        run = tracker.client.create_run(experiment, tags={f"reeltag.{k}": v for k, v in tags.items()})
        tracker.client.set_terminated(run.info.run_id, "FINISHED")


def _record(project: Project, run_id: str, kind: str, result: dict) -> None:
    project.tracker.log_dict(run_id, {"schema": SCHEMA, "type": kind, "result": result}, RESULT_FILE)


def _tune_run(project: Project) -> str:
    engine = {
        "metric": "map",
        "n_topics": 30,
        "mean_a": 0.7,
        "mean_b": 0.9,
        "ci_low": 0.1,
        "ci_high": 0.3,
        "wins": 25,
        "ties": 3,
        "losses": 2,
    }
    with project.tracker.run("rerank", project.settings, tags={"kind": "tune"}) as run:
        _record(project, run.run_id, "TuneResult", {"engine_comparison": engine})
    return run.run_id


def test_the_report_finds_the_tune_run_behind_300_apply_runs(project: Project) -> None:
    _tune_run(project)
    _bulk_runs(project, "rerank", 300, {"kind": "apply"})
    assert len(project.tracker.runs("rerank", max_results=1000)) == 301
    component, _ = rerank_component(project, None)
    assert component is not None and component.model == CV
    assert component.methods[CV]["map"] == pytest.approx(0.9) and component.n_eval == 30


def test_no_tune_run_means_no_rerank_section(project: Project) -> None:
    _bulk_runs(project, "rerank", 3, {"kind": "apply"})
    assert rerank_component(project, None) == (None, None)


def _mapper_record(version: str) -> dict:
    return {
        "mode": "train",
        "version": version,
        "loss": "ranking",
        "loss_scores": {"ranking": 0.4},
        "best_epoch": 3,
        "epochs_run": 5,
        "test": {"mapper": {"p_at_5": 0.5}},
        "champion_test": None,
        "decision": "GO",
        "promoted": True,
        "tag2vec_version": "1",
        "encoder_id": "e",
        "encoder_weights": "random",
    }


def _check() -> LabelCheck:
    return LabelCheck(source="labels.csv", sha256="ab", rows=1, kept=1, quarantined=0, contract_version="1", failures=())


def test_reuse_of_an_earlier_mapper_run_is_found_after_150_unrelated_runs(project: Project) -> None:
    with project.tracker.run(
        "mapper", project.settings, tags={"inputs_hash": "h-same", "inputs_base": "b-same", "mode": "train", "loss": "ranking"}
    ) as run:
        _record(project, run.run_id, "MapperTrained", _mapper_record("1"))
    project.tracker.set_run_tags(run.run_id, {"version": "1", "promoted": True})
    _bulk_runs(project, "mapper", 150, {"inputs_hash": "h-other", "version": "9"})
    found = _previous(project, ("h-same", "b-same"), None, _check())
    assert found is not None and found.reused and found.run_id == run.run_id
    assert found.test == {"mapper": {"p_at_5": 0.5}} and found.loss_scores == {"ranking": 0.4}
    assert _previous(project, ("h-new", "b-new"), None, _check()) is None


def test_a_promoted_finetune_is_reused_through_the_champion_it_made(project: Project) -> None:
    """Same base inputs and the run's version is the champion: found by a second tag query."""
    with project.tracker.run("mapper", project.settings, tags={"inputs_hash": "h-then", "inputs_base": "b"}) as run:
        _record(project, run.run_id, "MapperTrained", _mapper_record("4"))
    project.tracker.set_run_tags(run.run_id, {"version": "4"})
    _bulk_runs(project, "mapper", 120, {"inputs_base": "b", "version": "3"})
    champion = SimpleNamespace(info=SimpleNamespace(version="4"))
    found = _previous(project, ("h-now", "b"), champion, _check())
    assert found is not None and found.run_id == run.run_id
    assert _previous(project, ("h-now", "b"), SimpleNamespace(info=SimpleNamespace(version="5")), _check()) is None


def test_a_failed_run_is_not_reused(project: Project) -> None:
    with pytest.raises(RuntimeError), project.tracker.run("mapper", project.settings, tags={"inputs_hash": "h"}) as run:
        _record(project, run.run_id, "MapperTrained", _mapper_record("1"))
        project.tracker.set_run_tags(run.run_id, {"version": "1"})
        raise RuntimeError("crashed after registering")
    assert _previous(project, ("h", "b"), None, _check()) is None


def test_a_run_without_a_result_record_is_trained_again_not_parsed_from_metric_names(project: Project) -> None:
    with project.tracker.run("mapper", project.settings, tags={"inputs_hash": "h"}) as run:
        project.tracker.log_metrics(run.run_id, {"test/mapper/p_at_5": 0.5})
    project.tracker.set_run_tags(run.run_id, {"version": "1"})
    assert _previous(project, ("h", "b"), None, _check()) is None
