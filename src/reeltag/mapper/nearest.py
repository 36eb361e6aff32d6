"""Nearest tags for mapped video vectors (pure numpy): ranked surface forms with cosine scores.

Plain ``matrix @ vectors.T`` + ``argpartition`` in row batches; fast enough up to ~1M tags (see
``bench/bench_suggest.py``), so no approximate index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.errors import BadInput
from reeltag.ranking import top_k, unit_rows


@dataclass(frozen=True)
class TagIndex:
    """The candidate tags: normalised ``keys``, display ``surface`` forms and unit ``vectors`` (n, d)."""

    keys: tuple[str, ...]
    surface: tuple[str, ...]
    vectors: np.ndarray

    @classmethod
    def build(cls, keys: Sequence[str], vectors: np.ndarray, surface: Sequence[str] | None = None) -> "TagIndex":
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(keys) != vectors.shape[0]:
            raise BadInput(f"tag vectors {vectors.shape} do not match {len(keys)} tags")
        shown = tuple(surface) if surface is not None else tuple(keys)
        return cls(tuple(keys), shown, unit_rows(vectors))

    def restrict(self, allow: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> "TagIndex":
        """Only ``allow`` keys (when given), without ``exclude`` keys."""
        allowed = set(allow) if allow is not None else None
        dropped = set(exclude)
        keep = [i for i, k in enumerate(self.keys) if (allowed is None or k in allowed) and k not in dropped]
        idx = np.asarray(keep, dtype=np.int64)
        return TagIndex(tuple(self.keys[i] for i in keep), tuple(self.surface[i] for i in keep), self.vectors[idx])


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    tag: str  # surface form, with '#'
    key: str  # normalised tag
    score: float  # cosine in the tag space, in [-1, 1] (a fused z-score when the fusion ranked)
    branch: str = "mapper"  # which branch produced the tag: mapper, knn or text


def nearest_tags(
    mapped: np.ndarray, index: TagIndex, k: int = 10, min_score: float | None = None, batch: int = 256
) -> list[list[Suggestion]]:
    """For each row of ``mapped`` (n, d), up to ``k`` tags ranked by cosine, at least ``min_score``."""
    mapped = unit_rows(np.atleast_2d(mapped))
    if mapped.shape[1] != index.vectors.shape[1]:
        raise BadInput(f"mapped vectors have {mapped.shape[1]} dimensions, the tag space {index.vectors.shape[1]}")
    out: list[list[Suggestion]] = []
    for start in range(0, mapped.shape[0], batch):
        idx, scores = top_k(mapped[start : start + batch] @ index.vectors.T, k)
        out.extend(_row(index, i, s, min_score) for i, s in zip(idx, scores))
    return out


def _row(index: TagIndex, idx: np.ndarray, scores: np.ndarray, min_score: float | None) -> list[Suggestion]:
    return [
        Suggestion(tag=with_hash(index.surface[i]), key=index.keys[i], score=float(s))
        for i, s in zip(idx, scores)
        if min_score is None or s >= min_score
    ]


def with_hash(tag: str) -> str:
    return tag if tag.startswith("#") else f"#{tag}"
