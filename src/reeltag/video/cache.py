"""Content-addressed feature cache under ``data/features/`` (pure: numpy + stdlib).

Key = sha256 of (video bytes hash, encoder model id, sampling key). One ``.npz`` per key holds the per-frame
vectors (reranking needs them), the pooled video vector, the frame indices and timestamps, and a JSON meta
record (model id, weights kind, sampling, source path). Entries are written to a temp file and renamed, so
two writers of the same key never leave a half-written file (the last complete write wins; both are equal).
An entry that cannot be read back is reported as unreadable (not hidden) and treated as missing. A cache opened
with ``writable=False`` is read but never written (the API's uploads: one-off files leave no entry each).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag.io import atomic_path, sha256_json

CACHE_FORMAT = 1


@dataclass(frozen=True, kw_only=True)
class CachedFeatures:
    """Features of one video under one encoder and sampling."""

    key: str
    frames: np.ndarray  # float32 [N, D], unit rows
    pooled: np.ndarray  # float32 [D], unit norm
    indices: tuple[int, ...]
    timestamps_s: tuple[float, ...]
    model_id: str
    weights_kind: str
    sampling: str
    video_sha256: str
    source: str


def feature_key(video_sha256: str, model_id: str, sampling_key: str) -> str:
    return sha256_json({"format": CACHE_FORMAT, "video": video_sha256, "model": model_id, "sampling": sampling_key})[:40]


def pool(frames: np.ndarray) -> np.ndarray:
    """Mean of the frame vectors, re-normalised to unit length."""
    mean = frames.astype(np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


class FeatureCache:
    """``<folder>/<key[:2]>/<key>.npz`` files; see the module docstring."""

    def __init__(self, folder: Path, writable: bool = True):
        self.folder, self.writable = Path(folder), writable
        self.unreadable: list[str] = []

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str) -> CachedFeatures | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return _load(key, path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
            self.unreadable.append(str(path))
            return None

    def put(self, features: CachedFeatures) -> Path:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            frames=features.frames.astype(np.float32),
            pooled=features.pooled.astype(np.float32),
            indices=np.asarray(features.indices, dtype=np.int64),
            timestamps_s=np.asarray(features.timestamps_s, dtype=np.float64),
            meta=np.array(_meta_json(features)),
        )
        with atomic_path(self.path(features.key)) as tmp:
            tmp.write_bytes(buffer.getvalue())
        return self.path(features.key)

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*/*.npz")) if self.folder.is_dir() else 0


def _meta_json(features: CachedFeatures) -> str:
    meta = {
        "model_id": features.model_id,
        "weights_kind": features.weights_kind,
        "sampling": features.sampling,
        "video_sha256": features.video_sha256,
        "source": features.source,
        "format": CACHE_FORMAT,
    }
    return json.dumps(meta, sort_keys=True)


def _load(key: str, path: Path) -> CachedFeatures:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        return CachedFeatures(
            key=key,
            frames=data["frames"],
            pooled=data["pooled"],
            indices=tuple(int(i) for i in data["indices"]),
            timestamps_s=tuple(float(t) for t in data["timestamps_s"]),
            model_id=meta["model_id"],
            weights_kind=meta["weights_kind"],
            sampling=meta["sampling"],
            video_sha256=meta["video_sha256"],
            source=meta["source"],
        )
