"""The open_clip encoder: local checkpoints, model ids, offline fail-fast, and the torchvision shim."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.video.encoder import hub_reachable, load_encoder, resolve_weights

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def random_encoder(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("enc")
    return load_encoder(Project.open(root).settings.clip, Project.open(root).paths)


def test_random_tiny_encoder_gives_unit_float32_rows_of_any_frame_size(random_encoder) -> None:
    frames = np.random.default_rng(0).integers(0, 256, size=(5, 90, 120, 3), dtype=np.uint8)
    images, texts = random_encoder.encode_images(frames), random_encoder.encode_texts(["a red circle", "a blue star"])
    assert images.shape == (5, 128) and texts.shape == (2, 128)
    assert images.dtype == np.float32 and texts.dtype == np.float32
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    assert random_encoder.weights_kind == "random" and random_encoder.image_size == 64
    assert random_encoder.model_id == "reeltag-tiny@random-seed0"


def _user_file(encoder, path: Path) -> Path:
    """A bare state_dict file, as a user's ViT-B-32 download would be (no reeltag sidecar)."""
    import torch

    torch.save(encoder.model.state_dict(), path)
    return path


def test_a_checkpoint_written_here_loads_through_the_user_file_path(random_encoder, tmp_path: Path) -> None:
    ckpt = _user_file(random_encoder, tmp_path / "my-clip.pt")
    project = Project.open(tmp_path, clip={"weights": str(ckpt), "seed": 123})
    loaded = load_encoder(project.settings.clip, project.paths)
    frames = np.random.default_rng(1).integers(0, 256, size=(3, 64, 64, 3), dtype=np.uint8)
    assert np.allclose(loaded.encode_images(frames), random_encoder.encode_images(frames), atol=1e-5)
    assert loaded.weights_kind == "real"  # a bare file without a reeltag sidecar is taken as published weights
    assert loaded.model_id.startswith("reeltag-tiny@") and loaded.model_id != random_encoder.model_id


def test_one_changed_byte_changes_the_model_id(random_encoder, tmp_path: Path) -> None:
    ckpt = _user_file(random_encoder, tmp_path / "my-clip.pt")
    clip = Project.open(tmp_path, clip={"weights": str(ckpt)}).settings.clip
    before = resolve_weights(clip, tmp_path).model_id
    data = bytearray(ckpt.read_bytes())
    data[len(data) // 2] ^= 0x01
    ckpt.write_bytes(bytes(data))
    assert resolve_weights(clip, tmp_path).model_id != before


def test_a_pretrained_tag_fails_fast_offline_with_how_to_pass_a_local_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clip = Project.open(tmp_path, clip={"arch": "ViT-B-32", "weights": "openai"}).settings.clip
    started = time.perf_counter()
    with pytest.raises(NotFound, match="local file"):
        resolve_weights(clip, tmp_path)
    assert time.perf_counter() - started < 30


def test_an_unknown_weights_name_says_what_is_accepted(tmp_path: Path) -> None:
    clip = Project.open(tmp_path, clip={"weights": "no-such-file.pt"}).settings.clip
    with pytest.raises(NotFound, match="not an open_clip pretrained tag"):
        resolve_weights(clip, tmp_path)


def test_hub_probe_gives_up_quickly_on_a_closed_port() -> None:
    assert hub_reachable("127.0.0.1", 9, timeout_s=1.0) is False


def test_torchvision_imports_in_a_fresh_interpreter_after_the_shim() -> None:
    code = (
        "from reeltag.video.torchvision_compat import ensure_torchvision_importable as e\n"
        "shim = e()\nimport torchvision.transforms\nprint('ok', shim)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")
