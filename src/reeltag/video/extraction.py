"""The batch extraction engine: videos → CLIP frame features through the content-addressed cache.

Cache hits are read back without decoding; misses are hashed, looked up and decoded by a prefetch thread
(``video.prefetch_videos`` ahead) while the encoder works on full ``clip.batch_size`` batches across videos.
The encoder is built only on the first miss (:class:`LazyEncoder`). Unreadable videos are returned, not raised:
the caller (``reeltag.video.steps``) records the quarantine.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reeltag.config import ClipSection, VideoSection
from reeltag.errors import UnreadableVideo
from reeltag.io import sha256_file
from reeltag.paths import ProjectPaths
from reeltag.video.cache import CachedFeatures, FeatureCache, feature_key, pool
from reeltag.video.inputs import VideoInput
from reeltag.video.sampling import DecodeBudget, Sampling

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder
    from reeltag.video.frames import VideoFrames


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class ExtractedVideos:
    """What one extraction pass over resolved videos did (features in input order; no quarantine written yet)."""

    features: tuple[VideoFeatures, ...]
    quarantine: tuple[Quarantined, ...]
    repaired: tuple[str, ...]  # cache entries that could not be read back and were re-encoded


class LazyEncoder:
    """Builds the encoder on first use, so a fully cached batch never loads the model (thread-safe: the prefetch
    thread may ask first)."""

    def __init__(self, clip: ClipSection, paths: ProjectPaths, encoder: ClipEncoder | None = None):
        self.clip, self.paths, self._encoder, self._lock = clip, paths, encoder, threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def get(self) -> ClipEncoder:
        with self._lock:
            if self._encoder is None:
                from reeltag.video.encoder import load_encoder

                self._encoder = load_encoder(self.clip, self.paths)
            return self._encoder


def extract_videos(
    videos: Sequence[VideoInput],
    model_id: str,
    *,
    lazy: LazyEncoder,
    video: VideoSection,
    cache: FeatureCache,
    on_progress: Callable[[int], None] | None = None,
    budget: DecodeBudget | None = None,
) -> ExtractedVideos:
    """Features of ``videos`` in input order: cache hits read back, misses decoded ahead and encoded in full
    batches; unreadable videos returned with the reason. Pass one :class:`LazyEncoder` to several calls to keep
    one loaded model (a Dask worker process). A video over ``budget`` (the API's) raises
    :class:`~reeltag.errors.OverBudget`: it is refused, not quarantined."""
    run = _Run(cache, lazy, video, Sampling.from_settings(video), budget=budget)
    bad: list[Quarantined] = []
    for prepared in prefetched(videos, lambda v: run.prepare(v, model_id), video.prefetch_videos):
        if prepared.error is not None:
            bad.append(Quarantined(str(prepared.video.path), prepared.error))
        else:
            run.add(prepared)
        if on_progress:
            on_progress(1)
    done = run.finish()
    return ExtractedVideos(features=done, quarantine=tuple(bad), repaired=tuple(cache.unreadable))


def prefetched(items: Iterable[Any], work: Callable[[Any], Any], depth: int) -> Iterator[Any]:
    """``work(item)`` for every item, in order, computed up to ``depth`` items ahead in one background thread
    (``depth = 0``: one at a time, no overlap). ``work`` must return its failures, not raise them."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reeltag-prefetch") as pool:
        ahead: deque[Future[Any]] = deque()
        for item in items:
            ahead.append(pool.submit(work, item))
            if len(ahead) > depth:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def feature_key_of(path: Path, model_id: str, sampling: Sampling) -> tuple[str, str]:
    """(cache key, video sha256) of a video file under an encoder and a sampling."""
    if not path.is_file():
        raise UnreadableVideo(f"{path}: not a file")
    digest = sha256_file(path)
    return feature_key(digest, model_id, sampling.key), digest


@dataclass(frozen=True, kw_only=True)
class _Prepared:
    """One video made ready in the prefetch thread: a cache hit, decoded frames of a miss, or why it is unreadable."""

    video: VideoInput
    key: str = ""
    digest: str = ""
    hit: CachedFeatures | None = None
    sampled: VideoFrames | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class _Pending:
    slot: int
    video: VideoInput
    key: str
    digest: str
    sampled: VideoFrames


class _Run:
    """One extraction: cache hits fill their slot at once; misses wait for a full encoder batch."""

    def __init__(
        self, cache: FeatureCache, lazy: LazyEncoder, video: VideoSection, sampling: Sampling, *, budget: DecodeBudget | None
    ):
        self.cache, self.lazy, self.video, self.sampling, self.budget = cache, lazy, video, sampling, budget
        self.slots: list[VideoFeatures | None] = []
        self.pending: list[_Pending] = []

    def prepare(self, video: VideoInput, model_id: str) -> _Prepared:
        """Hash, cache lookup and (on a miss) decode: the part that runs ahead of the encoder."""
        try:
            key, digest = feature_key_of(video.path, model_id, self.sampling)
            hit = self.cache.get(key)
            return _Prepared(
                video=video, key=key, digest=digest, hit=hit, sampled=None if hit is not None else self._decode(video)
            )
        except UnreadableVideo as exc:
            return _Prepared(video=video, error=str(exc))

    def add(self, prepared: _Prepared) -> None:
        if prepared.hit is not None:
            self.slots.append(_features(prepared.video, prepared.hit, cached=True))
            return
        assert prepared.sampled is not None  # a miss is decoded in the prefetch thread (an unreadable one never gets here)
        self.pending.append(
            _Pending(
                slot=len(self.slots), video=prepared.video, key=prepared.key, digest=prepared.digest, sampled=prepared.sampled
            )
        )
        self.slots.append(None)
        if sum(len(p.sampled.frames) for p in self.pending) >= self.lazy.clip.batch_size:
            self._flush()

    def _decode(self, video: VideoInput) -> Any:
        from reeltag.video.frames import read_frames

        side = self.lazy.get().image_size
        return read_frames(video.path, self.sampling, side, self.video.decode_threads, self.video.max_side, budget=self.budget)

    def _flush(self) -> None:
        if not self.pending:
            return
        encoder = self.lazy.get()
        vectors = encoder.encode_images(np.concatenate([p.sampled.frames for p in self.pending]))
        start = 0
        for item in self.pending:
            part = vectors[start : start + len(item.sampled.frames)]
            start += len(part)
            entry = CachedFeatures(
                key=item.key,
                frames=part,
                pooled=pool(part),
                indices=item.sampled.indices,
                timestamps_s=item.sampled.timestamps_s,
                model_id=encoder.model_id,
                weights_kind=encoder.weights_kind,
                sampling=self.sampling.key,
                video_sha256=item.digest,
                source=str(item.video.path),
            )
            if self.cache.writable:
                self.cache.put(entry)
            self.slots[item.slot] = _features(item.video, entry, cached=False)
        self.pending.clear()

    def finish(self) -> tuple[VideoFeatures, ...]:
        self._flush()
        return tuple(f for f in self.slots if f is not None)


def _features(video: VideoInput, entry: CachedFeatures, cached: bool) -> VideoFeatures:
    return VideoFeatures(
        video=str(video.path),
        docid=video.docid,
        key=entry.key,
        frames=entry.frames,
        pooled=entry.pooled,
        timestamps_s=entry.timestamps_s,
        cached=cached,
    )
