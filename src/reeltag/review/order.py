"""Which free item a reviewer gets next (``review.order``), and why. Pure: numpy over the queue's items.

- ``random``: a seeded draw per video content (``review.seed``), so a restart hands out the same sequence.
- ``newest``: the latest added first.
- ``uncertain``: the lowest top-score margin (score 1 − score 2) first.
- ``diverse``: greedy k-center over the items' pooled CLIP features (cosine distance): the free item farthest from
  every item already decided or leased; with none yet, the one nearest the free items' mean.
- ``gain``: uncertainty within diversity. The queue's features are split into ``round(sqrt(n))`` regions (greedy
  k-center centres, each item in its nearest centre's region); the region with the fewest decided or leased items
  is served first, and within it the most uncertain item. Ties between regions go to the one whose best item is the
  most uncertain.

Items without a feature (a store filled before features were kept, or encoded by another encoder than most items:
another feature size) go after those with one, by margin.
Control items keep their share whatever the order: the next item is a control item whenever fewer than
``round(share × (served + 1))`` of the served items were (``share`` = the queue's share of control items), so with
20 % they come 3rd, 8th, 13th, …; each pool is ordered by the same rule.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from reeltag.review.item_records import Item

ORDERS = ("uncertain", "newest", "random", "diverse", "gain")


@dataclass(frozen=True, kw_only=True)
class Choice:
    item_id: int
    reason: str  # uncertain | new region | random | newest


@dataclass(frozen=True, kw_only=True)
class QueueView:
    """The queue at one instant: the free items, those decided or leased (served), and the pooled features."""

    free: Sequence[Item]
    served: Sequence[Item]
    features: Mapping[int, np.ndarray]


def choose(view: QueueView, order: str, seed: int) -> Choice | None:
    """The next item of ``view.free`` in ``order`` with its pick reason; None when nothing is free."""
    pool, view = _pool(view), _one_space(view)
    if not pool:
        return None
    if order == "random":
        return Choice(item_id=min(pool, key=lambda i: (_draw(seed, i.video_sha256), i.id)).id, reason="random")
    if order == "newest":
        return Choice(item_id=max(pool, key=lambda i: (i.added_at, i.id)).id, reason="newest")
    if order in ("diverse", "gain") and any(i.id in view.features for i in pool):
        return _diverse(view, pool) if order == "diverse" else _gain(view, pool)
    return Choice(item_id=_most_uncertain(pool).id, reason="uncertain")


def _pool(view: QueueView) -> list[Item]:
    """Control items when they are behind their share of the served items, else the others (either, when one is empty)."""
    total = len(view.free) + len(view.served)
    share = sum(i.control for i in (*view.free, *view.served)) / total if total else 0.0
    due = sum(i.control for i in view.served) < math.floor(share * (len(view.served) + 1) + 0.5)
    wanted = [i for i in view.free if i.control == due]
    return wanted or list(view.free)


def _one_space(view: QueueView) -> QueueView:
    """Only the features of the most common size: items encoded by another encoder count as featureless."""
    sizes = Counter(v.shape[0] for v in view.features.values())
    if len(sizes) < 2:
        return view
    size = sizes.most_common(1)[0][0]
    return replace(view, features={i: v for i, v in view.features.items() if v.shape[0] == size})


def _draw(seed: int, sha: str) -> str:
    return hashlib.sha256(f"{seed}:{sha}".encode()).hexdigest()


def _most_uncertain(items: Sequence[Item]) -> Item:
    return min(items, key=lambda i: (i.margin, i.id))


def _unit(vectors: Sequence[np.ndarray]) -> np.ndarray:
    stacked = np.stack([np.asarray(v, dtype=np.float64) for v in vectors])
    return stacked / np.maximum(np.linalg.norm(stacked, axis=1, keepdims=True), 1e-12)


def _with_features(items: Sequence[Item], features: Mapping[int, np.ndarray]) -> list[Item]:
    return [i for i in items if i.id in features]


def _diverse(view: QueueView, pool: Sequence[Item]) -> Choice:
    candidates = _with_features(pool, view.features)
    x = _unit([view.features[i.id] for i in candidates])
    covered = _with_features(view.served, view.features)
    if not covered:
        centre = _unit([x.mean(axis=0)])[0]
        return Choice(item_id=candidates[int(np.argmax(x @ centre))].id, reason="new region")
    c = _unit([view.features[i.id] for i in covered])
    nearest = (1.0 - x @ c.T).min(axis=1)
    return Choice(item_id=candidates[int(np.argmax(nearest))].id, reason="new region")


def k_centres(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` greedy k-center centres of unit rows ``x``: the row nearest the mean, then farthest-first."""
    mean = x.mean(axis=0)
    centres = [int(np.argmax(x @ (mean / max(float(np.linalg.norm(mean)), 1e-12))))]
    distance = 1.0 - x @ x[centres[0]]
    while len(centres) < min(k, len(x)):
        centres.append(int(np.argmax(distance)))
        distance = np.minimum(distance, 1.0 - x @ x[centres[-1]])
    return np.asarray(centres)


def _gain(view: QueueView, pool: Sequence[Item]) -> Choice:
    items = _with_features([*view.free, *view.served], view.features)
    x = _unit([view.features[i.id] for i in items])
    centres = k_centres(x, max(1, round(math.sqrt(len(items)))))
    region = dict(zip((i.id for i in items), np.argmax(x @ x[centres].T, axis=1).tolist()))
    served = {i.id for i in view.served}
    coverage = {r: sum(1 for i, rr in region.items() if rr == r and i in served) for r in set(region.values())}
    candidates = _with_features(pool, view.features)
    best = min(candidates, key=lambda i: (coverage[region[i.id]], i.margin, i.id))
    return Choice(item_id=best.id, reason="new region" if coverage[region[best.id]] == 0 else "uncertain")
