"""Does a Tag2Vec model follow the trends? Next-period scores of one model (pure numpy).

For every post of the next period with at least two distinct tags, each tag in turn is hidden and ranked by
Tag2Vec input-output from the other tags the model knows (a hidden tag the model does not know, or a post whose
other tags it does not know, is a miss). ``known_share`` is the share of the next period's tag occurrences in
the model's vocabulary. :func:`paired_difference` is the stratified paired bootstrap over posts of two models'
mean per-period hit@k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary
from reeltag.tag2vec.evaluate import Queries, ranks
from reeltag.tag2vec.space import TagSpace

BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED = 1000, 30


@dataclass(frozen=True, kw_only=True)
class PeriodScore:
    hit_at_k: float
    known_share: float
    queries: int


@dataclass(frozen=True, kw_only=True)
class PostHits:
    """Per post of a period: hidden tags ranked within k, and queries (both 0 for a post with under two tags)."""

    hits: np.ndarray
    queries: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Difference:
    delta: float  # mean over periods of hit@k(a) − hit@k(b)
    low: float  # 95 % bootstrap interval (posts resampled within each period, the same posts for both models)
    high: float
    samples: int


@dataclass(frozen=True, kw_only=True)
class Estimate:
    mean: float  # mean over periods of hit@k
    low: float  # 95 % bootstrap interval (posts resampled within each period)
    high: float
    samples: int


def own_vocabulary(space: TagSpace) -> Vocabulary:
    """The model's own tags as a reference vocabulary (no co-occurrences needed)."""
    n = len(space.tags)
    counts = np.asarray(space.counts if space.counts is not None else np.ones(n), dtype=np.float64)
    return Vocabulary(tuple(space.tags), counts, sparse.csr_matrix((n, n), dtype=np.float32))


def post_hits(space: TagSpace, sentences: Sequence[Sequence[str]], k: int) -> PostHits:
    index = {t: i for i, t in enumerate(space.tags)}
    canonical = [[space.surface.canonical(t) for t in dict.fromkeys(s)] for s in sentences]
    contexts, targets, owner, queries = [], [], [], np.zeros(len(canonical), dtype=np.int64)
    for post, tags in enumerate(canonical):
        queries[post] = len(tags) if len(tags) >= 2 else 0
        for i, hidden in enumerate(tags if len(tags) >= 2 else ()):
            context = [index[t] for j, t in enumerate(tags) if j != i and t in index]
            if hidden in index and context:
                contexts.append(tuple(context))
                targets.append(index[hidden])
                owner.append(post)
    hits = np.zeros(len(canonical), dtype=np.int64)
    if targets:
        vocab = own_vocabulary(space)
        found = ranks(AlignedSpace.of(space, vocab).input_output, Queries(tuple(contexts), np.array(targets), 0), len(vocab.tags))
        np.add.at(hits, np.array(owner)[found <= k], 1)
    return PostHits(hits=hits, queries=queries)


def next_period_score(space: TagSpace, sentences: Sequence[Sequence[str]], k: int) -> PeriodScore:
    return period_score(space, sentences, post_hits(space, sentences, k))


def period_score(space: TagSpace, sentences: Sequence[Sequence[str]], found: PostHits) -> PeriodScore:
    total = int(found.queries.sum())
    occurrences = [space.surface.canonical(t) for s in sentences for t in dict.fromkeys(s)]
    known = sum(t in space.index for t in occurrences) / len(occurrences) if occurrences else float("nan")
    return PeriodScore(hit_at_k=int(found.hits.sum()) / total if total else float("nan"), known_share=known, queries=total)


def paired_difference(a: Sequence[PostHits], b: Sequence[PostHits]) -> Difference:
    """Mean per-period hit@k of ``a`` minus ``b`` with its 95 % interval: each period's posts resampled (seeded)."""
    observed, low, high = _bootstrap(a, b)
    return Difference(delta=observed, low=low, high=high, samples=BOOTSTRAP_SAMPLES)


def mean_interval(a: Sequence[PostHits]) -> Estimate:
    """Mean per-period hit@k of ``a`` with its 95 % interval: each period's posts resampled (seeded)."""
    observed, low, high = _bootstrap(a, None)
    return Estimate(mean=observed, low=low, high=high, samples=BOOTSTRAP_SAMPLES)


def _bootstrap(a: Sequence[PostHits], b: Sequence[PostHits] | None) -> tuple[float, float, float]:
    """The mean over periods of ``a``'s hit@k (minus ``b``'s on the same posts when given) and the 95 % interval
    of ``BOOTSTRAP_SAMPLES`` resamples of it, each period's posts drawn with replacement (seeded)."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    per_period, observed = np.zeros(BOOTSTRAP_SAMPLES), 0.0
    others = b if b is not None else [PostHits(hits=np.zeros_like(x.hits), queries=x.queries) for x in a]
    for x, y in zip(a, others, strict=True):
        picks = rng.integers(0, len(x.hits), size=(BOOTSTRAP_SAMPLES, len(x.hits)))
        queries = np.maximum(x.queries[picks].sum(axis=1), 1)
        per_period += (x.hits[picks].sum(axis=1) - y.hits[picks].sum(axis=1)) / queries
        observed += (x.hits.sum() - y.hits.sum()) / max(int(x.queries.sum()), 1)
    low, high = np.percentile(per_period / len(a), [2.5, 97.5])
    return observed / len(a), float(low), float(high)
