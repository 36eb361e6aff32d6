"""Text → hashtags on tweeteval emoji (each test post's text with its hashtags removed; predict them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow]


def test_tweeteval_emoji_text_to_hashtags(real_data: Path, tmp_root: Path) -> None:
    emoji = real_data / "hashtags" / "tweeteval" / "emoji"
    args = [
        "text",
        "evaluate",
        "--train",
        str(emoji / "train_text.txt"),
        "--val",
        str(emoji / "val_text.txt"),
        "--test",
        str(emoji / "test_text.txt"),
        "--root",
        str(tmp_root),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["queries"]["test"] > 20_000 and out["tags"] > 5_000
    assert out["chosen"] in out["val"] and out["baseline"] in ("cooccurrence", "conditional")
    test = out["test"]
    assert set(test) == {"popularity", out["baseline"], out["chosen"]}  # test scores only what val chose
    chosen, baseline, popularity = test[out["chosen"]], test[out["baseline"]], test["popularity"]
    for score in test.values():
        assert 0.0 <= score["p_at_5"] <= score["hit_at_10"] <= 1.0 and score["mrr_at_10"] <= score["hit_at_10"]
    assert chosen["hit_at_10"] > 1.5 * popularity["hit_at_10"]
    assert chosen["hit_at_10"] > baseline["hit_at_10"] and chosen["mrr_at_10"] > baseline["mrr_at_10"]
