"""``reeltag encoders compare`` on the tiny demo's search set: two tiny architectures side by side."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.rerank.encoder_compare import EncoderSpec
from reeltag.tracking.naming import TELEMETRY_OFF

ENV = {**TELEMETRY_OFF, "REELTAG_TRACKING__TRIGGER": "test", "REELTAG_CLIP__THREADS": "1"}


def _args(demo: Path, root: Path, *encoders: str) -> list[str]:
    s = demo / "search"
    files = ["--topics", str(s / "topics.txt"), "--qrels", str(s / "qrels.txt"), "--manifest", str(s / "manifest.csv")]
    return [
        "encoders",
        "compare",
        str(s / "base.run"),
        *files,
        *(a for e in encoders for a in ("--encoder", e)),
        "--root",
        str(root),
    ]


def test_spec_parses_arch_and_weights() -> None:
    assert EncoderSpec.parse("reeltag-tiny-rn=enc.pt") == EncoderSpec(arch="reeltag-tiny-rn", weights="enc.pt")
    assert EncoderSpec.parse("ViT-B-32") == EncoderSpec(arch="ViT-B-32", weights="random")


def test_one_encoder_is_refused(demo_tiny: Path, tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, [*_args(demo_tiny, tmp_path, "reeltag-tiny=random"), "--json"], env=ENV)
    assert outcome.exit_code != 0
    assert "two or more" in outcome.output


def test_two_tiny_architectures_side_by_side(demo_tiny: Path, tmp_path: Path) -> None:
    a, b = "reeltag-tiny=random", "reeltag-tiny-rn=random"
    outcome = CliRunner().invoke(app, [*_args(demo_tiny, tmp_path, a, b), "--json"], env=ENV)
    assert outcome.exit_code == 0, outcome.output[-2000:]
    found = json.loads(outcome.stdout.strip().splitlines()[-1])
    rows = found["encoders"]
    assert set(rows) == {a, b}
    for row in rows.values():
        assert 0.0 <= row["map"] <= 1.0 and 0.0 <= row["p_at_5"] <= 1.0 and 0.0 <= row["clip_map"] <= 1.0
        assert row["frames"] == 8 * row["videos"] > 0  # video.frames_per_video = 8, every video encoded afresh
        assert row["frames_per_s"] > 0 and row["ms_per_query"] > 0 and row["weights_kind"] == "random"
    assert rows[a]["model_id"] == "reeltag-tiny@random-seed0" and rows[b]["model_id"] == "reeltag-tiny-rn@random-seed0"
    assert found["topics"] == 4 and 0.0 < found["engine_map"] <= 1.0
    assert any("random weights" in n for n in found["notes"])
    assert not list((tmp_path / "data" / "features").rglob("*.npz"))  # measured afresh: the cache is not written
