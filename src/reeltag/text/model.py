"""Word → tag scores learned from posts (pure numpy/scipy): each post's words (hashtags removed) predict its
hashtags.

Methods (all score a batch of texts against one tag vocabulary): ``popularity``; the two word co-occurrence
baselines, ``cooccurrence`` (summed post counts of word and tag) and ``conditional`` (summed P(tag | word));
and the learned ones, ``centroid`` (TF-IDF linear model: cosine-weighted tag votes of every post, divided by
the tag's count^β) and ``knn`` (tags of the ``k`` nearest posts by TF-IDF cosine). Every score adds a tiny
popularity term so ties break towards frequent tags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from reeltag.io import atomic_path
from reeltag.ranking import top_k

Post = tuple[Sequence[str], Sequence[str]]  # (words, tags)
METHODS = ("popularity", "cooccurrence", "conditional", "centroid", "knn")


@dataclass(frozen=True, kw_only=True)
class TextMethod:
    """One scoring method and its parameter (β for ``centroid``, k for ``knn``; unused otherwise); for ``fused``
    (:mod:`reeltag.text.encoder_choice`): ``base``, the encoder methods it adds to the word model (``+``-joined),
    and their ``weights``."""

    name: str
    param: float = 0.0
    base: str = ""
    weights: tuple[float, ...] = ()

    def label(self) -> str:
        if self.name in ("popularity", "cooccurrence", "conditional"):
            return self.name
        params = ",".join(f"{w:g}" for w in self.weights) if self.weights else f"{self.param:g}"
        return f"{self.name}({params})" + (f"[{self.base}]" if self.base else "")


@dataclass(frozen=True, kw_only=True, eq=False)
class TextModel:
    words: tuple[str, ...]
    tags: tuple[str, ...]
    idf: np.ndarray  # (W,)
    posts: sparse.csr_matrix  # (P, W) unit TF-IDF rows of the training posts
    post_tags: sparse.csr_matrix  # (P, T) 0/1
    tag_counts: np.ndarray  # (T,) training posts per tag

    @cached_property
    def word_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @cached_property
    def word_tag(self) -> sparse.csr_matrix:
        """(W, T) number of posts holding word and tag."""
        return ((self.posts > 0).astype(np.float32).T @ self.post_tags).tocsr()

    @cached_property
    def tfidf_tag(self) -> sparse.csr_matrix:
        """(W, T) summed TF-IDF weight of each word over the posts holding each tag."""
        return (self.posts.T @ self.post_tags).tocsr()

    @cached_property
    def tag_prior(self) -> np.ndarray:
        return 1e-6 * self.tag_counts / max(float(self.tag_counts.max(initial=0.0)), 1.0)

    def known_words(self, words: Sequence[str]) -> list[int]:
        return sorted({self.word_index[w] for w in words if w in self.word_index})

    def query(self, texts: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """Unit TF-IDF rows (binary term frequency) of word lists; unknown words are dropped."""
        return _unit_rows(_binary_rows([self.known_words(t) for t in texts], len(self.words)).multiply(self.idf[None, :]))

    def scores(self, method: TextMethod, texts: Sequence[Sequence[str]]) -> np.ndarray:
        """(len(texts), T) scores of ``method``; higher is better."""
        q = self.query(texts)
        return _SCORERS[method.name](self, q, method.param) + self.tag_prior


def fit_text_model(posts: Sequence[Post], tags: Sequence[str], min_word_count: int = 2) -> TextModel:
    """Word vocabulary (words in at least ``min_word_count`` posts), IDF and the training posts' rows; tags
    outside ``tags`` are ignored, posts without a known tag are dropped."""
    tag_index = {t: i for i, t in enumerate(tags)}
    kept = [(w, [tag_index[t] for t in dict.fromkeys(ts) if t in tag_index]) for w, ts in posts]
    kept = [(w, ts) for w, ts in kept if ts]
    df = Counter(word for w, _ in kept for word in set(w))
    words = tuple(sorted(w for w, n in df.items() if n >= min_word_count))
    index = {w: i for i, w in enumerate(words)}
    binary = _binary_rows([sorted({index[x] for x in w if x in index}) for w, _ in kept], len(words))
    idf = np.log((1.0 + len(kept)) / (1.0 + np.asarray(binary.sum(axis=0)).ravel())) + 1.0
    post_tags = _binary_rows([ts for _, ts in kept], len(tags))
    counts = np.asarray(post_tags.sum(axis=0), dtype=np.float64).ravel()
    return TextModel(
        words=words,
        tags=tuple(tags),
        idf=idf,
        posts=_unit_rows(binary.multiply(idf[None, :])),
        post_tags=post_tags,
        tag_counts=counts,
    )


def _binary_rows(rows: Sequence[Sequence[int]], width: int) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    return sparse.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(len(rows), width))


def _unit_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ matrix


def _popularity(model: TextModel, q: sparse.csr_matrix, _: float) -> np.ndarray:
    return np.tile(model.tag_counts, (q.shape[0], 1))


def _cooccurrence(model: TextModel, q: sparse.csr_matrix, _: float) -> np.ndarray:
    return np.asarray(((q > 0).astype(np.float32) @ model.word_tag).todense(), dtype=np.float64)


def _conditional(model: TextModel, q: sparse.csr_matrix, _: float) -> np.ndarray:
    df = np.asarray((model.posts > 0).sum(axis=0), dtype=np.float64).ravel()
    per_word = sparse.diags(1.0 / np.maximum(df, 1.0)) @ model.word_tag
    return np.asarray(((q > 0).astype(np.float32) @ per_word).todense(), dtype=np.float64)


def _centroid(model: TextModel, q: sparse.csr_matrix, beta: float) -> np.ndarray:
    votes = np.asarray((q @ model.tfidf_tag).todense(), dtype=np.float64)
    return votes / np.maximum(model.tag_counts, 1.0) ** beta


def _knn(model: TextModel, q: sparse.csr_matrix, k: float) -> np.ndarray:
    sims = np.asarray((q @ model.posts.T).todense(), dtype=np.float32)
    idx, near = top_k(sims, int(k))
    weights = (
        sparse.csr_matrix(
            (np.maximum(near, 0.0).ravel(), idx.ravel(), np.arange(0, idx.size + 1, idx.shape[1])), shape=sims.shape
        )
        if idx.size
        else sparse.csr_matrix(sims.shape, dtype=np.float32)
    )
    return np.asarray((weights @ model.post_tags).todense(), dtype=np.float64)


_SCORERS = {
    "popularity": _popularity,
    "cooccurrence": _cooccurrence,
    "conditional": _conditional,
    "centroid": _centroid,
    "knn": _knn,
}


def save_text_model(model: TextModel, method: TextMethod, path: Path) -> Path:
    """One ``.npz`` (no pickle): vocabularies, IDF, the training posts' rows and the chosen method."""
    arrays: dict[str, Any] = {  # Any: typed as arrays, ** could also fill savez_compressed's allow_pickle (bool)
        "words": np.array(model.words, dtype=str),
        "tags": np.array(model.tags, dtype=str),
        "idf": model.idf,
        "tag_counts": model.tag_counts,
        "method": np.array([method.name]),
        "param": np.array([method.param]),
    }
    for name in ("posts", "post_tags"):
        m = getattr(model, name)
        arrays.update({f"{name}_data": m.data, f"{name}_indices": m.indices, f"{name}_indptr": m.indptr})
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_text_model(path: Path) -> tuple[TextModel, TextMethod]:
    with np.load(path, allow_pickle=False) as d:
        words, tags = tuple(str(w) for w in d["words"]), tuple(str(t) for t in d["tags"])
        matrix = lambda name, width: sparse.csr_matrix(
            (d[f"{name}_data"], d[f"{name}_indices"], d[f"{name}_indptr"]), shape=(len(d[f"{name}_indptr"]) - 1, width)
        )
        model = TextModel(
            words=words,
            tags=tags,
            idf=d["idf"],
            posts=matrix("posts", len(words)),
            post_tags=matrix("post_tags", len(tags)),
            tag_counts=d["tag_counts"],
        )
        return model, TextMethod(name=str(d["method"][0]), param=float(d["param"][0]))
