"""Tag2Vec lifecycle on the tiny demo corpus: ingest → validate → train → gate/promote → incremental → trends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.demo.world import NEW_TAGS
from reeltag.errors import BadInput
from reeltag.paths import ProjectPaths
from reeltag.project import Project

pytestmark = pytest.mark.integration

MEDIOCRE = {"vector_size": 4, "epochs": 3, "sample": 0.0, "workers": 1, "min_count": 2}
WORSE = {**MEDIOCRE, "vector_size": 2, "epochs": 1}
BETTER = {**MEDIOCRE, "vector_size": 16, "epochs": 50}


@dataclass(frozen=True)
class Lifecycle:
    project: Project
    first: object
    worse: object
    better: object
    incremental: object
    champion_after_better: str | None
    rollback_after_better: str | None


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path) -> Lifecycle:
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.tag2vec.steps import train_tag2vec

    project = Project.open(tmp_path_factory.mktemp("t2v"), tracking={"trigger": "test"}, tag2vec=MEDIOCRE)
    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    validate_corpus(project)
    first = train_tag2vec(project)
    worse = train_tag2vec(project.with_settings(tag2vec=WORSE))
    better = train_tag2vec(project.with_settings(tag2vec=BETTER))
    champion, rollback = project.tracker.by_alias("tag2vec", "champion"), project.tracker.by_alias("tag2vec", "rollback")
    ingest_posts(project, [demo_tiny / "corpus" / "posts_new.jsonl"])
    validate_corpus(project)
    incremental = train_tag2vec(project.with_settings(tag2vec=BETTER), incremental=True)
    return Lifecycle(project, first, worse, better, incremental, champion and champion.version, rollback and rollback.version)


def test_first_model_becomes_champion(lifecycle: Lifecycle) -> None:
    first = lifecycle.first
    assert (first.version, first.promoted, first.champion_before) == ("1", True, None)
    assert {"popularity", "cooccurrence", "tag2vec_ii", "tag2vec_io", "hybrid"} <= set(first.evaluation.methods)
    assert first.evaluation.queries >= 30


def test_worse_challenger_is_not_promoted(lifecycle: Lifecycle) -> None:
    worse = lifecycle.worse
    assert worse.version == "2" and not worse.promoted and worse.verdict == "NO-GO"
    assert worse.champion_after == "1"
    assert any("worse than the tolerance" in reason for reason in worse.reasons)
    run = next(r for r in lifecycle.project.tracker.runs("tag2vec") if r["run_id"] == worse.run_id)
    assert run["tags"]["reeltag.decision"] == "NO-GO"
    assert "worse than the tolerance" in run["tags"]["reeltag.decision_reasons"]
    assert run["metrics"]["delta/test/tag2vec_io_hit_at_10"] < 0


def test_better_challenger_is_promoted_and_old_champion_is_rollback(lifecycle: Lifecycle) -> None:
    better = lifecycle.better
    assert better.version == "3" and better.promoted and better.verdict == "GO"
    assert (lifecycle.champion_after_better, lifecycle.rollback_after_better) == ("3", "1")
    assert better.evaluation.methods["tag2vec_io"].hit_at_k > lifecycle.first.evaluation.methods["tag2vec_io"].hit_at_k
    version = lifecycle.project.tracker.version("tag2vec", "3")
    assert version.tags["reeltag.corpus_hash"] == better.corpus_hash


def test_incremental_training_adds_new_tags_and_keeps_old_vocabulary(lifecycle: Lifecycle) -> None:
    from reeltag.tag2vec.steps import fetch_space

    project = lifecycle.project
    old, new = fetch_space(project, "3"), fetch_space(project, lifecycle.incremental.version)
    assert set(old.tags) <= set(new.tags)
    planted = {t.lstrip("#") for t in NEW_TAGS.values()}
    assert planted & set(new.tags) and not planted & set(old.tags)
    assert new.meta["parent_version"] == "3" and new.meta["incremental"] is True
    assert lifecycle.incremental.sentences_trained < lifecycle.better.sentences_trained


def test_champion_helper_and_pyfunc_serve_the_champion(lifecycle: Lifecycle) -> None:
    import numpy as np
    import pandas as pd

    from reeltag.tag2vec.steps import load_champion_tag2vec

    project = lifecycle.project
    space, version = load_champion_tag2vec(project)
    assert version == project.tracker.by_alias("tag2vec", "champion").version == space.version
    assert space.vectors.ndim == 2 and space.vectors.shape[0] == len(space.tags)
    assert np.allclose(np.linalg.norm(space.unit_vectors, axis=1), 1.0, atol=1e-5)
    model = project.tracker.load_pyfunc("tag2vec", "champion")
    [suggested] = model.predict(pd.DataFrame({"tags": [["#Sunset"]]}))
    assert suggested and "sunset" not in suggested


def _cli(project: Project, *args: str) -> dict:
    from reeltag.cli import app

    result = CliRunner().invoke(app, [*args, "--root", str(project.paths.root), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cli_evaluate_neighbors_and_trends(lifecycle: Lifecycle) -> None:
    project = lifecycle.project
    evaluation = _cli(project, "tag2vec", "evaluate", "--version", "3")
    assert evaluation["version"] == "3" and evaluation["k"] == 10
    for method in ("tag2vec_ii", "tag2vec_io", "popularity", "cooccurrence"):
        assert set(evaluation["methods"][method]) == {"hit_at_k", "mrr_at_k"}
    neighbours = _cli(project, "tag2vec", "neighbors", "#Sunset", "-k", "3", "--version", "3")
    assert neighbours["tag"] == "sunset" and len(neighbours["neighbours"]) == 3
    trends = _cli(project, "tag2vec", "trends", "--from", "3", "--to", lifecycle.incremental.version)
    assert {t["tag"] for t in trends["new_tags"]} & {t.lstrip("#") for t in NEW_TAGS.values()}
    assert trends["rising_tags"] and trends["moved_tags"]


def test_cli_evaluate_logs_one_run_with_the_figures_it_returns(lifecycle: Lifecycle) -> None:
    project = lifecycle.project
    evaluation = _cli(project, "tag2vec", "evaluate", "--version", "3")
    [run] = [r for r in project.tracker.runs("tag2vec") if r["run_id"] == evaluation["run_id"]]
    k = evaluation["k"]
    figures = {
        f"test/{method}_{name}_at_{k}": scores[f"{name}_at_k"]
        for method, scores in evaluation["methods"].items()
        for name in ("hit", "mrr")
    }
    assert run["metrics"] == {**figures, "test/queries": evaluation["queries"]}
    training = project.tracker.run_data(lifecycle.better.run_id)
    assert set(run["metrics"]) <= set(training["metrics"])  # named as the training run names them
    tags = run["tags"]
    assert (tags["reeltag.kind"], tags["reeltag.evaluated_version"], tags["reeltag.recommender"]) == (
        "evaluate",
        "3",
        evaluation["recommender"],
    )
    assert "reeltag.version" not in tags  # reeltag.version is the version a training run produced
    assert tags["reeltag.corpus_hash"] == lifecycle.incremental.corpus_hash and "reeltag.config_hash" in tags


def test_evaluate_logs_nothing_when_tracking_is_off(lifecycle: Lifecycle) -> None:
    from reeltag.tag2vec.steps import evaluate_tag2vec

    before = len(lifecycle.project.tracker.runs("tag2vec"))
    result = evaluate_tag2vec(lifecycle.project.with_settings(tracking={"enabled": False}), "3")
    assert result.run_id is None and result.version == "3" and result.evaluation.queries >= 30
    assert len(lifecycle.project.tracker.runs("tag2vec")) == before


def test_cli_unknown_tag_is_a_clear_error(lifecycle: Lifecycle) -> None:
    from reeltag.cli import app

    result = CliRunner().invoke(
        app, ["tag2vec", "neighbors", "#nosuchtag", "--root", str(lifecycle.project.paths.root), "--json"]
    )
    assert result.exit_code == 2
    assert "not in the vocabulary" in result.stdout


@pytest.mark.parametrize("corpus_file", [True, False])
def test_both_gensim_paths_train_and_grow_the_vocabulary(tmp_path: Path, corpus_file: bool) -> None:
    from reeltag.config import Tag2VecSection
    from reeltag.corpus.tags import SurfaceForms
    from reeltag.tag2vec import train

    cfg = Tag2VecSection(vector_size=8, epochs=2, workers=1, corpus_file=corpus_file)
    sentences = [["sun", "beach", "sea"], ["city", "night"]] * 20
    model = train.train_new(sentences, cfg, tmp_path)
    model = train.train_more(model, [["sun", "newtag"], ["newtag", "sea"]], cfg, tmp_path)
    space = train.to_space(model, SurfaceForms())
    assert {"sun", "beach", "sea", "city", "night", "newtag"} == set(space.tags)
    assert space.output_vectors is not None and space.output_vectors.shape == space.vectors.shape
    train.save_model(model, tmp_path / "m")
    assert train.load_keyed_vectors(tmp_path / "m", ProjectPaths.at(tmp_path / "project"), trust=True).vector_size == 8
    with pytest.raises(BadInput, match="--trust"):  # a pickle outside the project's stores
        train.load_model(tmp_path / "m", ProjectPaths.at(tmp_path / "project"))
