"""adapt-encoder on the demo segments: a demo-trained checkpoint; a re-run with the checkpoint in place is cached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


CLIP = {"arch": "reeltag-tiny", "weights": "random", "adapt_steps": 2, "adapt_frames_per_pair": 1, "threads": 1}


def _adapt(root: Path, demo_tiny: Path):  # noqa: ANN202 (the flow's AdaptResult)
    """The adapt-encoder flow from random init on the tiny demo's segments, writing ``root/encoder.pt``."""
    import flows.adapt_encoder as module

    root.mkdir(exist_ok=True)
    return module.adapt_encoder(
        str(root), pairs=str(demo_tiny / "segments.jsonl"), from_="random", out=str(root / "encoder.pt"), clip=CLIP
    )


def test_adapt_flow_writes_a_demo_trained_checkpoint_then_caches(tmp_path: Path, demo_tiny: Path, monkeypatch) -> None:
    import flows.adapt_encoder as module

    out = tmp_path / "project" / "encoder.pt"
    result = _adapt(out.parent, demo_tiny)
    assert out.is_file() and result.weights_kind == "demo-trained"
    assert json.loads(out.with_name(out.name + ".json").read_text())["weights_kind"] == "demo-trained"

    monkeypatch.setattr(module, "adapt_step", lambda *a, **k: pytest.fail("adapted again although nothing changed"))
    assert _adapt(out.parent, demo_tiny).checkpoint == result.checkpoint


def test_adapt_flow_reruns_when_the_output_holds_another_runs_weights(tmp_path: Path, demo_tiny: Path, monkeypatch) -> None:
    """seed 1 → seed 2 → seed 1 in one root: the third run must not be a cache hit over seed 2's checkpoint."""
    import dataclasses

    import flows.adapt_encoder as module

    out = tmp_path / "project" / "encoder.pt"
    first = _adapt(out.parent, demo_tiny)
    out.write_bytes(out.read_bytes() + b"another run's weights")  # what a run on other pairs leaves at the same path
    calls: list[str] = []

    def adapt_again(project, pairs, from_=None, out=None):  # noqa: ANN001
        calls.append(pairs)
        return dataclasses.replace(first, model_id="rewritten")

    monkeypatch.setattr(module, "adapt_step", adapt_again)
    again = _adapt(out.parent, demo_tiny)
    assert calls and again.model_id == "rewritten"


def test_adapt_flow_reruns_when_its_default_checkpoint_was_deleted(tmp_path: Path, demo_tiny: Path, monkeypatch) -> None:
    import flows.adapt_encoder as module

    root = tmp_path / "project"
    root.mkdir()
    first = module.adapt_encoder(str(root), pairs=str(demo_tiny / "segments.jsonl"), from_="random", clip=CLIP)
    first.checkpoint.unlink()  # the default path under data/models/encoders/
    calls: list[str] = []
    monkeypatch.setattr(module, "adapt_step", lambda project, pairs, from_=None, out=None: calls.append(pairs) or first)
    module.adapt_encoder(str(root), pairs=str(demo_tiny / "segments.jsonl"), from_="random", clip=CLIP)
    assert calls, "a cached result pointing at a deleted checkpoint was returned"
