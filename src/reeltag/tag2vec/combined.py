"""The leave-one-tag-out recommender as a learned combination of signals (pure numpy).

Signals per query (a post's other tags, and its words when it has them): the hybrid (co-occurrence smoothed by
Tag2Vec), Tag2Vec input-output, co-occurrence counts and the text model's scores of the post's words. Each
signal is divided by its row maximum (so every one lies in [0, 1] per query) and summed with weights chosen on
validation queries from a simplex grid; a weight of 0 for ``text`` is the tags-only recommender.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.ranking import weight_grid
from reeltag.tag2vec.evaluate import MethodScore, Queries, ranks, score

Signals = Callable[[Sequence[int]], dict[str, np.ndarray]]  # query rows → signal name → (len, V) scores


@dataclass(frozen=True, kw_only=True)
class Combination:
    weights: dict[str, float]
    val: MethodScore


def row_max_normalised(scores: np.ndarray) -> np.ndarray:
    scores = np.where(np.isfinite(scores), scores, 0.0)
    return scores / np.maximum(np.abs(scores).max(axis=1, keepdims=True), 1e-12)


def combine(signals: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Σ weight · row-max-normalised signal (signals without a weight are left out)."""
    parts = [w * row_max_normalised(signals[name]) for name, w in weights.items() if w]
    return np.sum(parts, axis=0) if parts else np.zeros_like(next(iter(signals.values())))


def rank_with(signals: Signals, queries: Queries, weights: Mapping[str, float], n_tags: int) -> np.ndarray:
    """1-based ranks of the hidden tags among ``n_tags`` under the combination (queries scored in chunks, in order)."""
    position = {"next": 0}

    def scorer(contexts: Sequence[Sequence[int]]) -> np.ndarray:
        start = position["next"]
        position["next"] += len(contexts)
        return combine(signals(list(range(start, start + len(contexts)))), weights)

    return ranks(scorer, queries, n_tags)


def tune_weights(cached: Mapping[str, np.ndarray], queries: Queries, names: Sequence[str], step: float, k: int) -> Combination:
    """The grid weighting of ``names`` with the best hit@k on the (validation) queries, then MRR@k; ``cached`` holds
    every signal for every query."""
    signals: Signals = lambda rows: {n: cached[n][rows] for n in names}
    best: tuple[tuple[float, float], dict[str, float], MethodScore] | None = None
    for weights in weight_grid(list(names), step):
        result = score(rank_with(signals, queries, weights, cached[names[0]].shape[1]), k)
        key = (result.hit_at_k, result.mrr_at_k)
        if best is None or key > best[0]:
            best = (key, weights, result)
    assert best is not None
    return Combination(weights=best[1], val=best[2])
