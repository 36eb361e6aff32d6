"""Step ``add_to_review``: enqueue videos with the champion mapper's suggestions for staff review.

Only videos the page can serve are added: an allowed suffix whose first bytes are that container (others are
listed in ``skipped`` with the reason). Each item records the suggestions (tag, score, rank), the mapper, Tag2Vec and encoder versions and the kind of
encoder weights and the video's pooled CLIP feature (the space of the ``diverse`` and ``gain`` orders); a seeded share ``review.control_share`` of items are control items (shown without suggestions).
The Tag2Vec vocabulary goes into the store for the page's autocomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reeltag.errors import BadInput
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.review.media import browser_plays, probe_codec, video_media_type, write_strip
from reeltag.review.store import NewItem, ReviewStore
from reeltag.video.inputs import (
    MANIFEST_SUFFIXES,
    PATH_KEYS,
    manifest_path,
    manifest_rows,
)

INBOX = ("inbox", "videos")


@dataclass(frozen=True, kw_only=True)
class ReviewAdded:
    db: str
    queue: str
    inputs: int
    added: int
    already_queued: int
    control: int
    quarantined: int
    quarantine: tuple[Any, ...]
    skipped: tuple[str, ...]
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str
    ranking: str  # which suggester ranked: "fused vN (…)" or "mapper alone: <why>"


def inbox_videos(project: Project) -> Path:
    """``data/inbox/videos/``: what ``reeltag review add`` enqueues when given nothing."""
    return project.paths.data.joinpath(*INBOX)


def add_to_review(project: Project, inputs: Sequence[str | Path] = (), space: Any = None, encoder: Any = None) -> ReviewAdded:
    """Suggest tags for ``inputs`` (files, folders, manifests; default the inbox) and enqueue them."""
    from reeltag.mapper.data import load_champion_space
    from reeltag.suggest.steps import suggest_tags

    inputs = list(inputs) or _inbox(project)
    space = space or load_champion_space(project)
    settings = project.settings.review
    result = suggest_tags(project, inputs, k=settings.k, space=space, encoder=encoder)
    splits = manifest_splits(inputs)
    served, refused = _servable(result.videos)
    pooled = pooled_features(project, [v.video for v in served], encoder)
    items = [_new_item(project, video, result, splits, pooled.get(video.video, ())) for video in served]
    store = ReviewStore(project.paths.review_db).create()
    store.set_vocabulary(_vocabulary(space))
    added, known = store.add_items(settings.queue, items)
    return ReviewAdded(
        db=str(store.path),
        queue=settings.queue,
        inputs=result.inputs,
        added=added,
        already_queued=known,
        control=sum(i.control for i in items),
        quarantined=result.quarantined,
        quarantine=result.quarantine,
        skipped=(*result.skipped, *refused),
        mapper_version=result.mapper_version,
        tag2vec_version=result.tag2vec_version,
        encoder_id=result.encoder_id,
        encoder_weights=result.encoder_weights,
        ranking=result.ranking,
    )


def is_control(video_sha256: str, share: float, seed: int) -> bool:
    """Seeded draw per video content: the same video is always (or never) a control item."""
    draw = int(hashlib.sha256(f"{seed}:{video_sha256}".encode()).hexdigest()[:15], 16) / 16**15
    return draw < share


def manifest_splits(inputs: Sequence[str | Path]) -> dict[Path, str]:
    """``split`` of each video a manifest (e.g. a labels file) names, by resolved path."""
    splits: dict[Path, str] = {}
    for raw in inputs:
        path = Path(raw)
        if path.suffix.lower() not in MANIFEST_SUFFIXES or not path.is_file():
            continue
        for _, row in manifest_rows(path):
            value = next((str(row[k]).strip() for k in PATH_KEYS if row.get(k)), "")
            split = str(row.get("split") or "").strip().lower()
            if value and split:
                splits[manifest_path(path.parent, value, True)[0]] = split
    return splits


def _inbox(project: Project) -> list[str | Path]:
    folder = inbox_videos(project)
    if not folder.is_dir():
        raise BadInput(f"nothing to add: give videos, folders or manifests, or put videos in {folder}")
    return [folder]


def _servable(videos: Sequence[Any]) -> tuple[list[Any], tuple[str, ...]]:
    """The videos the page may serve (an allowed suffix whose bytes are that container), and why the others not."""
    served, refused = [], []
    for video in videos:
        try:
            video_media_type(video.video)
            served.append(video)
        except BadInput as exc:
            refused.append(f"{video.video}: not added ({exc})")
    return served, tuple(refused)


def pooled_features(project: Project, videos: Sequence[str], encoder: Any = None) -> dict[str, tuple[float, ...]]:
    """Each video's pooled CLIP feature, from the feature cache the suggestions just filled (no second encode)."""
    from reeltag.video.steps import extract_features

    if not videos:
        return {}
    batch = extract_features(project, list(videos), encoder=encoder)
    return {f.video: tuple(float(x) for x in f.pooled) for f in batch.features}


def _new_item(project: Project, video: Any, result: Any, splits: dict[Path, str], feature: tuple[float, ...]) -> NewItem:
    path = Path(video.video).resolve()
    sha, codec, review = sha256_file(path), probe_codec(path), project.settings.review
    strip = (
        None if browser_plays(codec) else str(write_strip(path, project.paths.review_db.parent / "strips" / f"{sha[:16]}.png"))
    )
    return NewItem(
        video=str(path),
        video_sha256=sha,
        split=splits.get(path, ""),
        control=is_control(sha, review.control_share, review.seed),
        suggestions=tuple((s.tag.lstrip("#"), float(s.score)) for s in video.tags),
        codec=codec,
        playable=browser_plays(codec),
        strip=strip,
        mapper_version=result.mapper_version,
        tag2vec_version=result.tag2vec_version,
        encoder_id=result.encoder_id,
        encoder_weights=result.encoder_weights,
        feature=feature,
        fusion_version=result.fusion_version,
    )


def _vocabulary(space: Any) -> list[tuple[str, int]]:
    counts = getattr(space, "counts", None)
    return [(tag, int(counts[i]) if counts is not None else 0) for i, tag in enumerate(space.tags)]
