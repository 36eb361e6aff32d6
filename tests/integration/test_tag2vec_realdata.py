"""Acceptance on the shared real data (skipped when it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow]


def _cli(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, [*args, "--root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_tweeteval_emoji_ingest_validate_train_evaluate(real_data: Path, tmp_root: Path) -> None:
    emoji = real_data / "hashtags" / "tweeteval" / "emoji"
    (tmp_root / "reeltag.toml").write_text(
        '[corpus]\nheldout_sources = ["emoji-test"]\n[tracking]\ntrigger = "test"\n', encoding="utf-8"
    )
    _cli(tmp_root, "ingest", str(emoji / "train_text.txt"), str(emoji / "val_text.txt"), "--source-name", "emoji")
    held = _cli(tmp_root, "ingest", str(emoji / "test_text.txt"), "--source-name", "emoji-test")
    assert held["added"] > 15_000
    assert _cli(tmp_root, "validate")["ok"] is True
    trained = _cli(tmp_root, "tag2vec", "train")
    assert trained["version"] == "1" and trained["promoted"] is True
    result = _cli(tmp_root, "tag2vec", "evaluate")
    methods = result["methods"]
    assert {"tag2vec_ii", "tag2vec_io", "popularity", "cooccurrence"} <= set(methods)
    for scores in methods.values():
        assert 0.0 <= scores["mrr_at_k"] <= scores["hit_at_k"] <= 1.0
    assert result["k"] == 10 and result["queries"] > 10_000
    # Known facts of this corpus (data README): co-occurrence beats popularity and Tag2Vec nearest neighbours.
    assert methods["cooccurrence"]["hit_at_k"] > methods["popularity"]["hit_at_k"]
    assert methods["cooccurrence"]["hit_at_k"] > methods["tag2vec_ii"]["hit_at_k"]
    assert methods["tag2vec_io"]["hit_at_k"] > methods["tag2vec_ii"]["hit_at_k"]


def test_av_twitter_sentiment_dirty_csv(real_data: Path, tmp_root: Path) -> None:
    folder = real_data / "hashtags" / "av_twitter_sentiment"
    files = [str(folder / "train_E6oV3lV.csv"), str(folder / "test_tweets_anuFYb8.csv")]
    first = _cli(tmp_root, "ingest", *files)
    assert first["added"] > 25_000 and first["quarantined"] >= 1
    records = quarantine.read(tmp_root / "data" / "quarantine", "posts")
    assert records and all(r["reason"] for r in records)
    assert {r["reason"] for r in records} >= {"invalid UTF-8 bytes"}
    tags = {
        t
        for part in (tmp_root / "data" / "corpus").glob("posts-*.parquet")
        for row in pq.read_table(part).column("tags").to_pylist()
        for t in row
    }
    assert not [t for t in tags if any(ch in t for ch in "âðÃÂ")], "mojibake left in normalised tags"
    again = _cli(tmp_root, "ingest", *files)
    assert again["added"] == 0 and again["quarantined"] == 0
