"""Who runs the extraction engine (:mod:`reeltag.video.extraction`) for a step: this process, or Dask workers
(:mod:`reeltag.video.dask_chunks`). An executor takes the project, the resolved videos, the encoder's model id and a
progress callback, and returns the engine's :class:`~reeltag.video.extraction.ExtractedVideos`; the step is given
one (:func:`reeltag.video.steps.executor_for` picks it from ``video.executor``) instead of choosing deep inside."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reeltag.project import Project
from reeltag.video.cache import FeatureCache
from reeltag.video.extraction import ExtractedVideos, LazyEncoder, extract_videos
from reeltag.video.inputs import VideoInput
from reeltag.video.sampling import DecodeBudget

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder

Progress = Callable[[int], None] | None
Executor = Callable[[Project, Sequence[VideoInput], str, Progress], ExtractedVideos]


def engine_inputs(project: Project, encoder: ClipEncoder | LazyEncoder | None = None, writable: bool = True) -> dict[str, Any]:
    """The project's encoder (built on first use), video settings and feature cache (read-only unless
    ``writable``), as the engine takes them."""
    lazy = encoder if isinstance(encoder, LazyEncoder) else LazyEncoder(project.settings.clip, project.paths, encoder)
    return {"lazy": lazy, "video": project.settings.video, "cache": FeatureCache(project.paths.features, writable)}


def extract_locally(
    project: Project,
    videos: Sequence[VideoInput],
    model_id: str,
    on_progress: Progress = None,
    *,
    encoder: ClipEncoder | None = None,
    budget: DecodeBudget | None = None,
    keep_features: bool = True,
) -> ExtractedVideos:
    """The engine in this process, with ``encoder`` (or the project's, built on the first cache miss); the API
    passes its decode ``budget``, and ``keep_features=False`` for uploads (the cache is read, never written)."""
    inputs = engine_inputs(project, encoder, writable=keep_features)
    return extract_videos(videos, model_id, on_progress=on_progress, budget=budget, **inputs)
