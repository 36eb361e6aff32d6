"""Tag-suggestion metrics and baselines (pure numpy).

Every method gives a score matrix (videos x candidate tags); metrics compare its ranking with the held-out
videos' label tags. ``n_true`` counts every label tag, also those outside the candidate vocabulary, so a
vocabulary that misses label tags costs recall instead of being hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.ranking import fuse, top_k, unit_rows

KS = (1, 5, 10)


@dataclass(frozen=True)
class Truth:
    """Relevant candidate columns per video and the number of label tags (in or out of the vocabulary)."""

    columns: tuple[frozenset[int], ...]
    n_true: tuple[int, ...]

    @classmethod
    def from_tags(cls, tags: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> "Truth":
        col = {key: i for i, key in enumerate(vocabulary)}
        return cls(tuple(frozenset(col[t] for t in ts if t in col) for ts in tags), tuple(len(set(ts)) for ts in tags))

    def coverage(self) -> float:
        """Share of label tags that are in the candidate vocabulary."""
        total = sum(self.n_true)
        return sum(len(c) for c in self.columns) / total if total else 0.0


@dataclass(frozen=True)
class Examples:
    """Video features (n, D) and their relevant columns in the candidate tag matrix (plus each video's frame
    vectors, when known, for training-time augmentation)."""

    features: np.ndarray
    truth: Truth
    frames: tuple[np.ndarray, ...] = ()


def ranking_metrics(scores: np.ndarray, truth: Truth, ks: Sequence[int] = KS) -> dict[str, float]:
    """Mean P@k, R@k, hit@k over videos and mAP over the full ranking."""
    out: dict[str, float] = {}
    idx, _ = top_k(scores, max(ks))
    for k in ks:
        hits = np.array([len(truth.columns[i] & set(idx[i, :k].tolist())) for i in range(len(idx))], dtype=float)
        n_true = np.maximum(np.asarray(truth.n_true, dtype=float), 1.0)
        out[f"p_at_{k}"] = float(np.mean(hits / k))
        out[f"r_at_{k}"] = float(np.mean(hits / n_true))
        out[f"hit_at_{k}"] = float(np.mean(hits > 0))
    out["map"] = float(np.mean([average_precision(s, c, n) for s, c, n in zip(scores, truth.columns, truth.n_true)]))
    return out


def average_precision(scores: np.ndarray, relevant: frozenset[int], n_true: int) -> float:
    if not relevant or n_true == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    is_rel = np.isin(order, np.fromiter(relevant, dtype=np.int64))
    ranks = np.flatnonzero(is_rel) + 1
    return float(np.sum(np.arange(1, len(ranks) + 1) / ranks) / n_true)


def popularity_scores(train: Truth, n_videos: int, n_candidates: int) -> np.ndarray:
    """Every video gets the training label frequency of each tag."""
    counts = np.zeros(n_candidates, dtype=np.float32)
    for cols in train.columns:
        counts[list(cols)] += 1.0
    return np.tile(counts, (n_videos, 1))


def knn_scores(train_features: np.ndarray, train: Truth, features: np.ndarray, n_candidates: int, k: int = 10) -> np.ndarray:
    """Visual kNN label transfer: tags of the ``k`` most similar training videos, weighted by cosine."""
    labels = np.zeros((len(train.columns), n_candidates), dtype=np.float32)
    for row, cols in enumerate(train.columns):
        labels[row, list(cols)] = 1.0
    sims = unit_rows(features) @ unit_rows(train_features).T
    idx, near = top_k(sims, k)
    weights = np.zeros_like(sims)
    np.put_along_axis(weights, idx, np.maximum(near, 0.0) + 1e-6, axis=1)
    return weights @ labels


def cosine_scores(vectors: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Cosine of each row of ``vectors`` with each candidate (mapper output vs tags; video vs tag texts)."""
    return unit_rows(vectors) @ unit_rows(candidates).T


def with_zero_shot(mapper: np.ndarray, zero_shot: np.ndarray, weight: float) -> np.ndarray:
    """``weight``·z(mapper) + (1−``weight``)·z(zero-shot), z per video: :func:`reeltag.ranking.fuse` of the two."""
    return fuse({"mapper": mapper, "zero_shot": zero_shot}, {"mapper": weight, "zero_shot": 1.0 - weight})


def best_fusion_weight(
    mapper: np.ndarray,
    zero_shot: np.ndarray,
    truth: Truth,
    metric: str = "p_at_5",
    grid: Sequence[float] = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0),
) -> float:
    """The grid weight with the best ``metric`` (chosen on validation videos; ties → more mapper)."""
    results = [(ranking_metrics(with_zero_shot(mapper, zero_shot, w), truth)[metric], w) for w in grid]
    return max(results)[1]


def prefixed(metrics: Mapping[str, Mapping[str, float]], split: str) -> dict[str, float]:
    """``{"mapper": {"p_at_5": ..}}`` → ``{"test/mapper/p_at_5": ..}``."""
    return {f"{split}/{method}/{name}": value for method, values in metrics.items() for name, value in values.items()}


def method_scores(
    mapped: np.ndarray, test: Examples, train: Examples, tags: np.ndarray, text: np.ndarray | None, knn_k: int = 10
) -> dict[str, np.ndarray]:
    """Score matrices of the mapper and the baselines (zero-shot only when tag texts were encoded)."""
    n, n_tags = len(test.truth.columns), tags.shape[0]
    scores = {
        "mapper": cosine_scores(mapped, tags),
        "popularity": popularity_scores(train.truth, n, n_tags),
        "knn": knn_scores(train.features, train.truth, test.features, n_tags, knn_k),
    }
    if text is not None:
        scores["zero_shot"] = cosine_scores(test.features, text)
    return scores


def with_fused(scores: Mapping[str, np.ndarray], fusion_weight: float | None) -> dict[str, np.ndarray]:
    """The score matrices plus ``fused`` (mapper + zero-shot) when a fusion weight was chosen."""
    if fusion_weight is None or "zero_shot" not in scores:
        return dict(scores)
    return {**scores, "fused": with_zero_shot(scores["mapper"], scores["zero_shot"], fusion_weight)}


def compare_methods(scores: Mapping[str, np.ndarray], truth: Truth, fusion_weight: float | None) -> dict[str, dict[str, float]]:
    """Metrics of every method, plus ``fused`` (mapper + zero-shot) when a fusion weight was chosen."""
    return {name: ranking_metrics(matrix, truth) for name, matrix in with_fused(scores, fusion_weight).items()}
