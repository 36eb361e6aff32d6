"""retrain-tag2vec with ``[tag2vec] retrain_mode = "recent"`` trains the recency-weighted set of the dated posts
(issue 30): the months and copies the setting says, old-only tags out, a tag used once in the newest month in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reeltag.project import Project

pytestmark = [pytest.mark.flow, pytest.mark.slow]  # one ingest, one validation, one small training: ~40 s wall
TOML = """[tracking]
trigger = "test"
[corpus]
heldout_sources = ["heldout"]
[tag2vec]
workers = 1
epochs = 3
vector_size = 8
retrain_mode = "recent"
recent_window_months = 2
recent_boost = 2.0
recent_half_life_months = 0.5
"""
MONTHS = ("2026-01", "2026-02", "2026-03")
PER_MONTH = 100


def _posts(path: Path, months: tuple[str, ...], seed: int, prefix: str) -> str:
    """``PER_MONTH`` posts a month of 5 topics; January alone has #oldonly, March's first post alone #fresh."""
    rng, lines = np.random.default_rng(seed), []
    for month in months:
        for i in range(PER_MONTH):
            topic = int(rng.integers(5))
            tags = [f"t{topic}x{int(j)}" for j in rng.choice(10, size=3, replace=False)]
            tags += ["oldonly"] if month == "2026-01" and i % 10 == 0 else []
            tags += ["fresh"] if month == "2026-03" and i == 0 and prefix == "p" else []
            post = {"id": f"{prefix}{month}-{i}", "created_at": f"{month}-{i % 28 + 1:02d}T12:00:00Z"}
            lines.append(json.dumps(post | {"text": " ".join("#" + t for t in tags)}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_recent_mode_trains_the_weighted_months_the_setting_says(demo_root: Path) -> None:
    from flows.ingest_corpus import ingest_corpus
    from flows.retrain_tag2vec import retrain_tag2vec
    from reeltag.tag2vec.steps import fetch_space

    (demo_root / "reeltag.toml").write_text(TOML, encoding="utf-8")
    ingest_corpus(str(demo_root), files=[_posts(demo_root / "train.jsonl", MONTHS, 1, "p")], retrain_chain="never")
    ingest_corpus(
        str(demo_root),
        files=[_posts(demo_root / "held.jsonl", MONTHS[-1:], 2, "h")],
        source_name="heldout",
        retrain_chain="never",
    )
    result = retrain_tag2vec(str(demo_root), chain="never")
    # window 2 months: Feb and Mar only; Mar (age 0) twice each, Feb (age 1, two half-lives) 2 · 0.25 = 0.5: seeded
    assert PER_MONTH * 2 + 0.35 * PER_MONTH < result.sentences_trained < PER_MONTH * 2 + 0.65 * PER_MONTH
    space = fetch_space(Project.open(demo_root))
    assert space.meta["retrain_mode"] == "recent" and space.meta["recent_months"] == ["2026-02", "2026-03"]
    assert "fresh" in space.index  # used once, in the newest month: the boost of 2 reaches min_count 2
    assert "oldonly" not in space.index  # January is outside the window
    assert "t0x0" in space.index
