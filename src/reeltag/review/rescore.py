"""Step ``rescore_queue``: the queued, undecided items get fresh suggestions from the champions, so the order
follows the model.

Items scored by another mapper, Tag2Vec or fusion version than the ones the champions rank with now (the fusion
champion when it fits the mapper, Tag2Vec and encoder in use, else none: the mapper alone) are re-suggested (their videos' CLIP
features come from the feature cache) and their suggestions, scores and top-score margin replaced in one
transaction; each scoring is appended to the item's history (``scorings``: version, suggestions, time), so the
history names the model version every suggestion came from. An item a reviewer holds (an unexpired lease) keeps
the suggestions they were shown, whose version their pick records; it is re-scored on a later run once free.
Idempotent: items already scored by the champions are left alone, and with none stale nothing is computed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reeltag.review.store import Item, ReviewStore, Scores

if TYPE_CHECKING:
    from reeltag.project import Project

Scorer = Callable[[Sequence[Item]], Mapping[int, Scores]]  # items → their new scores, by item id
Versions = tuple[str, str, str]  # mapper, Tag2Vec, fusion ("" = the mapper alone)


@dataclass(frozen=True, kw_only=True)
class QueueRescored:
    db: str
    queue: str
    mapper_version: str | None  # the champion's (None: no review store, nothing done)
    tag2vec_version: str | None
    fusion_version: str | None  # "" = the mapper alone ranks
    rescored: int  # items given the champion's suggestions
    kept_leased: int  # held by a reviewer: they keep the version they were shown (recorded in their pick)
    current: int  # already scored by the champions
    unscored: int  # videos the champion could not suggest for (unreadable now): they keep their suggestions
    note: str


def rescore_queue(project: Project, *, space: Any = None, encoder: Any = None, now: float | None = None) -> QueueRescored:
    """Re-suggest the undecided items of ``review.queue`` not yet scored by the mapper, Tag2Vec and fusion champions."""
    from reeltag.mapper.data import configured_model_id, load_champion, load_champion_space
    from reeltag.suggest.fusion_model import load_fusion
    from reeltag.suggest.rank_tags import fusion_in_use

    queue, path = project.settings.review.queue, project.paths.review_db
    if not path.is_file():
        return _nothing(str(path), queue, "no review store: nothing to re-score")
    space = space or load_champion_space(project)
    champion, fusion = load_champion(project, space, required=True), load_fusion(project)
    model_id = encoder.model_id if encoder is not None else configured_model_id(project)
    fused = fusion_in_use(fusion, (champion.info.version, model_id), str(space.version))
    versions = (str(champion.info.version), str(space.version), fused)
    scorer = _champion_scorer(project, space=space, champion=champion, encoder=encoder, fusion=fusion)
    return rescore_items(ReviewStore(path).require(), queue, scorer, versions=versions, now=now)


def rescore_items(
    store: ReviewStore, queue: str, scorer: Scorer, *, versions: Versions, now: float | None = None
) -> QueueRescored:
    """Give the stale undecided items of ``queue`` the scores ``scorer`` computes for ``versions`` (mapper, Tag2Vec,
    fusion)."""
    pending = [i for i in store.items(queue) if i.status == "pending"]
    stale = [i for i in pending if i.versions != versions]
    now = time.time() if now is None else now
    free = [i for i in stale if i.leased_by is None or (i.lease_until or 0.0) < now]
    scores = scorer(free) if free else {}
    done, kept = store.rescore(scores, now)
    return QueueRescored(
        db=str(store.path),
        queue=queue,
        mapper_version=versions[0],
        tag2vec_version=versions[1],
        fusion_version=versions[2],
        rescored=len(done),
        kept_leased=len(stale) - len(free) + len(kept),
        current=len(pending) - len(stale),
        unscored=len(free) - len(scores),
        note=f"{len(done)} undecided item(s) re-scored by mapper v{versions[0]} (Tag2Vec v{versions[1]}, "
        + (f"fusion v{versions[2]})" if versions[2] else "no fusion)"),
    )


def _champion_scorer(project: Project, *, space: Any, champion: Any, encoder: Any, fusion: Any) -> Scorer:
    from reeltag.suggest.steps import suggest_tags

    def score(items: Sequence[Item]) -> dict[int, Scores]:
        result = suggest_tags(
            project,
            [i.video for i in items],
            k=project.settings.review.k,
            space=space,
            champion=champion,
            encoder=encoder,
            fusion=fusion,
        )
        by_video = {str(Path(v.video).resolve()): v for v in result.videos}
        return {
            i.id: Scores(
                suggestions=tuple((s.tag.lstrip("#"), float(s.score)) for s in by_video[i.video].tags),
                mapper_version=result.mapper_version,
                tag2vec_version=result.tag2vec_version,
                fusion_version=result.fusion_version,
            )
            for i in items
            if i.video in by_video
        }

    return score


def _nothing(db: str, queue: str, note: str) -> QueueRescored:
    return QueueRescored(
        db=db,
        queue=queue,
        mapper_version=None,
        tag2vec_version=None,
        fusion_version=None,
        rescored=0,
        kept_leased=0,
        current=0,
        unscored=0,
        note=note,
    )
