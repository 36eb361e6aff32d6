"""The pure view of a trained Tag2Vec model: :class:`TagSpace` (numpy only; no gensim).

Native files of a model version (folder ``tag2vec/`` in the registry's ``native/``):
``space.npz`` (tags, input vectors, output vectors, counts), ``surface_forms.json`` (stem → shown tag),
``meta.json`` (corpus hash, max trained seq, …), plus gensim's ``tag2vec.kv`` (KeyedVectors) and
``word2vec.model`` (full model, for incremental training) written by :mod:`reeltag.tag2vec.train`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.corpus.tags import SurfaceForms, TagRules, normalise_tag
from reeltag.io import atomic_path, write_json_atomic

SPACE_FILE, SURFACE_FILE, META_FILE = "space.npz", "surface_forms.json", "meta.json"


@dataclass(frozen=True, kw_only=True, eq=False)
class TagSpace:
    """Tags (surface forms), their vectors and the registry version they came from."""

    tags: tuple[str, ...]
    vectors: np.ndarray  # (n_tags, dim) input vectors
    version: str
    output_vectors: np.ndarray | None = None  # (n_tags, dim) negative-sampling output vectors
    counts: np.ndarray | None = None  # training frequency per tag
    surface: SurfaceForms = field(default_factory=SurfaceForms)
    meta: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def index(self) -> dict[str, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    @cached_property
    def unit_vectors(self) -> np.ndarray:
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return (self.vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def index_of(self, tag: str) -> int | None:
        """Row of a tag written any way (``#Cats``, ``cat``…); None when unknown."""
        norm, _ = normalise_tag(tag, TagRules(min_len=1, max_len=10_000))
        return None if norm is None else self.index.get(self.surface.canonical(norm), self.index.get(norm))

    def neighbours(self, tag: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` nearest tags by cosine (input-input), best first."""
        row = self.index_of(tag)
        if row is None:
            return []
        sims = self.unit_vectors @ self.unit_vectors[row]
        sims[row] = -np.inf
        top = np.argsort(-sims)[:k]
        return [(self.tags[i], float(sims[i])) for i in top if np.isfinite(sims[i])]


def save_space(space: TagSpace, folder: Path) -> None:
    """Write ``space.npz``, ``surface_forms.json`` and ``meta.json`` atomically."""
    arrays = {"tags": np.array(space.tags, dtype=object), "vectors": space.vectors}
    if space.output_vectors is not None:
        arrays["output_vectors"] = space.output_vectors
    if space.counts is not None:
        arrays["counts"] = space.counts
    # Any: typed as arrays, a ** mapping could also fill savez's allow_pickle (bool) in mypy's eyes
    stored: dict[str, Any] = {k: (v.astype(str) if k == "tags" else v) for k, v in arrays.items()}
    with atomic_path(folder / SPACE_FILE) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **stored)
    write_json_atomic(folder / SURFACE_FILE, dict(space.surface.by_stem))
    write_json_atomic(folder / META_FILE, space.meta)


def load_space(folder: Path, version: str = "") -> TagSpace:
    """Read the files :func:`save_space` wrote."""
    with np.load(folder / SPACE_FILE, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    surface = SurfaceForms(json.loads((folder / SURFACE_FILE).read_text(encoding="utf-8")))
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    return TagSpace(
        tags=tuple(str(t) for t in arrays["tags"]),
        vectors=arrays["vectors"],
        version=version or str(meta.get("version", "")),
        output_vectors=arrays.get("output_vectors"),
        counts=arrays.get("counts"),
        surface=surface,
        meta=meta,
    )
