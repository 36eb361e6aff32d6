"""``suggest``: a video's tags from the champion models — the one path ``reeltag suggest``, ``review add`` and
``/v1/suggest`` share. Frames are extracted (or read from the cache), the champion mapper maps them into the Tag2Vec
space, and :func:`reeltag.suggest.rank_tags.rank_videos` ranks the candidate tags (fused, or the mapper alone)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reeltag.mapper.data import (
    Champion,
    configured_model_id,
    feature_counts,
    label_normaliser,
    load_champion,
    load_champion_space,
    require_encoder,
    tag_index,
)
from reeltag.mapper.nearest import Suggestion, TagIndex
from reeltag.project import Project
from reeltag.suggest.rank_tags import VisualInputs, rank_videos

if TYPE_CHECKING:
    from reeltag.suggest.fusion_model import Fusion, NoFusion
    from reeltag.tag2vec.space import TagSpace
    from reeltag.video.encoder import ClipEncoder
    from reeltag.video.executors import Executor

Progress = Callable[[int], None] | None


@dataclass(frozen=True, kw_only=True)
class VideoSuggestions:
    video: str
    tags: tuple[Suggestion, ...]
    note: str = ""  # why the video's text was not used ("" when it was, or when it had none)


@dataclass(frozen=True, kw_only=True)
class SuggestResult:
    inputs: int
    suggested: int
    quarantined: int
    quarantine: tuple[Any, ...]
    skipped: tuple[str, ...]
    videos: tuple[VideoSuggestions, ...]
    k: int
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str
    seconds: float
    ranking: str = "mapper alone"  # or the fused branches and their weights (reeltag.suggest.rank_tags)
    fusion_version: str = ""  # the fusion that ranked; "" = the mapper alone


def suggest_tags(
    project: Project,
    inputs: Iterable[str | Path],
    *,
    k: int | None = None,
    exclude: Sequence[str] = (),
    allow: Sequence[str] | None = None,
    min_score: float | None = None,
    space: TagSpace | None = None,
    encoder: ClipEncoder | None = None,
    on_progress: Progress = None,
    champion: Champion | None = None,
    text: str | None = None,
    texts: Mapping[str, str] | None = None,
    fusion: Fusion | NoFusion | None = None,
    executor: Executor | None = None,
) -> SuggestResult:
    """Ranked tags (surface forms, cosine scores) for every readable video; unreadable ones are quarantined.

    ``space`` and ``champion`` (the champion mapper of that space) are loaded from the registry unless given
    (the API passes the ones it serves), and so is the champion fusion unless ``fusion`` is given (the API's held
    one, or a ``NoFusion`` saying why it has none). ``text`` (every video's) or ``texts`` (by video path; manifests'
    title/description/text columns too) feed the text branch when a fitted fusion is in use. ``executor`` runs the
    frame extraction (default: the project's ``video.executor``; the API passes this process's, so one request never
    goes to a Dask cluster)."""
    from reeltag.mapper.train import predict
    from reeltag.video.steps import extract_features

    started, space = time.perf_counter(), space or load_champion_space(project)
    champion = champion or load_champion(project, space, required=True)
    require_encoder(champion, encoder.model_id if encoder is not None else configured_model_id(project))
    index = _restricted(project, space, exclude, allow)
    batch = extract_features(project, list(inputs), on_progress, encoder=encoder, executor=executor)
    pooled = np.stack([f.pooled for f in batch.features]) if batch.features else np.zeros((0, champion.args.in_dim))
    names = [f.video for f in batch.features]
    ranked = rank_videos(
        project,
        VisualInputs(mapped=predict(champion.model, pooled), pooled=pooled, videos=names),
        index=index,
        space=space,
        versions=(champion.info.version, batch.model_id),
        k=k or project.settings.mapper.k,
        min_score=min_score,
        texts=_texts(project, inputs, names, text, texts),
        fusion=fusion,
    )
    videos = tuple(
        VideoSuggestions(video=f.video, tags=tuple(r), note=n) for f, r, n in zip(batch.features, ranked.tags, ranked.notes)
    )
    counts = feature_counts(batch)
    return SuggestResult(
        inputs=counts.videos + batch.quarantined,
        suggested=counts.videos,
        quarantined=batch.quarantined,
        quarantine=batch.quarantine,
        skipped=batch.skipped,
        videos=videos,
        k=k or project.settings.mapper.k,
        mapper_version=champion.info.version,
        tag2vec_version=str(space.version),
        encoder_id=batch.model_id,
        encoder_weights=batch.weights_kind,
        seconds=round(time.perf_counter() - started, 3),
        ranking=ranked.ranking,
        fusion_version=ranked.fusion_version,
    )


def _texts(
    project: Project, inputs: Iterable[str | Path], videos: Sequence[str], text: str | None, texts: Mapping[str, str] | None
) -> dict[str, str]:
    """Each video's text: ``text`` for all, else ``texts`` by path, else its manifest's text columns."""
    from reeltag.text.sources import input_texts

    if text is not None:
        return {v: text for v in videos}
    found = input_texts(inputs, project.settings.paths.allow_absolute_manifest_paths)
    given = {str(Path(k).expanduser().resolve()): v for k, v in (texts or {}).items()}
    return {**found, **given}


def _restricted(project: Project, space: TagSpace, exclude: Sequence[str], allow: Sequence[str] | None) -> TagIndex:
    normalise = label_normaliser(project, space)

    def keys(raw: Sequence[str]) -> list[str]:
        return [t for t in (normalise(r) for r in raw) if t]

    return tag_index(space).restrict(keys(allow) if allow is not None else None, keys(exclude))
