"""Step: a catalogue manifest (docid → video) → its cached frame features as one matrix; never encodes.

Documents whose video has no cached features under the serving encoder (or no readable file) are listed in
``not_cached``; :func:`queue_features` appends such documents to ``data/queue/features.jsonl`` (a JSONL
manifest: ``reeltag features extract data/queue/features.jsonl`` encodes them), so a request never decodes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag import quarantine
from reeltag.errors import UnreadableVideo
from reeltag.io import sha256_text
from reeltag.project import Project
from reeltag.rerank.catalogue import FeatureMatrix, build_matrix
from reeltag.rerank.formats import Issue, read_manifest
from reeltag.video.cache import FeatureCache
from reeltag.video.extraction import feature_key_of
from reeltag.video.sampling import Sampling


@dataclass(frozen=True, kw_only=True)
class Catalogue:
    manifest: Path
    paths: dict[str, Path]  # docid → video file
    matrix: FeatureMatrix
    not_cached: tuple[str, ...]  # docids without cached features under ``model_id``
    model_id: str
    issues: tuple[Issue, ...]
    matrix_file: Path | None  # the memory-mapped .npy (large catalogues), else None
    pending: tuple[Path, ...] = ()  # cache files the not-cached documents will have once extracted

    def has_new_features(self) -> bool:
        """Whether a document that had no cached features has them now (a stat per pending file)."""
        return any(path.is_file() for path in self.pending)


def load_catalogue(project: Project, manifest: Path, model_id: str, dim: int) -> Catalogue:
    """Every manifest document's cached frames under encoder ``model_id``, in one ``(docs, frames, dim)`` matrix."""
    read = read_manifest(manifest, project.settings.paths.allow_absolute_manifest_paths)
    frames, pending = cached_frames(project, read.paths, model_id)
    mapped = _mmap_path(project, manifest, model_id, len(frames) * _width(frames) * dim * 4)
    matrix = build_matrix(frames, dim, mapped)
    missing = tuple(d for d in read.paths if d not in frames)
    return Catalogue(
        manifest=Path(manifest),
        paths=dict(read.paths),
        matrix=matrix,
        not_cached=missing,
        model_id=model_id,
        issues=read.issues,
        matrix_file=mapped,
        pending=tuple(pending),
    )


def cached_frames(project: Project, paths: dict[str, Path], model_id: str) -> tuple[dict[str, np.ndarray], list[Path]]:
    """``docid → frames`` of the documents whose video is in the feature cache, and the cache files the others
    would have (unreadable files have none)."""
    cache, sampling = FeatureCache(project.paths.features), Sampling.from_settings(project.settings.video)
    frames: dict[str, np.ndarray] = {}
    pending: list[Path] = []
    for docid, path in paths.items():
        try:
            key = feature_key_of(path, model_id, sampling)[0]
        except (UnreadableVideo, OSError):
            continue
        entry = cache.get(key)
        if entry is None:
            pending.append(cache.path(key))
        else:
            frames[docid] = np.asarray(entry.frames, dtype=np.float32)
    return frames, pending


def _width(frames: dict[str, np.ndarray]) -> int:
    return max((len(f) for f in frames.values()), default=1)


def _mmap_path(project: Project, manifest: Path, model_id: str, size_bytes: int) -> Path | None:
    if size_bytes <= project.settings.api.mmap_above_mb * 2**20:
        return None
    name = sha256_text(f"{Path(manifest).resolve()}|{model_id}")[:16]
    return project.paths.api / f"catalogue-{name}-{uuid.uuid4().hex[:8]}.npy"  # a reload never rewrites a mapped file


def queue_features(project: Project, items: Iterable[tuple[str, Path]]) -> int:
    """Append ``(docid, path)`` rows to the feature queue; returns how many."""
    rows = [{"docid": docid, "path": str(path)} for docid, path in items]
    if rows:
        quarantine.append_jsonl(project.paths.feature_queue, rows)
    return len(rows)
