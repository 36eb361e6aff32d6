"""`reeltag clip adapt`: a demo-trained encoder that aligns demo frames with their captions."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reeltag.project import Project
from reeltag.video.adapt import sample_pair_frames, zero_shot_accuracy
from reeltag.video.encoder import load_encoder
from reeltag.video.pairs import read_pairs, split_by_video
from reeltag.video.weights import sidecar_path

pytestmark = pytest.mark.integration


def _heldout_accuracy(project: Project, segments: Path) -> tuple[float, float]:
    encoder = load_encoder(project.settings.clip, project.paths)
    _, held = split_by_video(read_pairs(segments).pairs, project.settings.clip.adapt_holdout)
    frames, rejected = sample_pair_frames(held, encoder.image_size, 4)
    assert not rejected and frames.n_frames > 0
    return zero_shot_accuracy(encoder, frames)


def test_clip_adapt_from_random_gives_a_registered_demo_trained_checkpoint(demo_encoder) -> None:
    result = demo_encoder.result
    assert result["weights_kind"] == "demo-trained" and result["base_weights_kind"] == "random"
    assert demo_encoder.checkpoint.is_file() and sidecar_path(demo_encoder.checkpoint).is_file()
    project = Project.open(demo_encoder.root, clip=demo_encoder.clip)
    loaded = load_encoder(project.settings.clip, project.paths)
    assert (loaded.model_id, loaded.weights_kind) == (result["model_id"], "demo-trained")
    version = project.tracker.version("encoder", result["version"])
    assert version.tags["reeltag.model_id"] == result["model_id"] and version.run_id == result["run_id"]
    project.tracker.set_alias("encoder", "challenger", version.version)
    served = project.tracker.load_pyfunc("encoder", "challenger").predict(pd.DataFrame({"text": ["a red square"]}))
    assert np.allclose(served, loaded.encode_texts(["a red square"]), atol=1e-5)


def test_demo_trained_encoder_is_far_above_chance_on_held_out_segments(demo_encoder, demo_tiny: Path, tmp_path: Path) -> None:
    """Held-out demo videos, each frame classified among all held-out captions.

    Measured: ~0.8 top-1 (120 steps) against a chance level of 1/14 = 0.07; random weights score ~0.
    """
    trained, chance = _heldout_accuracy(Project.open(tmp_path, clip=demo_encoder.clip), demo_tiny / "segments.jsonl")
    untrained, _ = _heldout_accuracy(Project.open(tmp_path), demo_tiny / "segments.jsonl")
    assert chance < 0.15
    assert trained >= 0.5 > untrained + 0.2, (trained, untrained, chance)


def test_adapting_real_weights_gives_adapted_weights(demo_encoder, demo_tiny: Path, tmp_path: Path) -> None:
    from reeltag.video.adapt_encoder import adapt_encoder

    bare = shutil.copy(demo_encoder.checkpoint, tmp_path / "user-weights.pt")  # no sidecar: taken as 'real'
    project = Project.open(tmp_path, tracking={"enabled": False}, clip={"adapt_batch_size": 4})
    result = adapt_encoder(project, demo_tiny / "segments.jsonl", from_=str(bare), steps=2, out=tmp_path / "adapted.pt")
    assert (result.base_weights_kind, result.weights_kind) == ("real", "adapted")
    assert result.metrics["train/lr"] == 1e-5 and result.run_id is None
    reloaded = load_encoder(Project.open(tmp_path, clip={"weights": str(result.checkpoint)}).settings.clip, project.paths)
    assert reloaded.weights_kind == "adapted" and reloaded.model_id == result.model_id


def test_the_same_weights_save_to_the_same_bytes(tmp_path: Path) -> None:
    """An adapted checkpoint's sha256 is recorded as the encoder's id: saving the same weights twice (each through
    its own temp file) must give the same file."""
    import torch

    from reeltag.io import sha256_file
    from reeltag.video.adapt import save_checkpoint

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    first = save_checkpoint(model, tmp_path / "a" / "enc.pt", {"kind": "demo-trained"})
    second = save_checkpoint(model, tmp_path / "b" / "enc.pt", {"kind": "demo-trained"})
    assert sha256_file(first) == sha256_file(second)
