"""tune-tag2vec (nested runs per setting), the learned leave-one-tag-out combinations and trend following, on
small seeded posts (the real-data figures come from tests/integration/test_text_realdata.py and the README)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reeltag.project import Project

pytestmark = pytest.mark.integration
MONTHS = ("Nov", "Dec", "Jan", "Feb", "Mar", "Apr")
TOPICS = {"beach": ["ocean", "waves", "summer"], "snow": ["winter", "ski", "cold"], "food": ["dinner", "yummy", "chef"]}


def _post(rng: np.random.Generator, topic: str, extra: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tags = list(rng.choice(TOPICS[topic], size=2, replace=False)) + ([extra] if extra else [])
    return (topic, "day", str(rng.choice(["nice", "great", "today"]))), tuple(tags)


def test_tune_tag2vec_logs_one_nested_run_per_setting(tmp_root: Path, demo_tiny: Path) -> None:
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.tag2vec.tune import tune_tag2vec

    (tmp_root / "reeltag.toml").write_text(
        '[tracking]\ntrigger = "test"\n[tag2vec]\nworkers = 1\n[tag2vec_tune]\n'
        "vector_sizes = [8, 16]\nnegatives = [5]\nepochs = [5]\n",
        encoding="utf-8",
    )
    project = Project.open(tmp_root)
    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    validate_corpus(project)
    result = tune_tag2vec(project)
    assert len(result.settings) == 2 and result.val_queries > 0 and result.best in [r.setting for r in result.settings]
    nested = [r for r in project.tracker.runs("tag2vec") if r["tags"].get("reeltag.kind") == "tune-setting"]
    assert len(nested) == 2 and all(r["tags"].get("mlflow.parentRunId") == result.run_id for r in nested)


def test_leave_one_out_combination_with_text_uses_the_words(tmp_root: Path) -> None:
    from reeltag.text.model import TextMethod
    from reeltag.text.recommenders import evaluate_recommenders

    (tmp_root / "reeltag.toml").write_text(
        "[tag2vec]\nworkers = 1\nepochs = 5\nvector_size = 8\nmin_count = 1\n"
        "[text]\nfusion_step = 0.5\n[tracking]\nenabled = false\n",
        encoding="utf-8",
    )
    rng = np.random.default_rng(5)
    posts = [_post(rng, str(rng.choice(list(TOPICS)))) for _ in range(300)]
    result = evaluate_recommenders(
        Project.open(tmp_root), posts[:200], posts[200:250], posts[250:], TextMethod(name="knn", param=10)
    )
    assert {"popularity", "cooccurrence", "tag2vec_ii", "tag2vec_io", "hybrid", "combined_tags", "combined_text"} <= set(
        result.test
    )
    assert result.weights["combined_tags"].get("text", 0.0) == 0.0 and result.queries["test"] > 0
    assert result.test["combined_text"].hit_at_k >= result.test["cooccurrence"].hit_at_k
    assert result.offered in ("hybrid", "combined_tags", "combined_text")


def test_follow_trends_incremental_and_retrain_know_the_new_tags(tmp_root: Path, tmp_path: Path) -> None:
    from reeltag.tag2vec.follow import follow_trends

    (tmp_root / "reeltag.toml").write_text("[tag2vec]\nworkers = 1\nepochs = 5\nvector_size = 8\n", encoding="utf-8")
    rng, lines = np.random.default_rng(2), []
    for i, month in enumerate(MONTHS):
        year = 2012 if month in ("Nov", "Dec") else 2013
        trend = f"trend{i}"  # a tag that appears in one month and the next
        for _ in range(60):
            _, tags = _post(rng, str(rng.choice(list(TOPICS))), trend if rng.random() < 0.5 else None)
            lines.append(f"user\tr\t{' '.join('#' + t for t in tags)} text {month} 3, {year}")
            _, tags = _post(rng, str(rng.choice(list(TOPICS))), f"trend{i - 1}" if i and rng.random() < 0.5 else None)
            lines.append(f"user\tr\t{' '.join('#' + t for t in tags)} more {month} 9, {year}")
    (tmp_path / "dated.tsv").write_text("\n".join(lines) + "\nno date here #x #y\n", encoding="utf-8")
    result = follow_trends(Project.open(tmp_root), tmp_path / "dated.tsv", "2013-01", validation_months=1)
    assert [m.scored_on for m in result.months] == ["2013-03", "2013-04"] and result.base_posts == 360
    for row in result.months:
        assert row.scores["incremental"].known_share > row.scores["frozen"].known_share
        assert row.scores["retrain"].known_share >= row.scores["incremental"].known_share
        assert row.scores["recent"].known_share > row.scores["frozen"].known_share  # last month's trend tag entered
    assert result.mean_hit_at_k["retrain"] >= result.mean_hit_at_k["frozen"]
    assert result.recency in result.validation and result.retrains["recent"] == 2 and result.retrains["frozen"] == 0
    assert set(result.vs_frozen) == {"incremental", "retrain", "recent", "drift"} and result.best in result.retrains
    assert result.best_interval.low <= result.mean_hit_at_k[result.best] <= result.best_interval.high
    assert all(row.drift.posts > 0 and row.drift_alarm == row.drift.alarm for row in result.months)
