"""Trend following on the dated astha 2013 tweets: frozen vs incremental vs full retrain, month by month
(reduced: April chooses the recent mode's setting, then May-Jul, 5 epochs; the README's table is the full run from January)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow]


def test_astha_2013_next_month_hit_and_known_tags(real_data: Path, tmp_root: Path) -> None:
    posts = real_data / "hashtags" / "astha_hashtag_recommender" / "newDatabase.tsv"
    (tmp_root / "reeltag.toml").write_text("[tag2vec]\nepochs = 5\n", encoding="utf-8")
    args = [
        "tag2vec",
        "follow",
        str(posts),
        "--from",
        "2013-04",
        "--to",
        "2013-07",
        "--validation-months",
        "1",
        "--root",
        str(tmp_root),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert [m["scored_on"] for m in out["months"]] == ["2013-06", "2013-07"] and out["base_posts"] > 10_000
    for month in out["months"]:
        scores = month["scores"]
        assert scores["frozen"]["queries"] == scores["retrain"]["queries"] > 1_000  # the same next-month queries
        assert scores["frozen"]["known_share"] < scores["incremental"]["known_share"] <= scores["retrain"]["known_share"]
        assert all(0.0 <= s["hit_at_k"] <= 1.0 for s in scores.values())
        assert scores["recent"]["queries"] == scores["frozen"]["queries"]
    assert out["recency"] in out["validation"] and out["retrains"]["retrain"] == 2 >= out["retrains"]["drift"]
    assert all(d["low"] <= d["delta"] <= d["high"] for d in out["vs_frozen"].values())
    # the drift mode retrains as [tag2vec] retrain_mode says (full by default), its baseline on calm posts
    assert out["drift_retrain"] == "full" and out["drift_baseline"] == "calm"
    assert all(m["drift"]["baseline_from"] == "calm posts" for m in out["months"])
