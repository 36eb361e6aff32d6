"""Leave-one-tag-out on tweeteval emoji (train+val → test): the offered recommender vs co-occurrence, Tag2Vec
alone reported; combination weights on a coarser grid than the README run (text.fusion_step 0.25) to stay short."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow]


def test_tweeteval_emoji_leave_one_out_combination_beats_cooccurrence(real_data: Path, tmp_root: Path) -> None:
    emoji = real_data / "hashtags" / "tweeteval" / "emoji"
    (tmp_root / "reeltag.toml").write_text("[text]\nfusion_step = 0.25\n", encoding="utf-8")
    args = [
        "text",
        "leave-one-out",
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
    test, ratio = out["test"], out["ratio_to_cooccurrence"]
    assert out["queries"]["test"] > 15_000 and out["offered"] in ("hybrid", "combined_tags", "combined_text")
    assert (
        test["cooccurrence"]["hit_at_k"] > test["tag2vec_io"]["hit_at_k"] > test["tag2vec_ii"]["hit_at_k"]
    )  # Tag2Vec alone trails
    assert out["weights"]["combined_tags"].get("text", 0.0) == 0.0
    assert ratio[out["offered"]] >= 1.10, ratio
