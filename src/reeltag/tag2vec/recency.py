"""Recency-weighted training sets for trend following (pure): a sliding window of months, or decayed sampling.

A post ``age`` months older than the newest month has weight ``boost · 0.5^(age / half_life)`` (flat without a
half-life) and none beyond ``window`` months; it appears ``⌊w⌋`` times plus once more with probability ``w − ⌊w⌋``
(seeded), and the set is shuffled. A boost of 2 or more is how new tags enter: a tag used once in the newest month
reaches ``tag2vec.min_count`` = 2. :data:`CANDIDATES` are the settings ``tag2vec follow`` chooses from on its
validation months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Posts = list[list[str]]


@dataclass(frozen=True, kw_only=True)
class Recency:
    name: str
    window: int | None  # months kept, the newest included (None: all)
    boost: float  # weight of the newest month's posts
    half_life: float | None  # months for the weight to halve (None: flat)

    def weight(self, age: int) -> float:
        if self.window is not None and age >= self.window:
            return 0.0
        return self.boost * (0.5 ** (age / self.half_life) if self.half_life else 1.0)


CANDIDATES = (
    Recency(name="window-1", window=1, boost=1.0, half_life=None),
    Recency(name="window-3", window=3, boost=1.0, half_life=None),
    Recency(name="decay-h1-x4", window=None, boost=4.0, half_life=1.0),
    Recency(name="decay-h2-x4", window=None, boost=4.0, half_life=2.0),
)


def covered(months: Sequence[str], through: str, recency: Recency) -> list[str]:
    """The months (oldest first) up to ``through`` whose posts can appear."""
    kept = [m for m in sorted(months) if m <= through]
    return kept[-recency.window :] if recency.window is not None else kept


def weighted_posts(months: Mapping[str, Posts], through: str, recency: Recency, seed: int) -> Posts:
    rng, order = np.random.default_rng(seed), covered(list(months), through, recency)
    out: Posts = []
    for age, month in enumerate(reversed(order)):
        w = recency.weight(age)
        for post in months[month]:
            out.extend([post] * (int(w) + int(rng.random() < w - int(w))))
    return [out[i] for i in rng.permutation(len(out))]
