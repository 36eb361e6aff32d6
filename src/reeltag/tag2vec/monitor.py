"""Step ``check_tag2vec_drift``: the validated posts the Tag2Vec champion has not seen (``seq`` after its
``max_seq``) against the posts it was trained on, measured by :mod:`reeltag.tag2vec.drift`; logged to
``reeltag/drift`` (metrics ``drift/…``, ``drift_baseline/…``, tag ``reeltag.alarm``, ``result.json``).

``ingest-corpus`` calls it after every ingest and runs ``retrain-tag2vec`` when it alarms (``[drift] trigger``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reeltag.corpus.sentences import tag_lists
from reeltag.corpus.steps import read_sentences
from reeltag.project import Project
from reeltag.tag2vec.drift import DriftCheck, Posts, check_drift
from reeltag.tag2vec.space import TagSpace
from reeltag.tracking.results import log_result

COMPONENT = "drift"


@dataclass(frozen=True, kw_only=True)
class DriftResult:
    champion_version: str | None  # None: no champion yet, nothing to drift from
    check: DriftCheck | None
    alarm: bool
    reasons: tuple[str, ...]
    run_id: str | None  # None when tracking is off


def check_tag2vec_drift(project: Project) -> DriftResult:
    """Drift of the posts newer than the champion's training window; no champion: no alarm, and it says so."""
    from reeltag.tag2vec.steps import MODEL, fetch_space

    if project.tracker.by_alias(MODEL, "champion") is None:
        return _logged(
            project, DriftResult(champion_version=None, check=None, alarm=False, reasons=("no champion yet",), run_id=None)
        )
    space = fetch_space(project)
    reference, batch, calm = window_and_batch(project, space)
    cfg = project.settings
    vocabulary = frozenset(space.tags)
    check = check_drift(reference, batch, vocabulary=vocabulary, min_count=cfg.tag2vec.min_count, cfg=cfg.drift, calm=calm)
    result = DriftResult(champion_version=space.version, check=check, alarm=check.alarm, reasons=check.reasons, run_id=None)
    return _logged(project, result)


def window_and_batch(project: Project, space: TagSpace) -> tuple[Posts, Posts, Posts]:
    """The champion's posts (``seq`` up to its ``max_seq``, oldest first; a recent-mode champion: those of its
    ``recent_months``), the newer ones, and the calm posts (those up to ``max_seq`` outside the ``alarmed_seq``
    ranges, the posts drift alarms brought in; a recent window's older months included), in its surface forms."""
    frame = read_sentences(project).sort_values("seq", kind="stable")
    seq = frame["seq"].to_numpy()
    seen = seq <= int(space.meta.get("max_seq", -1))
    first = (space.meta.get("recent_months") or [""])[0]
    window = seen & (frame["created_at"].fillna("").str.slice(0, 7).to_numpy() >= first)
    alarmed = np.zeros(len(seq), dtype=bool)
    for lo, hi in space.meta.get("alarmed_seq", []):
        alarmed |= (seq >= lo) & (seq <= hi)
    posts = [space.surface.sentence(tags) for tags in tag_lists(frame["tags"])]
    return _kept(posts, window), _kept(posts, ~seen), _kept(posts, seen & ~alarmed)


def _kept(posts: Posts, mask: np.ndarray) -> Posts:
    return [p for p, keep in zip(posts, mask, strict=True) if keep]


def _logged(project: Project, result: DriftResult) -> DriftResult:
    tags = {"alarm": result.alarm, "champion_version": result.champion_version or "", "reasons": " | ".join(result.reasons)}
    with project.tracker.run(COMPONENT, project.settings, tags=tags) as run:
        if result.check is not None:
            project.tracker.log_metrics(run.run_id, result.check.metrics())
        logged = DriftResult(
            champion_version=result.champion_version,
            check=result.check,
            alarm=result.alarm,
            reasons=result.reasons,
            run_id=run.run_id,
        )
        log_result(project.tracker, run.run_id, logged)
    return logged
