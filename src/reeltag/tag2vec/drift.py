"""Drift of newly ingested posts against a Tag2Vec model's training window (pure Python + numpy, no model needed).

Four measures, each of the new posts against the reference window (the posts the champion was trained on):

* ``js``: Jensen–Shannon divergence (base 2, 0 … 1) of the tag occurrence distributions;
* ``new_tag_share``: share of the new posts' tag occurrences whose tag is not in the vocabulary;
* ``learnable_new_share``: the same share counting only the new tags used at least ``min_count`` times in the new
  posts (the Tag2Vec vocabulary's rule): the new tags a retrain on them would learn. Tags used once (most new tags of
  tweets) can neither be learnt nor predicted, and their share is high and noisy in every batch;
* ``neighbour_movement``: for tags of both with at least ``min_tag_count`` occurrences in the new posts, 1 − Jaccard
  overlap of their ``neighbours_k`` most co-occurring tags (reference vs new), averaged weighted by new count.

All grow when the batch is small (a small sample of an unchanged distribution still diverges from it), so
the alarm compares each against a **baseline**: the same measures of the latest **calm** posts (as many as the
batch has, at most half of them) against the older calm ones. The calm posts are those up to the model's training
that did not come in a batch that alarmed (those a drift-triggered retrain added; a recency window's older posts
count): as a control chart sets its limits on in-control data and does not let out-of-control points widen them, a
burst the model was retrained on is not the posts' natural churn, and letting it raise the baseline would hide the
next burst. Fewer than ``2 · min_posts`` calm posts, or ``[drift] baseline = "window"``, measure the reference
window's own churn instead (``baseline_from`` says which). A measure alarms when it exceeds its baseline by more
than its margin (``[drift]`` settings); a batch under ``min_posts`` never alarms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import jensenshannon

from reeltag.config import DriftSection

Posts = Sequence[Sequence[str]]
MEASURES = ("js", "new_tag_share", "learnable_new_share", "neighbour_movement")  # those with a margin (``[drift]``)


@dataclass(frozen=True, kw_only=True)
class DriftMeasures:
    js: float  # bits, 0 … 1
    new_tag_share: float  # of the batch's tag occurrences
    learnable_new_share: float  # of the batch's tag occurrences, new tags used at least min_count times in the batch
    neighbour_movement: float  # mean 1 − Jaccard of co-occurrence neighbours; 0 when no tag was compared
    compared_tags: int
    top_new: tuple[str, ...]  # most frequent new tags of the batch


@dataclass(frozen=True, kw_only=True)
class DriftCheck:
    posts: int
    reference_posts: int
    measures: DriftMeasures
    baseline: DriftMeasures
    baseline_from: str  # "calm posts" (none from an alarmed batch) or "whole window" (the reference's own churn)
    baseline_posts: int  # posts the baseline was measured on
    alarm: bool
    reasons: tuple[str, ...]  # which measures crossed (or why no alarm was possible)

    def metrics(self) -> dict[str, float]:
        """MLflow metric names (``drift/…`` the batch, ``drift_baseline/…`` the reference's own churn)."""
        return {
            **{f"drift/{n}": float(getattr(self.measures, n)) for n in MEASURES},
            **{f"drift_baseline/{n}": float(getattr(self.baseline, n)) for n in MEASURES},
            "drift/posts": float(self.posts),
            "drift/alarm": float(self.alarm),
        }


def counts_of(posts: Posts) -> Counter[str]:
    return Counter(t for post in posts for t in dict.fromkeys(post))


def js_divergence(p: Counter[str], q: Counter[str]) -> float:
    """Jensen–Shannon divergence (bits) of two count tables; 0 when either is empty (SciPy's Jensen–Shannon
    distance, squared)."""
    tags = sorted(set(p) | set(q))
    a = np.array([p.get(t, 0) for t in tags], dtype=np.float64)
    b = np.array([q.get(t, 0) for t in tags], dtype=np.float64)
    if not a.sum() or not b.sum():
        return 0.0
    with np.errstate(invalid="ignore"):  # NaN when rounding takes a nearly nil divergence below 0
        distance = jensenshannon(a, b, base=2)
    return float(np.nan_to_num(distance) ** 2)


def new_tag_share(batch: Counter[str], vocabulary: Collection[str]) -> float:
    return learnable_new_share(batch, vocabulary, min_count=1)  # every tag of the batch is used at least once


def learnable_new_share(batch: Counter[str], vocabulary: Collection[str], min_count: int) -> float:
    """Share of the batch's tag occurrences whose tag is new and used at least ``min_count`` times in the batch."""
    total = sum(batch.values())
    return sum(n for t, n in batch.items() if t not in vocabulary and n >= min_count) / total if total else 0.0


def cooccurring(posts: Posts, tags: Collection[str], k: int) -> dict[str, set[str]]:
    """The ``k`` tags most often in the same post as each of ``tags`` (ties broken by name)."""
    pairs: dict[str, Counter[str]] = {t: Counter() for t in tags}
    for post in posts:
        distinct = list(dict.fromkeys(post))
        for t in (t for t in distinct if t in pairs):
            pairs[t].update(o for o in distinct if o != t)
    return {t: {o for o, _ in sorted(c.items(), key=lambda x: (-x[1], x[0]))[:k]} for t, c in pairs.items()}


def neighbour_movement(reference: Posts, batch: Posts, compared: Counter[str], k: int) -> float:
    """Mean (weighted by count in the batch) 1 − Jaccard of the compared tags' co-occurrence neighbours."""
    if not compared:
        return 0.0
    before, after = cooccurring(reference, compared, k), cooccurring(batch, compared, k)
    moved = {t: 1 - len(before[t] & after[t]) / max(len(before[t] | after[t]), 1) for t in compared}
    return sum(moved[t] * n for t, n in compared.items()) / sum(compared.values())


def measure(reference: Posts, batch: Posts, vocabulary: Collection[str], min_count: int, cfg: DriftSection) -> DriftMeasures:
    ref_counts, new_counts = counts_of(reference), counts_of(batch)
    compared = Counter({t: n for t, n in new_counts.items() if n >= cfg.min_tag_count and t in ref_counts})
    fresh = sorted((t for t in new_counts if t not in vocabulary), key=lambda t: (-new_counts[t], t))
    return DriftMeasures(
        js=round(js_divergence(new_counts, ref_counts), 6),
        new_tag_share=round(new_tag_share(new_counts, vocabulary), 6),
        learnable_new_share=round(learnable_new_share(new_counts, vocabulary, min_count), 6),
        neighbour_movement=round(neighbour_movement(reference, batch, compared, cfg.neighbours_k), 6),
        compared_tags=len(compared),
        top_new=tuple(fresh[:10]),
    )


def baseline(reference: Posts, size: int, min_count: int, cfg: DriftSection) -> DriftMeasures:
    """The reference window's own churn at this batch size: its latest ``size`` posts against the older ones."""
    size = max(1, min(size, len(reference) // 2))
    older, latest = reference[: len(reference) - size], reference[len(reference) - size :]
    vocabulary = {t for t, n in counts_of(older).items() if n >= min_count}
    return measure(older, latest, vocabulary, min_count, cfg)


def margins_of(cfg: DriftSection) -> dict[str, float]:
    """Each measure's margin over its baseline (1.0: logged only, no share or divergence exceeds its baseline by more)."""
    return {
        "js": cfg.js_margin,
        "new_tag_share": cfg.new_tag_share_margin,
        "learnable_new_share": cfg.learnable_new_share_margin,
        "neighbour_movement": cfg.movement_margin,
    }


def check_drift(
    reference: Posts,
    batch: Posts,
    *,
    vocabulary: Collection[str],
    min_count: int,
    cfg: DriftSection,
    calm: Posts | None = None,
) -> DriftCheck:
    """Measures of ``batch`` against ``reference`` (in time order, oldest first), its baseline (on ``calm``, the
    reference's posts outside alarmed batches; None, or ``cfg.baseline = "window"``: all of them) and the alarm."""
    use_calm = cfg.baseline == "calm" and calm is not None and len(calm) >= 2 * cfg.min_posts
    own = calm if calm is not None and use_calm else reference
    measures, base = measure(reference, batch, vocabulary, min_count, cfg), baseline(own, len(batch), min_count, cfg)
    margins = margins_of(cfg)
    crossed = tuple(
        f"{name} {getattr(measures, name):.3f} > baseline {getattr(base, name):.3f} + {margin}"
        for name, margin in margins.items()
        if getattr(measures, name) > getattr(base, name) + margin
    )
    too_few = len(batch) < cfg.min_posts or len(reference) < 2 * cfg.min_posts
    reasons = (f"too few posts ({len(batch)} new, {len(reference)} reference; min {cfg.min_posts})",) if too_few else crossed
    return DriftCheck(
        posts=len(batch),
        reference_posts=len(reference),
        measures=measures,
        baseline=base,
        baseline_from="calm posts" if use_calm else "whole window",
        baseline_posts=len(own),
        alarm=bool(crossed) and not too_few,
        reasons=reasons,
    )
