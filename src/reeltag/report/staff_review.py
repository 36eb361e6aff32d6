"""The report's "Staff review" evidence (pure numpy over the review store): measured, not a proxy.

Items reviewed, acceptance rate per suggestion rank (staff-judged precision), tags staff added that the model did
not suggest, median seconds per video with vs without suggestions (control items) with a bootstrap CI of the
difference, and the minutes that saves per 1,000 videos.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from reeltag.review.state import ItemState, states_by_item
from reeltag.review.store import Item, ReviewStore

PRECISION_KS = (1, 3, 5)
BOOTSTRAP = 2000


@dataclass(frozen=True, kw_only=True)
class RankAcceptance:
    rank: int
    shown: int
    accepted: int

    @property
    def rate(self) -> float:
        return self.accepted / self.shown if self.shown else 0.0


@dataclass(frozen=True, kw_only=True)
class StaffReview:
    items_reviewed: int
    with_suggestions: int
    control: int
    reviewers: tuple[str, ...]
    simulated: bool  # decisions from the demo's simulated reviewer
    suggested_by: tuple[str, ...]  # the mapper versions and encoder weights kinds behind the suggestions judged
    by_rank: tuple[RankAcceptance, ...]
    precision_at: dict[str, float]  # "p_at_5" → mean share of the top 5 staff accepted
    missed_tags: tuple[tuple[str, int], ...]  # tags staff added on suggested items that were not suggested
    median_seconds_with: float | None
    median_seconds_without: float | None
    saved_seconds: float | None  # median without − median with
    saved_seconds_ci: tuple[float, float] | None  # 95% bootstrap CI of that difference
    minutes_saved_per_1000: float | None
    minutes_saved_ci: tuple[float, float] | None
    min_items: int

    @property
    def enough(self) -> bool:
        """Enough reviewed videos for the measured time saved to replace the P@5 proxy."""
        return self.items_reviewed >= self.min_items and self.minutes_saved_per_1000 is not None


def staff_review(store: ReviewStore, min_items: int, seed: int = 0) -> StaffReview | None:
    """The evidence from every decided item of the store; None when there is no store or no decision."""
    if not store.path.is_file():
        return None
    store.require()  # brings an older store's schema up to date
    states = states_by_item(store.events())
    decided = [(i, states[i.id]) for i in store.items() if i.status == "decided" and i.id in states]
    if not decided:
        return None
    suggested = [(i, s, store.suggestions(i.id)) for i, s in decided if not i.control]
    with_s = [s.seconds or 0.0 for i, s in decided if not i.control]
    without = [s.seconds or 0.0 for i, s in decided if i.control]
    saved, ci = _median_gap(np.asarray(without), np.asarray(with_s), seed)
    return StaffReview(
        items_reviewed=len(decided),
        with_suggestions=len(with_s),
        control=len(without),
        reviewers=tuple(sorted({s.reviewer or "" for _, s in decided})),
        simulated=any(s.simulated for _, s in decided),
        suggested_by=tuple(
            sorted({f"mapper v{i.mapper_version} ({i.encoder_weights} encoder weights)" for i, _, _ in suggested})
        ),
        by_rank=_by_rank(suggested),
        precision_at=_precision(suggested),
        missed_tags=_missed(suggested),
        median_seconds_with=_median(with_s),
        median_seconds_without=_median(without),
        saved_seconds=saved,
        saved_seconds_ci=ci,
        minutes_saved_per_1000=None if saved is None else saved * 1000.0 / 60.0,
        minutes_saved_ci=None if ci is None else (ci[0] * 1000.0 / 60.0, ci[1] * 1000.0 / 60.0),
        min_items=min_items,
    )


Suggested = list[tuple[Item, ItemState, tuple[tuple[int, str, float], ...]]]


def _by_rank(suggested: Suggested) -> tuple[RankAcceptance, ...]:
    shown: Counter[int] = Counter(rank for _, _, sugg in suggested for rank, _, _ in sugg)
    accepted: Counter[int] = Counter(rank for _, state, _ in suggested for rank in state.accepted_ranks())
    return tuple(RankAcceptance(rank=r, shown=shown[r], accepted=accepted[r]) for r in sorted(shown))


def _precision(suggested: Suggested) -> dict[str, float]:
    out = {}
    for k in PRECISION_KS:
        values = [sum(r <= k for r in state.accepted_ranks()) / k for _, state, sugg in suggested if len(sugg) >= k]
        if values:
            out[f"p_at_{k}"] = float(np.mean(values))
    return out


def _missed(suggested: Suggested, top: int = 10) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for _, state, sugg in suggested:
        shown = {tag for _, tag, _ in sugg}
        counts.update(t for t in state.added if t not in shown)
    return tuple(counts.most_common(top))


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def _median_gap(without: np.ndarray, with_: np.ndarray, seed: int) -> tuple[float | None, tuple[float, float] | None]:
    """median(without) − median(with) and its 95% two-sample bootstrap CI (None without both groups)."""
    if not len(without) or not len(with_):
        return None, None
    rng = np.random.default_rng(seed)
    a = np.median(rng.choice(without, size=(BOOTSTRAP, len(without))), axis=1)
    b = np.median(rng.choice(with_, size=(BOOTSTRAP, len(with_))), axis=1)
    low, high = np.percentile(a - b, [2.5, 97.5])
    return float(np.median(without) - np.median(with_)), (float(low), float(high))
