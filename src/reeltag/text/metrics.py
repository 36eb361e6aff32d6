"""Ranked tags vs a post's own hashtags (pure numpy): P@5, hit@10 and MRR@10, scored in chunks.

Every post with a word and a hashtag is a query, also when none of its hashtags is in the vocabulary (then it
is a miss), so a small vocabulary cannot hide hard posts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.ranking import top_k

CHUNK = 1024
Scorer = Callable[[Sequence[Sequence[str]]], np.ndarray]


@dataclass(frozen=True, kw_only=True)
class TextQueries:
    """Held-out posts: their words and their hashtags' vocabulary columns."""

    texts: tuple[tuple[str, ...], ...]
    truth: tuple[frozenset[int], ...]


@dataclass(frozen=True, kw_only=True)
class TextScore:
    p_at_5: float
    hit_at_10: float
    mrr_at_10: float
    posts: int


def make_text_queries(posts: Sequence[tuple[Sequence[str], Sequence[str]]], tags: Sequence[str]) -> TextQueries:
    """Posts with at least one word and one hashtag (known or not)."""
    col = {t: i for i, t in enumerate(tags)}
    kept = [(tuple(w), list(dict.fromkeys(ts))) for w, ts in posts if w and ts]
    return TextQueries(texts=tuple(w for w, _ in kept), truth=tuple(frozenset(col[t] for t in ts if t in col) for _, ts in kept))


def score_text(scorer: Scorer, queries: TextQueries) -> TextScore:
    """Mean P@5, hit@10 and MRR@10 of ``scorer`` over the queries."""
    p5, hit, rr = [], [], []
    for start in range(0, len(queries.texts), CHUNK):
        idx, _ = top_k(scorer(queries.texts[start : start + CHUNK]), 10)
        for row, truth in zip(idx, queries.truth[start : start + CHUNK]):
            relevant = np.isin(row, np.fromiter(truth, dtype=np.int64, count=len(truth)))
            p5.append(relevant[:5].sum() / 5.0)
            hit.append(bool(relevant.any()))
            rr.append(1.0 / (int(np.argmax(relevant)) + 1) if relevant.any() else 0.0)
    mean = lambda xs: float(np.mean(xs)) if xs else float("nan")
    return TextScore(p_at_5=mean(p5), hit_at_10=mean(hit), mrr_at_10=mean(rr), posts=len(queries.texts))
