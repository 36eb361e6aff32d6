"""Fusing the suggestion branches (pure numpy): the visual mapper, visual kNN label transfer and the text
branch, each z-scored per video over the candidate tags, summed with weights fitted on validation videos.

A branch a video lacks (no usable text) is a constant row, so its z-score is 0 and the others decide. Each
suggested tag is credited to the branch whose weighted z-score contributes most to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.mapper.evaluate import Truth, ranking_metrics, zscore_rows

BRANCHES = ("mapper", "knn", "text")


@dataclass(frozen=True, kw_only=True)
class FusionFit:
    weights: dict[str, float]  # per branch, summing to 1
    val: dict[str, float]  # validation metrics of the fused ranking with these weights


def weight_grid(names: Sequence[str], step: float) -> list[dict[str, float]]:
    """Every weighting of ``names`` on the simplex in steps of ``step``."""
    n = round(1.0 / step)
    grid = [c for c in itertools.product(range(n + 1), repeat=len(names)) if sum(c) == n]
    return [{name: c / n for name, c in zip(names, combo)} for combo in grid]


def fuse(branches: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Σ weight · z(branch scores), z per video (row)."""
    total = None
    for name, scores in branches.items():
        part = weights.get(name, 0.0) * zscore_rows(np.asarray(scores, dtype=np.float64))
        total = part if total is None else total + part
    if total is None:
        raise ValueError("no branch to fuse")
    return total


def fit_weights(branches: Mapping[str, np.ndarray], truth: Truth, step: float = 0.1) -> FusionFit:
    """The grid weighting with the best validation P@5 (then mAP; then the earlier branch in ``BRANCHES``
    gets more weight, so ties keep the mapper)."""
    names = [b for b in BRANCHES if b in branches]
    scored = []
    for weights in weight_grid(names, step):
        metrics = ranking_metrics(fuse(branches, weights), truth)
        scored.append(((metrics["p_at_5"], metrics["map"], tuple(weights[n] for n in names)), weights, metrics))
    _, weights, metrics = max(scored, key=lambda item: item[0])
    return FusionFit(weights=weights, val=metrics)


def leading_branch(branches: Mapping[str, np.ndarray], weights: Mapping[str, float], row: int, columns: Sequence[int]) -> list[str]:
    """For tags ``columns`` of video ``row``: the branch contributing most to each one's fused score."""
    names = list(branches)
    parts = np.stack([weights.get(n, 0.0) * zscore_rows(np.asarray(branches[n][row:row + 1], dtype=np.float64))[0]
                      for n in names])
    return [names[int(np.argmax(parts[:, c]))] for c in columns]
