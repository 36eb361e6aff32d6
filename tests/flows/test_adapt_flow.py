"""adapt-encoder on the demo segments: a demo-trained checkpoint; a re-run with the checkpoint in place is cached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


def test_adapt_flow_writes_a_demo_trained_checkpoint_then_caches(tmp_path: Path, demo_tiny: Path, monkeypatch) -> None:
    import flows.adapt_encoder as module

    root = tmp_path / "project"
    root.mkdir()
    out = root / "encoder.pt"
    clip = {"arch": "reeltag-tiny", "weights": "random", "adapt_steps": 2, "adapt_frames_per_pair": 1, "threads": 1}
    result = module.adapt_encoder(str(root), pairs=str(demo_tiny / "segments.jsonl"), from_="random", out=str(out), clip=clip)
    assert out.is_file() and result.weights_kind == "demo-trained"
    assert json.loads(out.with_name(out.name + ".json").read_text())["weights_kind"] == "demo-trained"

    monkeypatch.setattr(module, "adapt_step", lambda *a, **k: pytest.fail("adapted again although nothing changed"))
    again = module.adapt_encoder(str(root), pairs=str(demo_tiny / "segments.jsonl"), from_="random", out=str(out), clip=clip)
    assert again.checkpoint == result.checkpoint
