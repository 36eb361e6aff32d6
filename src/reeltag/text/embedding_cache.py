"""Texts embedded once (pure numpy): vectors kept by the content hash of (encoder name, text), in memory and,
when given a folder, in one ``.npz`` per encoder there (written atomically, float16), so a re-run of
``text evaluate`` or ``text train`` on the same posts encodes nothing again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reeltag.io import atomic_path

Encode = Callable[[Sequence[str]], np.ndarray]
BATCH = 2048


@dataclass(kw_only=True, eq=False)
class EmbeddingCache:
    """``embed(texts)`` → unit rows; each distinct text is encoded by ``encode`` at most once."""

    name: str
    encode: Encode
    folder: Path | None = None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    encoded: int = 0  # texts this cache sent to the encoder (the rest came from memory or disk)

    def __post_init__(self) -> None:
        if self.folder is not None and self.path.is_file():
            with np.load(self.path, allow_pickle=False) as d:
                self.vectors.update(zip((str(k) for k in d["keys"]), d["vectors"]))

    @property
    def path(self) -> Path:
        assert self.folder is not None
        return self.folder / f"{hashlib.sha256(self.name.encode()).hexdigest()[:16]}.npz"

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0{text}".encode()).hexdigest()[:24]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        todo = list({k: t for k, t in zip(keys, texts) if k not in self.vectors}.items())
        for start in range(0, len(todo), BATCH):
            part = todo[start : start + BATCH]
            self.vectors.update(zip((k for k, _ in part), self.encode([t for _, t in part]).astype(np.float16)))
        self.encoded += len(todo)
        if todo and self.folder is not None:
            self.save()
        return _unit(np.stack([self.vectors[k] for k in keys]).astype(np.float32)) if keys else np.zeros((0, 0), np.float32)

    def save(self) -> Path:
        assert self.folder is not None
        keys = list(self.vectors)
        with atomic_path(self.path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, keys=np.array(keys, dtype=str), vectors=np.stack([self.vectors[k] for k in keys]))
        return self.path


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
