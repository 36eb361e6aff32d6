"""The CLIP encoder: the only open_clip import (plus the isolated torchvision compatibility step).

``load_encoder(clip_settings, paths)`` builds any open_clip architecture (reeltag's own small configs in
``model_configs/`` are registered on first use) with weights from:

* ``random`` -- seeded random init (no text-image alignment at all);
* a local checkpoint file -- the path a user's ``ViT-B-32`` file takes, and reeltag's adapted checkpoints;
* an open_clip pretrained tag -- downloaded only where the network allows; offline it fails fast.

The model id is ``<arch>@<first 16 hex of the checkpoint's sha256>`` (``<arch>@random-seed<N>`` for
random init), so one changed byte of the file changes the id and with it every feature-cache key.
"""

from __future__ import annotations

import os
import pickle
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.errors import BadInput, NotFound
from reeltag.io import sha256_file
from reeltag.video.torchvision_compat import ensure_torchvision_importable
from reeltag.video.weights import sidecar_path, weights_kind

CONFIG_DIR = Path(__file__).with_name("model_configs")
HUB_HOST, HUB_PORT, PROBE_TIMEOUT_S = "huggingface.co", 443, 3.0
OFFLINE_HELP = (
    "download the checkpoint elsewhere (e.g. open_clip's ViT-B-32 'openai' file) and pass the local file: "
    "--weights /path/to/ViT-B-32.pt (or clip.weights in reeltag.toml, REELTAG_CLIP__WEIGHTS)"
)


@cache
def open_clip_module() -> Any:
    """open_clip, imported once after the torchvision shim, with reeltag's configs registered."""
    ensure_torchvision_importable()
    import open_clip

    open_clip.add_model_config(CONFIG_DIR)
    return open_clip


def make_clip_loss() -> Any:
    """open_clip's contrastive CLIP loss (single process)."""
    return open_clip_module().loss.ClipLoss()


@dataclass(frozen=True, kw_only=True)
class ResolvedWeights:
    arch: str
    checkpoint: Path | None  # None = random init
    model_id: str
    weights_kind: str


class ClipEncoder:
    """Image and text encoding through one open_clip model; outputs float32, L2-normalised rows.

    Thread-safe, one lock per tower: the image and text towers share no parameter or buffer, so a query text is
    encoded while another thread's image batch runs (the API's search path never waits behind video work), and
    each tower runs one forward pass at a time (torch modules are not promised to be re-entrant).
    """

    def __init__(self, model: Any, tokenizer: Any, weights: ResolvedWeights, batch_size: int, device: str):
        self.model, self.tokenizer, self.weights = model, tokenizer, weights
        self.batch_size, self.device = batch_size, device
        self._image_lock, self._text_lock = threading.Lock(), threading.Lock()
        self.image_size = _image_side(model)
        cfg = open_clip_module().get_model_preprocess_cfg(model)
        self._mean = _stat(cfg.get("mean"), open_clip_module().OPENAI_DATASET_MEAN)
        self._std = _stat(cfg.get("std"), open_clip_module().OPENAI_DATASET_STD)

    @property
    def arch(self) -> str:
        return self.weights.arch

    @property
    def model_id(self) -> str:
        return self.weights.model_id

    @property
    def weights_kind(self) -> str:
        return self.weights.weights_kind

    @property
    def embed_dim(self) -> int:
        return int(self.model.text_projection.shape[1]) if hasattr(self.model, "text_projection") else -1

    def image_tensor(self, frames: np.ndarray) -> Any:
        """uint8 [N, H, W, 3] → normalised float tensor [N, 3, S, S] (short-side resize + centre crop)."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device).permute(0, 3, 1, 2).float().div_(255.0)
        x = _fit(x, self.image_size)
        return (x - self._mean.to(x.device)) / self._std.to(x.device)

    def tokens(self, texts: Sequence[str]) -> Any:
        return self.tokenizer(list(texts)).to(self.device)

    def encode_images(self, frames: np.ndarray) -> np.ndarray:
        """uint8 frames [N, H, W, 3] → float32 [N, D], unit rows."""
        with self._image_lock:
            return self._batched(frames, lambda chunk: self.model.encode_image(self.image_tensor(chunk), normalize=True))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts (queries, tags, captions) → float32 [N, D], unit rows."""
        with self._text_lock:
            return self._batched(list(texts), lambda chunk: self.model.encode_text(self.tokens(chunk), normalize=True))

    def _batched(self, items: Any, encode: Any) -> np.ndarray:
        import torch

        self.model.eval()
        parts = []
        with torch.inference_mode():
            for start in range(0, len(items), self.batch_size):
                parts.append(encode(items[start : start + self.batch_size]).float().cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, self.embed_dim), dtype=np.float32)


