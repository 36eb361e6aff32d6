"""The tag recommender the registry's pyfunc wrapper serves (pure numpy).

It uses the method the training run found best on held-out posts (``meta.json`` → ``recommender``): the
hybrid (co-occurrence smoothed by Tag2Vec) when it beat both baselines, else Tag2Vec input-output scoring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary, hybrid_scores, load_vocabulary
from reeltag.tag2vec.space import TagSpace, load_space


class TagRecommender:
    """Tags in, suggested co-tags out."""

    def __init__(self, space: TagSpace, vocab: Vocabulary | None = None, k: int = 10):
        self.space, self.vocab, self.k = space, vocab, k
        self.hybrid = vocab is not None and space.meta.get("recommender") == "hybrid"
        self.aligned = AlignedSpace.of(space, vocab) if self.hybrid and vocab is not None else None

    @property
    def method(self) -> str:
        return "hybrid" if self.hybrid else "tag2vec_io"

    def suggest(self, tags: list[str]) -> list[str]:
        if self.hybrid and self.vocab is not None and self.aligned is not None:
            return self._suggest_hybrid(tags, self.vocab, self.aligned)
        rows = [r for r in (self.space.index_of(t) for t in tags) if r is not None]
        if not rows:
            return []
        out = self.space.output_vectors if self.space.output_vectors is not None else self.space.unit_vectors
        return self._top(out @ self.space.vectors[rows].sum(axis=0), rows, self.space.tags)

    def _suggest_hybrid(self, tags: list[str], vocab: Vocabulary, aligned: AlignedSpace) -> list[str]:
        known = [vocab.index.get(self.space.tags[r]) for r in (self.space.index_of(t) for t in tags) if r is not None]
        rows = [r for r in known if r is not None]
        if not rows:
            return []
        return self._top(
            hybrid_scores(vocab, aligned, [tuple(rows)], float(self.space.meta.get("hybrid_pseudo_count", 100.0)))[0],
            rows,
            vocab.tags,
        )

    def _top(self, scores: np.ndarray, exclude: list[int], names: tuple[str, ...]) -> list[str]:
        scores = scores.astype(np.float64, copy=True)
        scores[exclude] = -np.inf
        return [names[i] for i in np.argsort(-scores)[: self.k] if np.isfinite(scores[i])]

    def predict(self, model_input: Any) -> list[list[str]]:
        """``model_input``: a DataFrame with a ``tags`` column (list or space-separated string), or a list."""
        rows = model_input["tags"].tolist() if hasattr(model_input, "columns") else list(model_input)
        return [self.suggest(r.split() if isinstance(r, str) else list(r)) for r in rows]


def load_recommender(folder: Path, version: str = "") -> TagRecommender:
    return TagRecommender(load_space(folder, version), load_vocabulary(folder))


def load_pyfunc(artifacts: dict[str, str]) -> TagRecommender:
    """Loader named in the registry's pyfunc wrapper (``reeltag.tag2vec.pyfunc:load_pyfunc``)."""
    return load_recommender(Path(artifacts["tag2vec"]))
