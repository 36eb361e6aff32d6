"""Figures of a stochastic measurement over several seeds: each seed's value, their mean and a Student-t CI.

``text leave-one-out --seeds N`` runs the whole protocol once per seed (``tag2vec.seed`` and ``tag_ranker.seed``
each advanced by the run's offset) and reports every method's hit@k ÷ co-occurrence hit@k this way. With
``tag2vec.workers = 1`` each seed's run is reproducible, so the mean and its CI come out the same on a rerun.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True, kw_only=True)
class SeedFigure:
    values: tuple[float, ...]  # one per seed, in the order of ``SeedSummary.offsets``
    mean: float
    ci: tuple[float, float]  # Student-t interval of the mean at ``SeedSummary.confidence`` (nan with one seed)


@dataclass(frozen=True, kw_only=True)
class SeedSummary:
    offsets: tuple[int, ...]  # added to tag2vec.seed and tag_ranker.seed for each run
    tag2vec_seeds: tuple[int, ...]
    ranker_seeds: tuple[int, ...]
    confidence: float
    ratio_to_cooccurrence: dict[str, SeedFigure]  # every method's hit@k ÷ co-occurrence hit@k over the seeds
    hit_at_k: dict[str, SeedFigure]
    offered_tags_only: tuple[str, ...]  # what val chose from the tags alone, per seed


def seed_figure(values: Sequence[float], confidence: float = CONFIDENCE) -> SeedFigure:
    """The mean of ``values`` and its two-sided Student-t interval (n − 1 degrees of freedom)."""
    from scipy.stats import t

    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if x.size < 2:
        return SeedFigure(values=tuple(x.tolist()), mean=mean, ci=(float("nan"), float("nan")))
    half = float(t(df=x.size - 1).ppf((1.0 + confidence) / 2.0) * x.std(ddof=1) / np.sqrt(x.size))
    return SeedFigure(values=tuple(x.tolist()), mean=mean, ci=(mean - half, mean + half))


def per_method(runs: Sequence[Mapping[str, float]]) -> dict[str, SeedFigure]:
    """Each method's figure over runs (one mapping method → value per seed)."""
    return {name: seed_figure([run[name] for run in runs]) for name in runs[0]}