def _stat(values: Any, default: Any) -> Any:
    import torch

    return torch.tensor(values or default, dtype=torch.float32).view(1, 3, 1, 1)


def _image_side(model: Any) -> int:
    size = model.visual.image_size
    return int(size[0] if isinstance(size, (tuple, list)) else size)


def _fit(x: Any, side: int) -> Any:
    """Resize so the short side is ``side`` (keeping aspect), then centre-crop to ``side`` x ``side``."""
    import torch.nn.functional as F

    height, width = x.shape[-2:]
    if (height, width) != (side, side):
        scale = side / min(height, width)
        size = (max(side, round(height * scale)), max(side, round(width * scale)))
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        top, left = (x.shape[-2] - side) // 2, (x.shape[-1] - side) // 2
        x = x[..., top : top + side, left : left + side]
    return x


def load_encoder(clip: Any, paths: Any) -> ClipEncoder:
    """The encoder ``clip`` settings describe (arch, weights, weights_kind, batch_size, device, threads, seed)."""
    import torch

    torch.set_num_threads(clip.threads)
    resolved = resolve_weights(clip, paths.root)
    model = build_model(resolved, clip.seed, clip.device)
    tokenizer = open_clip_module().get_tokenizer(resolved.arch)
    return ClipEncoder(model, tokenizer, resolved, clip.batch_size, clip.device)


def build_model(resolved: ResolvedWeights, seed: int = 0, device: str = "cpu") -> Any:
    """An open_clip model of ``resolved.arch``: the checkpoint file loaded, or seeded random init."""
    import torch

    oc = open_clip_module()
    _check_arch(resolved.arch)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            pretrained = str(resolved.checkpoint) if resolved.checkpoint else None
            model = oc.create_model(resolved.arch, pretrained=pretrained, device=device)
        except (
            RuntimeError,
            KeyError,
            ValueError,
            OSError,
            pickle.UnpicklingError,
        ) as exc:  # unpickling: weights_only refused it
            raise BadInput(f"cannot load {resolved.checkpoint} into architecture {resolved.arch}: {exc}") from exc
    return model.eval()


def _check_arch(arch: str) -> None:
    if arch not in open_clip_module().list_models():
        raise BadInput(
            f"unknown open_clip architecture {arch!r}; reeltag's own: {sorted(p.stem for p in CONFIG_DIR.glob('*.json'))}"
        )


