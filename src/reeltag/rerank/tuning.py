"""Choosing the rerank setting (α × normalisation × pooling) by cross-validation over topics (pure).

Input is a table ``{setting: {qid: metric}}`` of per-topic values (e.g. AP) of every grid setting. Topics
are split into seeded folds; for each fold the setting with the best mean over the OTHER folds is chosen
and scored on the held-out fold, so every topic's reported value comes from a setting chosen without it. Selection follows the
one-standard-error rule (see :func:`select`): near-ties go to the smaller α (less weight on CLIP, closer to the
engine), the conservative choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np


@dataclass(frozen=True)
class Setting:
    alpha: float
    normalisation: str
    pooling: str

    @property
    def label(self) -> str:
        return f"alpha{self.alpha:.2f}-{self.normalisation}-{self.pooling}"


@dataclass(frozen=True, kw_only=True)
class CrossValidation:
    chosen: Setting  # selected on every topic (what gets registered)
    fold_choices: tuple[Setting, ...]
    folds: tuple[tuple[str, ...], ...]
    held_out: dict[str, float]  # per topic: value under the setting chosen without that topic

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.held_out.values())))


def grid(alphas: Iterable[float], normalisations: Iterable[str], poolings: Iterable[str]) -> list[Setting]:
    """Every combination; α = 0 is the engine alone (no CLIP score, so normalisation and pooling do not change
    its order): it is kept once, with the first normalisation and pooling."""
    out: list[Setting] = []
    for s in (Setting(float(a), n, p) for a, n, p in product(alphas, normalisations, poolings)):
        if s.alpha != 0.0 or not any(o.alpha == 0.0 for o in out):
            out.append(s)
    return out


def make_folds(topics: Sequence[str], k: int, seed: int) -> tuple[tuple[str, ...], ...]:
    """``min(k, n)`` seeded folds of topics (leave-one-out when there are fewer topics than k)."""
    if len(topics) < 2:
        raise ValueError(f"cross-validation needs at least 2 topics, got {len(topics)}")
    order = np.random.default_rng(seed).permutation(sorted(topics))
    return tuple(tuple(sorted(str(t) for t in part)) for part in np.array_split(order, min(k, len(topics))))


def select(table: Mapping[Setting, Mapping[str, float]], topics: Iterable[str]) -> Setting:
    """The one-standard-error rule: of the settings whose mean over ``topics`` is within one standard error
    of the best mean, the one with the smallest α (closest to the engine), then the higher mean, then grid order.

    The standard error is the best setting's per-topic spread / √n; with few topics a setting that shines on
    some topics only is not preferred to a steadier, more conservative one.
    """
    topics = list(topics)
    settings = list(table)
    means = [float(np.mean([table[s][t] for t in topics])) for s in settings]
    best = max(range(len(settings)), key=lambda i: (means[i], -settings[i].alpha, -i))
    values = [table[settings[best]][t] for t in topics]
    se = float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    near = [i for i in range(len(settings)) if means[i] >= means[best] - se]
    return settings[max(near, key=lambda i: (-settings[i].alpha, means[i], -i))]


def cross_validate(table: Mapping[Setting, Mapping[str, float]], topics: Sequence[str], k: int, seed: int) -> CrossValidation:
    folds = make_folds(topics, k, seed)
    held_out: dict[str, float] = {}
    choices = []
    for fold in folds:
        choice = select(table, [t for t in topics if t not in fold])
        choices.append(choice)
        held_out.update({t: float(table[choice][t]) for t in fold})
    return CrossValidation(
        chosen=select(table, topics), fold_choices=tuple(choices), folds=folds, held_out=dict(sorted(held_out.items()))
    )
