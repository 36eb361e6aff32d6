"""Contrastive adaptation of a CLIP encoder on (frame, text) pairs (torch; open_clip via the encoder module).

Frames are sampled inside each pair's segment at the encoder's input size, then the model is trained with
open_clip's CLIP loss on batches of DISTINCT texts (two frames with the same caption in one batch would be
false negatives). The checkpoint is a plain ``state_dict`` (torch pickle format) written atomically, with a
sidecar ``<file>.json`` that records the architecture and the weights kind, so the file loads back through
the same path as a user's own checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reeltag.errors import UnreadableVideo
from reeltag.io import atomic_path, write_json_atomic
from reeltag.video.encoder import ClipEncoder, make_clip_loss
from reeltag.video.frames import read_frames
from reeltag.video.inputs import Rejected
from reeltag.video.pairs import Pair
from reeltag.video.sampling import Sampling
from reeltag.video.weights import sidecar_path


@dataclass(frozen=True)
class PairFrames:
    """Frames of many pairs: uint8 [M, S, S, 3], the text index of each frame, and the distinct texts."""

    frames: np.ndarray
    text_index: np.ndarray
    texts: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        return int(len(self.frames))


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    steps: int
    batch_size: int
    lr: float
    weight_decay: float = 0.05
    seed: int = 0


def sample_pair_frames(
    pairs: Sequence[Pair], side: int, per_pair: int, threads: int = 0, max_side: int = 7680
) -> tuple[PairFrames, tuple[Rejected, ...]]:
    """Up to ``per_pair`` uniform frames inside each pair's window; unreadable videos are returned rejected."""
    texts = sorted({p.text for p in pairs})
    lookup = {t: i for i, t in enumerate(texts)}
    frames, index, rejected = [], [], []
    for pair in pairs:
        try:
            got = read_frames(pair.video, Sampling("uniform", per_pair), side, threads, max_side, pair.window).frames
        except UnreadableVideo as exc:
            rejected.append(Rejected(str(pair.video), str(exc)))
            continue
        frames.append(got)
        index.extend([lookup[pair.text]] * len(got))
    stacked = np.concatenate(frames) if frames else np.zeros((0, side, side, 3), dtype=np.uint8)
    return PairFrames(stacked, np.asarray(index, dtype=np.int64), tuple(texts)), tuple(rejected)


def train_contrastive(
    encoder: ClipEncoder, data: PairFrames, cfg: TrainConfig, on_step: Callable[[int, float], None] | None = None
) -> list[float]:
    """``cfg.steps`` AdamW steps of the CLIP loss; returns the loss of every step."""
    if len(data.texts) < 2:
        raise ValueError("contrastive adaptation needs at least two distinct texts")
    model, loss_fn = encoder.model, make_clip_loss()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay)
    tokens = encoder.tokens(data.texts)
    rng = np.random.default_rng(cfg.seed)
    by_text = [np.flatnonzero(data.text_index == t) for t in range(len(data.texts))]
    usable = np.array([t for t, rows in enumerate(by_text) if len(rows)])
    model.train()
    losses = []
    for step in range(cfg.steps):
        texts = rng.choice(usable, size=min(cfg.batch_size, len(usable)), replace=False)
        rows = np.array([rng.choice(by_text[t]) for t in texts])
        loss = _step(model, loss_fn, optimiser, encoder.image_tensor(data.frames[rows]), tokens[torch.from_numpy(texts)])
        losses.append(loss)
        if on_step:
            on_step(step, loss)
    model.eval()
    return losses


def _step(model: Any, loss_fn: Any, optimiser: Any, images: torch.Tensor, tokens: torch.Tensor) -> float:
    image_features = model.encode_image(images, normalize=True)
    text_features = model.encode_text(tokens, normalize=True)
    loss = loss_fn(image_features, text_features, model.logit_scale.exp())
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    with torch.no_grad():
        model.logit_scale.clamp_(0, 4.6052)  # CLIP's cap: temperature >= 1/100
    return float(loss.detach())


def zero_shot_accuracy(encoder: ClipEncoder, data: PairFrames) -> tuple[float, float]:
    """(top-1 accuracy of each frame against all of ``data``'s distinct texts, chance level 1/#texts)."""
    if data.n_frames == 0 or not data.texts:
        return float("nan"), float("nan")
    scores = encoder.encode_images(data.frames) @ encoder.encode_texts(data.texts).T
    return float(np.mean(scores.argmax(axis=1) == data.text_index)), 1.0 / len(data.texts)


def save_checkpoint(model: Any, target: Path, sidecar: dict[str, Any]) -> Path:
    """``state_dict`` to ``target`` (atomic) and the sidecar JSON beside it (written first)."""
    write_json_atomic(sidecar_path(target), sidecar)
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        torch.save(model.state_dict(), out)  # a file object: the zip's record names do not carry the temp file's name
    return target
