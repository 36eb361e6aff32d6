"""The demo's simulated reviewer: accepts the suggestions that are true demo tags, rejects the others, types the
true tags the model missed, and takes seeded times (faster with suggestions than typing every tag).

Its events carry ``simulated = 1`` and reviewer ``simulated``, so the report labels the section as simulated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reeltag.review import queue as q
from reeltag.review.store import Item, NewEvent, ReviewStore

if TYPE_CHECKING:
    from reeltag.project import Project
    from reeltag.tag2vec.space import TagSpace

REVIEWER = "simulated"
# Seconds: looking at the video, judging one chip, typing one tag (a person types a tag in ~8 s).
LOOK_S, JUDGE_S, TYPE_S = 6.0, 1.5, 8.0


@dataclass(frozen=True, kw_only=True)
class SimulatedReview:
    decided: int
    control: int
    accepted: int
    rejected: int
    added: int


def simulate_reviewer(
    store: ReviewStore,
    queue: str,
    truth: Mapping[str, tuple[str, ...]],
    seed: int,
    canonical: Callable[[str], str] = lambda tag: tag,
    *,
    limit: int | None = None,
    order: str = "uncertain",
) -> SimulatedReview:
    """Decide the pending items of ``queue`` (at most ``limit``; all by default) in ``order`` (``review.order``);
    ``truth`` maps a video path to its true (normalised) tags."""
    lease = q.Lease(queue=queue, reviewer=REVIEWER, lease_s=3600.0, order=order, seed=seed)
    rng, counts = np.random.default_rng(seed), {"decided": 0, "control": 0, "accepted": 0, "rejected": 0, "added": 0}
    while (limit is None or counts["decided"] < limit) and (item := q.lease_next(store, lease)) is not None:
        wanted = tuple(dict.fromkeys(canonical(t) for t in truth.get(item.video, ())))
        judged, typed = _decide(store, lease, item, wanted, counts)
        seconds = LOOK_S + JUDGE_S * judged + TYPE_S * typed
        q.submit(store, lease, item.id, float(seconds * rng.lognormal(0.0, 0.25)), simulated=True)
        counts["decided"] += 1
        counts["control"] += int(item.control)
    return SimulatedReview(**counts)


def _decide(store: ReviewStore, lease: q.Lease, item: Item, wanted: tuple[str, ...], counts: dict[str, int]) -> tuple[int, int]:
    """Judge every chip and type the missing tags → (chips judged, tags typed)."""
    suggested = () if item.control else store.suggestions(item.id)
    for rank, tag, _ in suggested:
        kind = "accept" if tag in wanted else "reject"
        q.act(store, lease, item.id, NewEvent(kind=kind, rank=rank, simulated=True))
        counts["accepted" if kind == "accept" else "rejected"] += 1
    missing = [t for t in wanted if t not in {tag for _, tag, _ in suggested}]
    for tag in missing:
        q.act(store, lease, item.id, NewEvent(kind="add", tag=tag, simulated=True))
    counts["added"] += len(missing)
    return len(suggested), len(missing)


def simulate_demo_review(project: Project, labels: str | Path, space: TagSpace | None = None) -> SimulatedReview:
    """``reeltag demo``: enqueue the demo's labelled videos and let the simulated reviewer decide them all."""
    from reeltag.corpus.steps import tag_rules
    from reeltag.corpus.tags import normalise_tag
    from reeltag.mapper.labels import read_labels
    from reeltag.review.steps import add_to_review

    add_to_review(project, [labels], space=space)
    rules = tag_rules(project.settings.corpus)
    rows = read_labels(labels, lambda raw: normalise_tag(raw, rules)[0]).rows
    store = ReviewStore(project.paths.review_db)
    truth = {str(r.video.resolve()): r.tags for r in rows}
    review = project.settings.review
    return simulate_reviewer(store, review.queue, truth, review.seed, store.canonical, order=review.order)
