"""Paired bootstrap of a mean (pure numpy): items resampled with replacement, a percentile CI.

One implementation for every comparison that reports a CI: the offline A/B per topic
(:mod:`reeltag.ab.paired`) and every slice of every evaluation (:mod:`reeltag.slices`).
"""

from __future__ import annotations

import numpy as np

# Resample indices drawn at once (int64): the whole resamples × items matrix was drawn in one go (2000 × n).
# Up to this many (2000 resamples × 4,194 items) the draws, and so the CI, are exactly what one draw gave.
BOOTSTRAP_BLOCK = 8 * 2**20


def bootstrap_ci(deltas: np.ndarray, resamples: int, seed: int, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile CI of the mean delta over item resamples."""
    means = resample_means(deltas, resamples, np.random.default_rng(seed))
    tail = (1.0 - confidence) / 2.0
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))


def resample_means(deltas: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``resamples`` resamples with replacement, drawn block by block (at most ``BOOTSTRAP_BLOCK`` indices)."""
    n = len(deltas)
    per_block = max(1, BOOTSTRAP_BLOCK // n)
    blocks = (min(per_block, resamples - start) for start in range(0, resamples, per_block))
    return np.concatenate([deltas[rng.integers(0, n, size=(rows, n))].mean(axis=1) for rows in blocks])
