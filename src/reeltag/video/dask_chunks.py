"""Feature extraction on Dask: videos sharded into chunks, each chunk encoded by a worker into the shared cache.

A chunk carries the settings as JSON and the video inputs; it returns cache keys and counts (picklable), never
arrays or models. Each worker process keeps one lazily built encoder per encoder setting (loaded on its first
cache miss), runs with one torch thread, and writes through the content-addressed cache (temp file + rename, so
concurrent writers and a killed worker never leave a torn entry). The caller reads the entries back from the cache.
Quarantine records are written once, by the caller, exactly as on the local path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reeltag.config import Settings
from reeltag.errors import ReeltagError
from reeltag.io import sha256_json
from reeltag.project import Project
from reeltag.video.cache import FeatureCache
from reeltag.video.executors import engine_inputs
from reeltag.video.extraction import ExtractedVideos, LazyEncoder, Quarantined, VideoFeatures, extract_videos
from reeltag.video.inputs import VideoInput

WORKER_TORCH_THREADS = 1
_WORKER_ENCODERS: dict[str, LazyEncoder] = {}  # per worker process: encoder setting fingerprint → its encoder


@dataclass(frozen=True, kw_only=True)
class Chunk:
    settings: dict[str, Any]  # Settings.model_dump(mode="json")
    videos: tuple[VideoInput, ...]
    model_id: str


@dataclass(frozen=True, kw_only=True)
class ChunkResult:
    """What one worker did with one chunk: cache key and hit/miss per readable video, quarantine reasons."""

    keys: tuple[tuple[str, str, bool], ...]  # (video path, cache key, was cached) in chunk order
    quarantine: tuple[Quarantined, ...]
    repaired: tuple[str, ...]
    worker_pid: int


def shard(videos: Sequence[VideoInput], size: int) -> list[tuple[VideoInput, ...]]:
    """Consecutive chunks of at most ``size`` videos."""
    return [tuple(videos[i : i + size]) for i in range(0, len(videos), size)]


def extract_on_dask(
    project: Project, videos: Sequence[VideoInput], model_id: str, on_progress: Callable[[int], None] | None = None
) -> ExtractedVideos:
    """Encode ``videos`` on Dask (``video.dask_address`` or a LocalCluster) and read their features back in order."""
    from reeltag.video.dask_extract import map_chunks

    vs = project.settings.video
    settings = project.settings.model_dump(mode="json")
    chunks = [Chunk(settings=settings, videos=part, model_id=model_id) for part in shard(videos, vs.dask_chunk_videos)]
    done = (lambda r: on_progress(len(r.keys) + len(r.quarantine))) if on_progress else None
    results = map_chunks(encode_chunk, chunks, address=vs.dask_address, workers=vs.dask_workers, on_done=done)
    return _read_back(project, videos, results)


def encode_chunk(chunk: Chunk) -> ChunkResult:
    """Runs on a Dask worker: extract the chunk's videos into the shared cache with this process's encoder."""
    project = Project(Settings.model_validate(chunk.settings)).with_settings(clip={"threads": WORKER_TORCH_THREADS})
    out = extract_videos(chunk.videos, chunk.model_id, **engine_inputs(project, _worker_encoder(project)))
    keys = tuple((f.video, f.key, f.cached) for f in out.features)
    return ChunkResult(keys=keys, quarantine=out.quarantine, repaired=out.repaired, worker_pid=os.getpid())


def _worker_encoder(project: Project) -> LazyEncoder:
    fingerprint = sha256_json(project.settings.clip.model_dump(mode="json"))
    if fingerprint not in _WORKER_ENCODERS:
        _WORKER_ENCODERS[fingerprint] = LazyEncoder(project.settings.clip, project.paths)
    return _WORKER_ENCODERS[fingerprint]


def loaded_encoders() -> int:
    """How many encoders this (worker) process has loaded, e.g. ``client.run(loaded_encoders)`` per Dask worker."""
    return sum(1 for lazy in _WORKER_ENCODERS.values() if lazy.loaded)


def _read_back(project: Project, videos: Sequence[VideoInput], results: Sequence[ChunkResult]) -> ExtractedVideos:
    cache, docids = FeatureCache(project.paths.features), {str(v.path): v.docid for v in videos}
    features = [_load(cache, video, key, cached, docids[video]) for r in results for video, key, cached in r.keys]
    return ExtractedVideos(
        features=tuple(features),
        quarantine=tuple(q for r in results for q in r.quarantine),
        repaired=tuple(p for r in results for p in r.repaired),
    )


def _load(cache: FeatureCache, video: str, key: str, cached: bool, docid: str | None) -> VideoFeatures:
    entry = cache.get(key)
    if entry is None:
        raise ReeltagError(
            f"{video}: a Dask worker reported cache entry {key} but it is missing or unreadable in "
            f"{cache.folder} (is the feature cache shared between the workers and this machine?)"
        )
    return VideoFeatures(
        video=video,
        docid=docid,
        key=key,
        frames=entry.frames,
        pooled=entry.pooled,
        timestamps_s=entry.timestamps_s,
        cached=cached,
    )
