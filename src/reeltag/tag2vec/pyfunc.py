"""The tag recommender the registry's pyfunc wrapper serves (pure numpy).

It serves the method the training run chose on validation posts (``meta.json`` → ``recommender``, see
:mod:`reeltag.tag2vec.offer`): the learned tags-only ranker (``ranker_tags``, its ``ranker.pkl`` beside the
Tag2Vec files), the hybrid (co-occurrence smoothed by Tag2Vec), co-occurrence counts, or Tag2Vec input-output
scoring (also what a model without a saved vocabulary serves).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary, cooccurrence_scores, hybrid_scores, load_vocabulary
from reeltag.tag2vec.offer import load_offered_ranker
from reeltag.tag2vec.ranker import TagStats, ranked_scores
from reeltag.tag2vec.ranker_model import RankerModel
from reeltag.tag2vec.space import TagSpace, load_space

NEEDS_VOCABULARY = ("ranker_tags", "hybrid", "cooccurrence")


class TagRecommender:
    """Tags in, suggested co-tags out."""

    def __init__(self, space: TagSpace, vocab: Vocabulary | None = None, k: int = 10, ranker: RankerModel | None = None):
        self.space, self.vocab, self.k, self.ranker = space, vocab, k, ranker
        chosen = str(space.meta.get("recommender", "tag2vec_io"))
        usable = vocab is not None and chosen in NEEDS_VOCABULARY and (chosen != "ranker_tags" or ranker is not None)
        self.method = chosen if usable else "tag2vec_io"
        self.aligned = AlignedSpace.of(space, vocab) if vocab is not None and self.method != "tag2vec_io" else None

    def suggest(self, tags: list[str]) -> list[str]:
        if self.vocab is not None and self.aligned is not None:
            return self._suggest_from_vocabulary(tags, self.vocab, self.aligned)
        rows = [r for r in (self.space.index_of(t) for t in tags) if r is not None]
        if not rows:
            return []
        out = self.space.output_vectors if self.space.output_vectors is not None else self.space.unit_vectors
        return self._top(out @ self.space.vectors[rows].sum(axis=0), rows, self.space.tags)

    def _suggest_from_vocabulary(self, tags: list[str], vocab: Vocabulary, aligned: AlignedSpace) -> list[str]:
        known = [vocab.index.get(self.space.tags[r]) for r in (self.space.index_of(t) for t in tags) if r is not None]
        rows = [r for r in known if r is not None]
        if not rows:
            return []
        return self._top(self._scores(vocab, aligned, tuple(rows)), rows, vocab.tags)

    def _scores(self, vocab: Vocabulary, aligned: AlignedSpace, rows: tuple[int, ...]) -> np.ndarray:
        pseudo_count = float(self.space.meta.get("hybrid_pseudo_count", 100.0))
        if self.method == "cooccurrence":
            return cooccurrence_scores(vocab, [rows])[0]
        if self.method == "hybrid" or self.ranker is None:
            return hybrid_scores(vocab, aligned, [rows], pseudo_count)[0]
        per_signal = int(self.space.meta.get("ranker_candidates_per_signal", 50))
        return ranked_scores(TagStats.of(vocab, aligned, pseudo_count), [rows], per_signal, self.ranker.score)[0]

    def _top(self, scores: np.ndarray, exclude: list[int], names: tuple[str, ...]) -> list[str]:
        scores = scores.astype(np.float64, copy=True)
        scores[exclude] = -np.inf
        return [names[i] for i in np.argsort(-scores)[: self.k] if np.isfinite(scores[i])]

    def predict(self, model_input: Any) -> list[list[str]]:
        """``model_input``: a DataFrame with a ``tags`` column (list or space-separated string), or a list."""
        rows = model_input["tags"].tolist() if hasattr(model_input, "columns") else list(model_input)
        return [self.suggest(r.split() if isinstance(r, str) else list(r)) for r in rows]


def load_recommender(folder: Path, version: str = "") -> TagRecommender:
    """The recommender of a registered model's files (its ranker is loaded only when ``meta.json`` offers it)."""
    space = load_space(folder, version)
    return TagRecommender(space, load_vocabulary(folder), ranker=load_offered_ranker(folder, space.meta))


def load_pyfunc(artifacts: dict[str, str]) -> TagRecommender:
    """Loader named in the registry's pyfunc wrapper (``reeltag.tag2vec.pyfunc:load_pyfunc``)."""
    return load_recommender(Path(artifacts["tag2vec"]))
