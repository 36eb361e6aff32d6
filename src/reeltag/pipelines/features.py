"""Step: videos → CLIP frame features, through the content-addressed cache.

``extract_features(project, inputs)`` takes video files, folders or manifests. Cached videos are read back
without decoding or loading the model; the encoder is built only on the first cache miss. Unreadable videos
go to ``data/quarantine/videos.jsonl`` with the reason and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    """Frame and pooled features of every video ``inputs`` name (files, folders, manifests), in input order.

    Cache misses are decoded one by one and encoded together once ``clip.batch_size`` frames are pending
    (full forward batches across short videos).
    """
    resolved = resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths)
    weights = encoder.weights if encoder is not None else _resolve_weights(project)
    run = _Run(project, FeatureCache(project.paths.features), _LazyEncoder(project, encoder), Sampling.from_settings(project.settings.video))
    bad = [Quarantined(r.item, r.reason) for r in resolved.rejected]
    for video in resolved.videos:
        try:
            run.add(video, feature_key_of(video.path, weights.model_id, run.sampling))
        except UnreadableVideo as exc:
            bad.append(Quarantined(str(video.path), str(exc)))
        if on_progress:
            on_progress(1)
    done = run.finish()
    quarantine.record(project.paths.quarantine, [quarantine.QuarantineRecord("videos", q.item, q.reason, SOURCE) for q in bad])
    cached = sum(1 for f in done if f.cached)
    return FeatureBatch(done, len(done) - cached, cached, len(bad), tuple(bad), resolved.skipped,
                        tuple(run.cache.unreadable), weights.model_id, weights.weights_kind, run.sampling.key)


def _resolve_weights(project: Project) -> "ResolvedWeights":
    from reeltag.video.encoder import resolve_weights

    return resolve_weights(project.settings.clip, project.paths.root)


def feature_key_of(path: Path, model_id: str, sampling: Sampling) -> tuple[str, str]:
    """(cache key, video sha256) of a video file under an encoder and a sampling."""
    if not path.is_file():
        raise UnreadableVideo(f"{path}: not a file")
    digest = sha256_file(path)
    return feature_key(digest, model_id, sampling.key), digest


@dataclass(frozen=True)
class _Pending:
    slot: int
    video: VideoInput
    key: str
    digest: str
    sampled: Any  # VideoFrames


class _Run:
    """One extraction: cache hits fill their slot at once; misses wait for a full encoder batch."""

    def __init__(self, project: Project, cache: FeatureCache, lazy: _LazyEncoder, sampling: Sampling):
        self.project, self.cache, self.lazy, self.sampling = project, cache, lazy, sampling
        self.slots: list[VideoFeatures | None] = []
        self.pending: list[_Pending] = []

    def add(self, video: VideoInput, key_digest: tuple[str, str]) -> None:
        key, digest = key_digest
        hit = self.cache.get(key)
        if hit is not None:
            self.slots.append(_features(video, hit, cached=True))
            return
        self.pending.append(_Pending(len(self.slots), video, key, digest, self._decode(video)))
        self.slots.append(None)
        if sum(len(p.sampled.frames) for p in self.pending) >= self.project.settings.clip.batch_size:
            self._flush()

    def _decode(self, video: VideoInput) -> Any:
        from reeltag.video.frames import read_frames

        vs, side = self.project.settings.video, self.lazy.get().image_size
        return read_frames(video.path, self.sampling, side, vs.decode_threads, vs.max_side)

    def _flush(self) -> None:
        if not self.pending:
            return
        encoder = self.lazy.get()
        vectors = encoder.encode_images(np.concatenate([p.sampled.frames for p in self.pending]))
        start = 0
        for item in self.pending:
            part = vectors[start : start + len(item.sampled.frames)]
            start += len(part)
            entry = CachedFeatures(item.key, part, pool(part), item.sampled.indices, item.sampled.timestamps_s,
                                   encoder.model_id, encoder.weights_kind, self.sampling.key, item.digest, str(item.video.path))
            self.cache.put(entry)
            self.slots[item.slot] = _features(item.video, entry, cached=False)
        self.pending.clear()

    def finish(self) -> tuple[VideoFeatures, ...]:
        self._flush()
        return tuple(f for f in self.slots if f is not None)


def _features(video: VideoInput, entry: CachedFeatures, cached: bool) -> VideoFeatures:
    return VideoFeatures(str(video.path), video.docid, entry.key, entry.frames, entry.pooled, entry.timestamps_s, cached)
