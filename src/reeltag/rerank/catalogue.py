"""A catalogue's frame features as one contiguous matrix with a docid index.

``FeatureMatrix.vectors`` is ``(rows, frames, dim)`` float32 (memory-mapped when the caller passes a file),
row 0 empty: a document without features (not in the catalogue, or not cached yet) points there and keeps
its normalised engine score. A query's candidates are scored against the query where their rows lie
(:mod:`reeltag.rerank.frame_dots`: no ``(docs, frames, dim)`` copy is made, so the frames are read from memory
once), then pooled and fused by the same functions as ``reeltag rerank`` (:mod:`reeltag.rerank.scoring`,
:mod:`reeltag.rerank.apply`), so the results are the same; only the per-document dictionary look-ups and
``np.stack`` of the run-file path are gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from reeltag.rerank.apply import TopicCandidates, topic_from_similarities
from reeltag.rerank.formats import Ranking
from reeltag.rerank.scoring import cosines, unit

EMPTY_ROW = 0


@dataclass(frozen=True, kw_only=True)
class FeatureMatrix:
    """Frame vectors of every catalogue document with features; row 0 is the empty row."""

    index: Mapping[str, int]  # docid → row
    vectors: np.ndarray  # (rows, frames, dim) float32, zero padding
    norms: np.ndarray  # (rows, frames), 0 for padding
    counts: np.ndarray  # (rows,) frames per document, 0 for row 0

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[2])

    @property
    def documents(self) -> int:
        return len(self.index)

    def rows(self, docids: Sequence[str]) -> np.ndarray:
        return np.fromiter(map(self.index.get, docids, repeat(EMPTY_ROW)), dtype=np.int64, count=len(docids))

    def similarities(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` with every frame of ``rows`` (:meth:`rows`), (docs, frames), −inf padding; the
        frames are multiplied where they lie in the matrix (:func:`reeltag.rerank.frame_dots.frame_dots`)."""
        from reeltag.rerank.frame_dots import frame_dots  # numba: loaded by the processes that score, not the CLI

        dots = frame_dots(self.vectors, rows, unit(np.asarray(query, dtype=np.float32)))
        return cosines(dots, np.take(self.norms, rows, axis=0), np.take(self.counts, rows))


def allocate(rows: int, frames: int, dim: int, path: Path | None = None) -> np.ndarray:
    """A zeroed ``(rows, frames, dim)`` float32 array, in memory or as a ``.npy`` memory map at ``path``."""
    if path is None:
        return np.zeros((rows, frames, dim), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    return np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, frames, dim))


def build_matrix(frames: Mapping[str, np.ndarray], dim: int, path: Path | None = None) -> FeatureMatrix:
    """One matrix from ``docid → (n_i, dim)`` frame arrays (padded to the largest ``n_i``)."""
    width = max((len(f) for f in frames.values()), default=1)
    vectors = allocate(len(frames) + 1, max(width, 1), dim, path)
    counts = np.zeros(len(frames) + 1, dtype=np.int64)
    index: dict[str, int] = {}
    for row, (docid, f) in enumerate(frames.items(), start=1):
        vectors[row, : len(f)] = f
        counts[row], index[docid] = len(f), row
    norms = np.sqrt(np.einsum("rfk,rfk->rf", vectors, vectors))
    return FeatureMatrix(index=index, vectors=vectors, norms=norms, counts=counts)


def prepare_candidates(matrix: FeatureMatrix, rank: Ranking, query: np.ndarray, depth: int) -> TopicCandidates:
    """Like :func:`reeltag.rerank.apply.prepare_topic`, with the frames scored in ``matrix``."""
    rows = matrix.rows(rank.docids[:depth])
    return topic_from_similarities(rank, matrix.similarities(rows, query), matrix.counts[rows], depth)
