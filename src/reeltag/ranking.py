"""Ranking helpers every scorer shares (pure numpy): unit rows, the top-k of each row, per-row z-scores, the one
weighted fusion of z-scored branches and the simplex grid its weights are searched on.

Core layer: the suggestion branches (mapper, text, kNN), Tag2Vec's leave-one-out combination and the fusion all
rank with these, so none of them imports another capability for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

Scales = Mapping[str, np.ndarray] | None  # per-row factors of some branches' z-scores


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the ``k`` best columns of each row, best first."""
    k = min(k, scores.shape[1])
    if k <= 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def zscore_rows(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.maximum(std, 1e-9)


def weight_grid(names: Sequence[str], step: float) -> list[dict[str, float]]:
    """Every weighting of ``names`` on the simplex in steps of ``step``."""
    n = round(1.0 / step)
    grid = [c for c in itertools.product(range(n + 1), repeat=len(names)) if sum(c) == n]
    return [{name: c / n for name, c in zip(names, combo)} for combo in grid]


def fuse(branches: Mapping[str, np.ndarray], weights: Mapping[str, float], scales: Scales = None) -> np.ndarray:
    """Σ weight · scale · z(branch scores), z per row."""
    parts = fused_parts(branches, weights, scales)
    if not parts:
        raise ValueError("no branch to fuse")
    return np.sum(list(parts.values()), axis=0)


def fused_parts(branches: Mapping[str, np.ndarray], weights: Mapping[str, float], scales: Scales) -> dict[str, np.ndarray]:
    """Each branch's weighted (and scaled) z-scores, the terms :func:`fuse` sums."""
    out = {}
    for name, scores in branches.items():
        part = weights.get(name, 0.0) * zscore_rows(np.asarray(scores, dtype=np.float64))
        scale = (scales or {}).get(name)
        out[name] = part * np.asarray(scale, dtype=np.float64)[:, None] if scale is not None else part
    return out
