"""Recency-weighted training sets for trend following (pure): a sliding window of months, or decayed sampling.

A post ``age`` months older than the newest month has weight ``boost · 0.5^(age / half_life)`` (flat without a
half-life) and none beyond ``window`` months; it appears ``⌊w⌋`` times plus once more with probability ``w − ⌊w⌋``
(seeded), and the set is shuffled. A boost of 2 or more is how new tags enter: a tag used once in the newest month
reaches ``tag2vec.min_count`` = 2. :data:`CANDIDATES` are the settings ``tag2vec follow`` chooses from on its
validation months; :func:`recent_training_set` is the same set from the corpus store's dated posts, what
``tag2vec train`` trains on with ``[tag2vec] retrain_mode = "recent"`` (:func:`from_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.config import Tag2VecSection
from reeltag.errors import BadInput

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


def from_settings(cfg: Tag2VecSection) -> Recency:
    """The ``[tag2vec] recent_*`` setting as a :class:`Recency` (named like :data:`CANDIDATES`' ones)."""
    window, half_life, boost = cfg.recent_window_months, cfg.recent_half_life_months, cfg.recent_boost
    name = f"window-{window}-" if window is not None else ""
    name += f"decay-h{half_life:g}-x{boost:g}" if half_life is not None else f"flat-x{boost:g}"
    return Recency(name=name, window=window, boost=boost, half_life=half_life)


def by_month(posts: Sequence[list[str]], created_at: Sequence[str | None]) -> dict[str, Posts]:
    """Posts grouped by the month (``YYYY-MM``) of their ISO ``created_at``; an undated post is refused, not guessed."""
    undated = sum(1 for when in created_at if not when)
    if undated:
        raise BadInput(
            f'retrain_mode = "recent" needs a created_at on every training post; {undated} of {len(posts)} have none '
            '(ingest them with created_at, or set [tag2vec] retrain_mode = "full")'
        )
    months: dict[str, Posts] = {}
    for post, when in zip(posts, created_at, strict=True):
        months.setdefault(str(when)[:7], []).append(list(post))
    return months


@dataclass(frozen=True, kw_only=True)
class RecentSet:
    posts: Posts  # weighted and shuffled, the newest month's posts ``boost`` times
    months: tuple[str, ...]  # the months whose posts can appear, oldest first
    recency: Recency


def recent_training_set(posts: Sequence[list[str]], created_at: Sequence[str | None], recency: Recency, seed: int) -> RecentSet:
    """The recency-weighted set of dated posts, relative to the newest month among them."""
    months = by_month(posts, created_at)
    if not months:
        raise BadInput("no training posts for the recent set")
    newest = max(months)
    kept = tuple(covered(list(months), newest, recency))
    return RecentSet(posts=weighted_posts(months, newest, recency, seed), months=kept, recency=recency)
