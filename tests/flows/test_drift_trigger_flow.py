"""ingest-corpus checks drift after each ingest and runs retrain-tag2vec (trigger ``drift``) only when it alarms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reeltag.project import Project

pytestmark = [pytest.mark.flow, pytest.mark.slow]  # four flow runs and two trainings: ~45 CPU-s, ~2.5 min wall on 2 shared cores
TOML = '[tracking]\ntrigger = "test"\n[tag2vec]\nworkers = 1\nepochs = 3\nvector_size = 8\n[drift]\nmin_posts = 40\n'


def _posts(path: Path, start: int, n: int, trend_share: float, seed: int) -> str:
    """``n`` distinct posts of 6 stable topics (Zipf tags within a topic); ``trend_share`` of them also carry #newtrend."""
    rng, weights = np.random.default_rng(seed), 1.0 / np.arange(1, 16)
    lines = []
    for i in range(start, start + n):
        topic = int(rng.integers(6))
        tags = [f"t{topic}x{int(j)}" for j in rng.choice(15, size=3, replace=False, p=weights / weights.sum())]
        tags += ["newtrend"] if rng.random() < trend_share else []
        lines.append(
            json.dumps(
                {
                    "id": f"p{i}",
                    "created_at": f"2026-01-01T00:{i % 60:02d}:00Z",
                    "text": f"post {i} " + " ".join("#" + t for t in tags),
                }
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _drift_runs(root: Path) -> list[dict]:
    return Project.open(root).tracker.runs("drift")  # newest first


def test_ingest_retrains_tag2vec_on_a_drift_alarm_and_not_without(demo_root: Path) -> None:
    from flows.ingest_corpus import ingest_corpus
    from flows.retrain_tag2vec import retrain_tag2vec

    (demo_root / "reeltag.toml").write_text(TOML, encoding="utf-8")
    ingest_corpus(str(demo_root), files=[_posts(demo_root / "a.jsonl", 0, 600, 0.0, 1)], retrain_chain="never")
    assert _drift_runs(demo_root)[0]["tags"]["reeltag.reasons"] == "no champion yet"
    retrain_tag2vec(str(demo_root), chain="never")
    tracker = Project.open(demo_root).tracker
    assert [v.version for v in tracker.versions("tag2vec")] == ["1"]

    ingest_corpus(str(demo_root), files=[_posts(demo_root / "b.jsonl", 600, 150, 0.0, 2)], retrain_chain="never")
    calm = _drift_runs(demo_root)[0]
    assert calm["tags"]["reeltag.alarm"] == "False" and calm["metrics"]["drift/posts"] >= 150
    assert len(tracker.versions("tag2vec")) == 1  # no alarm: nothing retrained

    ingest_corpus(str(demo_root), files=[_posts(demo_root / "c.jsonl", 750, 150, 0.4, 3)], retrain_chain="never")
    alarm = _drift_runs(demo_root)[0]
    assert alarm["tags"]["reeltag.alarm"] == "True" and "learnable_new_share" in alarm["tags"]["reeltag.reasons"]
    retrained = [r for r in tracker.runs("tag2vec") if r["tags"].get("reeltag.trigger") == "drift"]
    assert len(retrained) == 1 and len(tracker.versions("tag2vec")) == 2
    # the alarmed batch's posts are recorded on the new version: its drift baseline leaves them out (calm posts only)
    from reeltag.tag2vec.steps import fetch_space

    project = Project.open(demo_root)
    v1, v2 = fetch_space(project, "1").meta, fetch_space(project, "2").meta
    assert v2["alarmed_seq"] == [[v1["max_seq"] + 1, v2["max_seq"]]] and v2["max_seq"] - v1["max_seq"] > 250  # b and c