def resolve_weights(clip: Any, root: Path) -> ResolvedWeights:
    """Which checkpoint file ``clip.weights`` names (downloading a pretrained tag if the network allows)."""
    if clip.weights == "registry":
        raise BadInput(
            "clip.weights = 'registry' (reeltag.encoder@champion) is read by `reeltag api`, `reeltag encoders backfill` "
            "and the upgrade-encoder flow; give this command the checkpoint file (--weights FILE)"
        )
    if clip.weights == "random":
        return ResolvedWeights(
            arch=clip.arch,
            checkpoint=None,
            model_id=f"{clip.arch}@random-seed{clip.seed}",
            weights_kind=weights_kind("random", clip.weights_kind),
        )
    path = Path(clip.weights).expanduser()
    path = path if path.is_absolute() else root / path
    if path.is_file():
        arch = checkpoint_arch(path, clip.arch)
        kind = weights_kind(str(path), clip.weights_kind, root)
        return ResolvedWeights(arch=arch, checkpoint=path, model_id=f"{arch}@{sha256_file(path)[:16]}", weights_kind=kind)
    downloaded = download_pretrained(clip.arch, clip.weights)
    kind = weights_kind(clip.weights, clip.weights_kind, root)
    return ResolvedWeights(
        arch=clip.arch, checkpoint=downloaded, model_id=f"{clip.arch}@{sha256_file(downloaded)[:16]}", weights_kind=kind
    )


def checkpoint_arch(path: Path, default: str) -> str:
    """The architecture a reeltag checkpoint's sidecar records (a user's bare file: ``default``)."""
    import json

    sidecar = sidecar_path(path)
    if sidecar.is_file():
        return str(json.loads(sidecar.read_text(encoding="utf-8")).get("arch", default))
    return default


def download_pretrained(arch: str, tag: str) -> Path:
    """Local file of an open_clip pretrained tag; fails fast (no hang) when offline."""
    oc = open_clip_module()
    cfg = oc.get_pretrained_cfg(arch, tag)
    if not cfg:
        known = oc.list_pretrained_tags_by_model(arch)
        raise NotFound(
            f"clip weights {tag!r}: no such file, and not an open_clip pretrained tag of {arch} (tags: {known}); "
            f"'random' or a local checkpoint file also work"
        )
    cached = _hub_cached(cfg)
    if cached is not None:
        return cached
    if _offline():
        raise NotFound(f"cannot download {arch}/{tag}: HF_HUB_OFFLINE is set and it is not cached; {OFFLINE_HELP}")
    if not hub_reachable():
        raise NotFound(f"cannot download {arch}/{tag}: no network ({HUB_HOST} unreachable); {OFFLINE_HELP}")
    try:
        return Path(oc.pretrained.download_pretrained(cfg))
    except Exception as exc:  # hub/urllib raise many types; all mean "not available here"
        raise NotFound(f"cannot get {arch}/{tag} (offline or not cached: {type(exc).__name__}); {OFFLINE_HELP}") from exc


def _hub_cached(cfg: dict[str, Any]) -> Path | None:
    """The tag's file if the hub cache already has it (no network)."""
    from huggingface_hub import try_to_load_from_cache

    repo, filename = os.path.split(str(cfg.get("hf_hub", "")))
    found = try_to_load_from_cache(repo, filename or "open_clip_pytorch_model.bin") if repo else None
    return Path(found) if isinstance(found, str) else None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_reachable(host: str = HUB_HOST, port: int = HUB_PORT, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """One TCP connect with a short timeout: can the weights hub be reached at all?"""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class _TextEncoderModel:
    """What the MLflow pyfunc wrapper serves: texts (a list, or a frame's ``text`` column) → vectors."""

    def __init__(self, encoder: ClipEncoder):
        self.encoder = encoder

    def predict(self, model_input: Any) -> np.ndarray:
        texts = model_input["text"] if hasattr(model_input, "columns") else model_input
        return self.encoder.encode_texts([str(t) for t in texts])


def load_pyfunc(artifacts: dict[str, str]) -> _TextEncoderModel:
    """Loader for :meth:`Tracker.log_model`: a registered checkpoint (with its sidecar) → text encoder."""
    from reeltag.config import ClipSection
    from reeltag.paths import ProjectPaths

    path = Path(artifacts["checkpoint"])
    clip = ClipSection(arch=checkpoint_arch(path, ClipSection().arch), weights=str(path))
    return _TextEncoderModel(load_encoder(clip, ProjectPaths.at(path.parent)))
