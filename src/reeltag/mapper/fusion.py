"""Fusing the suggestion branches (pure numpy): the visual mapper, visual kNN label transfer and the text
branch, each z-scored per video over the candidate tags, summed with weights fitted on validation videos.

A branch a video lacks (no usable text) is a constant row, so its z-score is 0 and the others decide; a branch
may also carry a per-video ``scale`` (the text branch's confidence) that multiplies its z-scores. Each suggested
tag is credited to the branch whose weighted z-score contributes most to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.mapper.evaluate import Truth, ranking_metrics, zscore_rows

BRANCHES = ("mapper", "knn", "text")
Scales = Mapping[str, np.ndarray] | None  # per-video factors of some branches' z-scores


@dataclass(frozen=True, kw_only=True)
class FusionFit:
    weights: dict[str, float]  # per branch, summing to 1
    val: dict[str, float]  # validation metrics of the fused ranking with these weights


def weight_grid(names: Sequence[str], step: float) -> list[dict[str, float]]:
    """Every weighting of ``names`` on the simplex in steps of ``step``."""
    n = round(1.0 / step)
    grid = [c for c in itertools.product(range(n + 1), repeat=len(names)) if sum(c) == n]
    return [{name: c / n for name, c in zip(names, combo)} for combo in grid]


def fuse(branches: Mapping[str, np.ndarray], weights: Mapping[str, float], scales: Scales = None) -> np.ndarray:
    """Σ weight · scale · z(branch scores), z per video (row)."""
    parts = _parts(branches, weights, scales)
    if not parts:
        raise ValueError("no branch to fuse")
    return np.sum(list(parts.values()), axis=0)


def _parts(branches: Mapping[str, np.ndarray], weights: Mapping[str, float], scales: Scales) -> dict[str, np.ndarray]:
    out = {}
    for name, scores in branches.items():
        part = weights.get(name, 0.0) * zscore_rows(np.asarray(scores, dtype=np.float64))
        scale = (scales or {}).get(name)
        out[name] = part * np.asarray(scale, dtype=np.float64)[:, None] if scale is not None else part
    return out


def fit_weights(branches: Mapping[str, np.ndarray], truth: Truth, step: float = 0.1, scales: Scales = None) -> FusionFit:
    """The grid weighting with the best validation P@5 (then mAP; then the earlier branch in ``BRANCHES``
    gets more weight, so ties keep the mapper)."""
    names = [b for b in BRANCHES if b in branches]
    scored = []
    for weights in weight_grid(names, step):
        metrics = ranking_metrics(fuse(branches, weights, scales), truth)
        scored.append(((metrics["p_at_5"], metrics["map"], tuple(weights[n] for n in names)), weights, metrics))
    _, weights, metrics = max(scored, key=lambda item: item[0])
    return FusionFit(weights=weights, val=metrics)


def leading_branch(
    branches: Mapping[str, np.ndarray], weights: Mapping[str, float], row: int, columns: Sequence[int], scales: Scales = None
) -> list[str]:
    """For tags ``columns`` of video ``row``: the branch contributing most to each one's fused score."""
    rows = {n: s[row : row + 1] for n, s in branches.items()}
    picked = {n: np.asarray(v)[row : row + 1] for n, v in (scales or {}).items()}
    parts = _parts(rows, weights, picked)
    names = list(parts)
    stacked = np.stack([parts[n][0] for n in names])
    return [names[int(np.argmax(stacked[:, c]))] for c in columns]
