"""``reeltag encoders compare`` on the tiny demo's search set: two tiny architectures side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


@pytest.mark.slow
def test_two_tiny_architectures_side_by_side(demo_tiny: Path, demo_encoder, tmp_path: Path) -> None:  # noqa: ANN001
    trained = f"reeltag-tiny={demo_encoder.checkpoint}"
    outcome = CliRunner().invoke(app, [*_args(demo_tiny, tmp_path, trained, "reeltag-tiny-rn=random"), "--json"], env=ENV)
    assert outcome.exit_code == 0, outcome.output[-2000:]
    found = json.loads(outcome.stdout.strip().splitlines()[-1])
    rows = found["encoders"]
    assert set(rows) == {trained, "reeltag-tiny-rn=random"}
    for row in rows.values():
        assert 0.0 <= row["map"] <= 1.0 and 0.0 <= row["p_at_5"] <= 1.0
        assert row["frames"] == 8 * row["videos"] > 0  # video.frames_per_video = 8, every video encoded afresh
        assert row["frames_per_s"] > 0 and row["ms_per_query"] > 0
    assert rows[trained]["weights_kind"] == "demo-trained" and rows["reeltag-tiny-rn=random"]["weights_kind"] == "random"
    assert rows[trained]["model_id"] != rows["reeltag-tiny-rn=random"]["model_id"]
    # the demo-trained encoder knows the demo's colours and shapes; random weights rank CLIP-alone near chance
    assert rows[trained]["clip_map"] > rows["reeltag-tiny-rn=random"]["clip_map"]
    assert found["engine_map"] > 0 and found["topics"] == 4
    assert any("random weights" in n for n in found["notes"])
