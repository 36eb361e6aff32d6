"""The mapper (torch): a small MLP from a pooled CLIP video feature into the Tag2Vec space, and its losses.

The paper's shape regresses to the mean vector of the video's tags (``regression``: 1 − cosine to that
mean). ``ranking`` is a multi-positive softmax over the candidate tag vectors (temperature ``τ``): the
video's tags must out-score the others, which is what suggestion by nearest tags needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

LOSSES = ("regression", "ranking")


@dataclass(frozen=True, kw_only=True)
class MapperArgs:
    """Everything needed to rebuild a mapper and to know what it depends on (saved as ``args.json``)."""

    in_dim: int
    out_dim: int
    hidden: int
    loss: str
    temperature: float
    dropout: float = 0.1
    tag2vec_version: str = ""
    encoder_id: str = ""
    encoder_weights: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class TagMapper(nn.Module):
    """L2-normalised video feature → Linear → ReLU → Dropout → Linear → tag-space vector."""

    def __init__(self, args: MapperArgs):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(args.in_dim, args.hidden), nn.ReLU(), nn.Dropout(args.dropout), nn.Linear(args.hidden, args.out_dim)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(F.normalize(features, dim=-1))


def mean_targets(positives: torch.Tensor, tag_vectors: torch.Tensor) -> torch.Tensor:
    """Mean unit tag vector of each video's positive tags (``positives``: 0/1 matrix videos x tags)."""
    return positives @ tag_vectors / positives.sum(dim=1, keepdim=True).clamp_min(1.0)


def regression_loss(pred: torch.Tensor, positives: torch.Tensor, tag_vectors: torch.Tensor) -> torch.Tensor:
    """1 − cos(prediction, mean tag vector), averaged over the batch."""
    return (1.0 - F.cosine_similarity(pred, mean_targets(positives, tag_vectors), dim=-1)).mean()


def ranking_loss(pred: torch.Tensor, positives: torch.Tensor, tag_vectors: torch.Tensor, temperature: float) -> torch.Tensor:
    """Multi-positive softmax cross-entropy of cos(prediction, tag)/τ over all candidate tags."""
    logits = F.normalize(pred, dim=-1) @ tag_vectors.T / temperature
    log_p = torch.log_softmax(logits, dim=-1)
    per_video = -(positives * log_p).sum(dim=1) / positives.sum(dim=1).clamp_min(1.0)
    return per_video.mean()


def loss_value(
    kind: str, pred: torch.Tensor, positives: torch.Tensor, tag_vectors: torch.Tensor, temperature: float
) -> torch.Tensor:
    if kind == "regression":
        return regression_loss(pred, positives, tag_vectors)
    if kind == "ranking":
        return ranking_loss(pred, positives, tag_vectors, temperature)
    raise ValueError(f"unknown mapper loss {kind!r}; known: {', '.join(LOSSES)}")
