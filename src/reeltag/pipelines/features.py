"""Step: videos → CLIP frame features, through the content-addressed cache.

``extract_features(project, inputs)`` takes video files, folders or manifests. Cached videos are read back
without decoding or loading the model; the encoder is built only on the first cache miss. Unreadable videos
go to ``data/quarantine/videos.jsonl`` with the reason and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reeltag import quarantine
from reeltag.errors import UnreadableVideo
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.video.cache import CachedFeatures, FeatureCache, feature_key, pool
from reeltag.video.inputs import VideoInput, resolve_inputs
from reeltag.video.sampling import Sampling

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder, ResolvedWeights

SOURCE = "features extract"


@dataclass(frozen=True)
class VideoFeatures:
    """Features of one input video (frame vectors float32 [N, D], pooled [D])."""

    video: str
    docid: str | None
    key: str
    frames: np.ndarray
    pooled: np.ndarray
    timestamps_s: tuple[float, ...]
    cached: bool


@dataclass(frozen=True)
class Quarantined:
    item: str
    reason: str


@dataclass(frozen=True)
class ExtractSummary:
    videos: int
    encoded: int
    cached: int
    quarantined: int
    quarantine: tuple[Quarantined, ...]
    skipped: tuple[str, ...]
    repaired: tuple[str, ...]
    model_id: str
    weights_kind: str
    sampling: str


@dataclass(frozen=True)
class FeatureBatch:
    """What :func:`extract_features` did: features, and how many were encoded, cached or quarantined."""

    features: tuple[VideoFeatures, ...]
    encoded: int
    cached: int
    quarantined: int
    quarantine: tuple[Quarantined, ...]
    skipped: tuple[str, ...]
    repaired: tuple[str, ...]  # cache entries that could not be read back and were re-encoded
    model_id: str
    weights_kind: str
    sampling: str

    def summary(self) -> "ExtractSummary":
        """Counts and reasons without the arrays (what the CLI prints)."""
        return ExtractSummary(len(self.features), self.encoded, self.cached, self.quarantined, self.quarantine,
                              self.skipped, self.repaired, self.model_id, self.weights_kind, self.sampling)

    def by_video(self) -> dict[str, VideoFeatures]:
        return {f.video: f for f in self.features}

    def by_docid(self) -> dict[str, VideoFeatures]:
        return {f.docid: f for f in self.features if f.docid is not None}


class _LazyEncoder:
    """Builds the encoder on first use, so a fully cached batch never loads the model."""

    def __init__(self, project: Project, encoder: "ClipEncoder | None"):
        self.project, self._encoder = project, encoder

    def get(self) -> "ClipEncoder":
        if self._encoder is None:
            from reeltag.video.encoder import load_encoder

            self._encoder = load_encoder(self.project.settings.clip, self.project.paths)
        return self._encoder


def extract_features(
    project: Project,
    inputs: Iterable[str | Path],
    on_progress: Callable[[int], None] | None = None,
    encoder: "ClipEncoder | None" = None,
) -> FeatureBatch:
    """Frame and pooled features of every video ``inputs`` name (files, folders, manifests)."""
    resolved = resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths)
    weights = encoder.weights if encoder is not None else _resolve_weights(project)
    sampling = Sampling.from_settings(project.settings.video)
    cache, lazy = FeatureCache(project.paths.features), _LazyEncoder(project, encoder)
    done: list[VideoFeatures] = []
    bad = [Quarantined(r.item, r.reason) for r in resolved.rejected]
    for video in resolved.videos:
        try:
            done.append(_one(project, video, cache, lazy, weights, sampling))
        except UnreadableVideo as exc:
            bad.append(Quarantined(str(video.path), str(exc)))
        if on_progress:
            on_progress(1)
    quarantine.record(project.paths.quarantine, [quarantine.QuarantineRecord("videos", q.item, q.reason, SOURCE) for q in bad])
    cached = sum(1 for f in done if f.cached)
    return FeatureBatch(tuple(done), len(done) - cached, cached, len(bad), tuple(bad), resolved.skipped,
                        tuple(cache.unreadable), weights.model_id, weights.weights_kind, sampling.key)


def _resolve_weights(project: Project) -> "ResolvedWeights":
    from reeltag.video.encoder import resolve_weights

    return resolve_weights(project.settings.clip, project.paths.root)


def _one(project: Project, video: VideoInput, cache: FeatureCache, lazy: _LazyEncoder,
         weights: "ResolvedWeights", sampling: Sampling) -> VideoFeatures:
    if not video.path.is_file():
        raise UnreadableVideo(f"{video.path}: not a file")
    digest = sha256_file(video.path)
    key = feature_key(digest, weights.model_id, sampling.key)
    hit = cache.get(key)
    if hit is None:
        hit = _encode(project, video, key, digest, lazy.get(), sampling)
        cache.put(hit)
        return _features(video, hit, cached=False)
    return _features(video, hit, cached=True)


def _encode(project: Project, video: VideoInput, key: str, digest: str, encoder: "ClipEncoder", sampling: Sampling) -> CachedFeatures:
    from reeltag.video.frames import read_frames

    vs = project.settings.video
    sampled = read_frames(video.path, sampling, encoder.image_size, vs.decode_threads, vs.max_side)
    vectors = encoder.encode_images(sampled.frames)
    return CachedFeatures(key, vectors, pool(vectors), sampled.indices, sampled.timestamps_s, encoder.model_id,
                          encoder.weights_kind, sampling.key, digest, str(video.path))


def _features(video: VideoInput, entry: CachedFeatures, cached: bool) -> VideoFeatures:
    return VideoFeatures(str(video.path), video.docid, entry.key, entry.frames, entry.pooled, entry.timestamps_s, cached)
