"""Trend report between two Tag2Vec versions (pure numpy).

* new tags: in the newer vocabulary only (most frequent first);
* fastest-rising tags: largest growth of frequency share (add-one smoothed), among tags of both versions;
* moved tags: common tags whose ``k`` nearest neighbours overlap least (Jaccard) between the versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reeltag.tag2vec.space import TagSpace

MAX_COMPARED = 2000  # most frequent common tags whose neighbourhoods are compared
# Similarity rows held at once, bytes: 2000 full rows (float32 + argsort's int64) were 618 MiB at 20k tags, ~30 GB at 1M.
MEMORY_BUDGET = 64 * 2**20
BYTES_PER_CELL = 12  # float32 similarity + int64 argpartition index per (compared tag, vocabulary tag)


@dataclass(frozen=True)
class TagTrend:
    tag: str
    value: float  # count (new), share ratio (rising) or neighbour overlap (moved)


@dataclass(frozen=True, kw_only=True)
class TrendReport:
    from_version: str
    to_version: str
    new_tags: tuple[TagTrend, ...]
    rising_tags: tuple[TagTrend, ...]
    moved_tags: tuple[TagTrend, ...]
    n_new: int
    n_common: int


def _counts(space: TagSpace) -> dict[str, float]:
    counts = space.counts if space.counts is not None else np.ones(len(space.tags))
    return {t: float(c) for t, c in zip(space.tags, counts, strict=True)}


def rising(old: dict[str, float], new: dict[str, float], common: list[str], top: int) -> tuple[TagTrend, ...]:
    old_total, new_total = sum(old.values()) + len(old), sum(new.values()) + len(new)
    ratio = {t: ((new[t] + 1) / new_total) / ((old[t] + 1) / old_total) for t in common}
    best = sorted(ratio, key=lambda t: (-ratio[t], t))[:top]
    return tuple(TagTrend(t, round(ratio[t], 4)) for t in best)


def _neighbour_sets(space: TagSpace, tags: list[str], k: int) -> list[set[str]]:
    """The ``k`` nearest tags of each tag, computed a memory budget's worth of rows at a time."""
    rows = np.array([space.index[t] for t in tags], dtype=np.int64)
    per_chunk = max(1, MEMORY_BUDGET // (BYTES_PER_CELL * max(len(space.tags), 1)))
    return [found for start in range(0, len(rows), per_chunk) for found in _nearest(space, rows[start : start + per_chunk], k)]


def _nearest(space: TagSpace, rows: np.ndarray, k: int) -> list[set[str]]:
    sims = space.unit_vectors[rows] @ space.unit_vectors.T
    sims[np.arange(len(rows)), rows] = -np.inf
    np.negative(sims, out=sims)
    kept = min(k, sims.shape[1])
    top = np.argpartition(sims, kept - 1, axis=1)[:, :kept]  # the k best in any order (a set is all we need): no full sort
    return [{space.tags[j] for j in line} for line in top]


def moved(old: TagSpace, new: TagSpace, common: list[str], k: int, top: int) -> tuple[TagTrend, ...]:
    compared = common[:MAX_COMPARED]
    if not compared:
        return ()
    before, after = _neighbour_sets(old, compared, k), _neighbour_sets(new, compared, k)
    overlap = {t: len(a & b) / max(len(a | b), 1) for t, a, b in zip(compared, before, after, strict=True)}
    best = sorted(overlap, key=lambda t: (overlap[t], t))[:top]
    return tuple(TagTrend(t, round(overlap[t], 4)) for t in best)


def trend_report(old: TagSpace, new: TagSpace, k: int = 10, top: int = 20) -> TrendReport:
    old_counts, new_counts = _counts(old), _counts(new)
    fresh = sorted((t for t in new_counts if t not in old_counts), key=lambda t: (-new_counts[t], t))
    common = sorted((t for t in new_counts if t in old_counts), key=lambda t: (-new_counts[t], t))
    return TrendReport(
        from_version=old.version,
        to_version=new.version,
        new_tags=tuple(TagTrend(t, new_counts[t]) for t in fresh[:top]),
        rising_tags=rising(old_counts, new_counts, common, top),
        moved_tags=moved(old, new, common, k, top),
        n_new=len(fresh),
        n_common=len(common),
    )
