"""Candidate scorers over one reference vocabulary (pure numpy/scipy).

Every scorer maps a batch of contexts (lists of vocabulary rows) to a score matrix (queries × vocabulary):
popularity and co-occurrence counts (the baselines every user asks about), Tag2Vec input-input (cosine of
input vectors) and input-output (input · negative-sampling output vectors), and a hybrid: co-occurrence
probability smoothed towards Tag2Vec's input-output probability for rare context tags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from reeltag.io import atomic_path
from reeltag.tag2vec.space import TagSpace

VOCABULARY_FILE = "cooccurrence.npz"

Contexts = Sequence[Sequence[int]]
CsrMatrix = sparse.csr_matrix  # named here for the modules that use one without importing scipy (the import map)


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Tags seen at least ``min_count`` times in the training sentences, with counts and co-occurrences."""

    tags: tuple[str, ...]
    counts: np.ndarray
    cooc: sparse.csr_matrix  # symmetric, zero diagonal

    @cached_property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tags)}

    @classmethod
    def fit(cls, sentences: Sequence[Sequence[str]], min_count: int) -> "Vocabulary":
        freq = Counter(t for s in sentences for t in set(s))
        tags = tuple(sorted((t for t, n in freq.items() if n >= min_count), key=lambda t: (-freq[t], t)))
        index = {t: i for i, t in enumerate(tags)}
        rows: list[int] = []
        cols: list[int] = []
        for s in sentences:
            ids = sorted({index[t] for t in s if t in index})
            for a in ids:
                rows.extend([a] * (len(ids) - 1))
                cols.extend(b for b in ids if b != a)
        cooc = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(tags), len(tags)))
        cooc.sum_duplicates()
        return cls(tags, np.array([freq[t] for t in tags], dtype=np.float64), cooc)


def save_vocabulary(vocab: Vocabulary, folder: Path) -> None:
    """Tags, counts and the co-occurrence matrix (what the served hybrid recommender needs)."""
    coo = vocab.cooc.tocoo()
    with atomic_path(folder / VOCABULARY_FILE) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, tags=np.array(vocab.tags, dtype=str), counts=vocab.counts, row=coo.row, col=coo.col, data=coo.data)


def load_vocabulary(folder: Path) -> Vocabulary | None:
    """The saved vocabulary, or None when the folder has none."""
    if not (folder / VOCABULARY_FILE).is_file():
        return None
    with np.load(folder / VOCABULARY_FILE, allow_pickle=False) as d:
        n = len(d["tags"])
        cooc = sparse.csr_matrix((d["data"], (d["row"], d["col"])), shape=(n, n))
        return Vocabulary(tuple(str(t) for t in d["tags"]), d["counts"], cooc)


def popularity_scores(vocab: Vocabulary, contexts: Contexts) -> np.ndarray:
    return np.tile(vocab.counts, (len(contexts), 1))


def cooccurrence_scores(vocab: Vocabulary, contexts: Contexts) -> np.ndarray:
    """Summed co-occurrence counts with the context tags; popularity breaks ties."""
    return _context_sum(vocab.cooc, contexts) + 1e-6 * vocab.counts / vocab.counts.max()


def _context_sum(matrix: sparse.csr_matrix, contexts: Contexts) -> np.ndarray:
    rows = np.repeat(np.arange(len(contexts)), [len(c) for c in contexts])
    cols = np.concatenate([np.asarray(c, dtype=np.int64) for c in contexts]) if contexts else np.array([], np.int64)
    selector = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(contexts), matrix.shape[0]))
    return np.asarray((selector @ matrix).todense(), dtype=np.float64)


@dataclass(frozen=True, kw_only=True, eq=False)
class AlignedSpace:
    """A :class:`TagSpace` re-indexed onto a reference vocabulary (unknown tags get no vector)."""

    known: np.ndarray  # bool per vocabulary tag
    inputs: np.ndarray  # (V, d), zeros where unknown
    unit: np.ndarray  # (V, d) unit input vectors
    outputs: np.ndarray | None  # (V, d)

    @classmethod
    def of(cls, space: TagSpace, vocab: Vocabulary) -> "AlignedSpace":
        rows = np.array([_row(space, t) for t in vocab.tags], dtype=np.int64)
        known = rows >= 0
        pick = lambda m: np.where(known[:, None], m[np.maximum(rows, 0)], 0.0).astype(np.float32)  # noqa: E731
        outputs = pick(space.output_vectors) if space.output_vectors is not None else None
        return cls(known=known, inputs=pick(space.vectors), unit=pick(space.unit_vectors), outputs=outputs)

    def _mask(self, scores: np.ndarray) -> np.ndarray:
        scores[:, ~self.known] = -np.inf
        return scores

    def input_input(self, contexts: Contexts) -> np.ndarray:
        return self._mask(_context_mean(self.unit, contexts) @ self.unit.T)

    def input_output(self, contexts: Contexts) -> np.ndarray:
        outputs = self.outputs if self.outputs is not None else self.unit
        return self._mask(_context_mean(self.inputs, contexts) @ outputs.T)

    def output_probability(self, contexts: Contexts) -> np.ndarray:
        """Softmax over known tags of the input-output logits."""
        logits = self.input_output(contexts)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)


def _row(space: TagSpace, tag: str) -> int:
    row = space.index.get(tag)
    if row is None:
        row = space.index.get(space.surface.canonical(tag))
    return -1 if row is None else row


def _context_mean(matrix: np.ndarray, contexts: Contexts) -> np.ndarray:
    return np.stack([matrix[list(c)].mean(axis=0) if len(c) else np.zeros(matrix.shape[1], matrix.dtype) for c in contexts])


def hybrid_scores(vocab: Vocabulary, aligned: AlignedSpace, contexts: Contexts, pseudo_count: float) -> np.ndarray:
    """Co-occurrence smoothed by Tag2Vec for rare tags: per context tag ``c`` with ``n`` co-occurrences,
    ``(n·P_cooc(t|c) + λ·P_tag2vec(t|c)) / (n + λ)``, averaged over the context tags (λ = ``pseudo_count``)."""
    rows = np.asarray(vocab.cooc.sum(axis=1)).ravel()
    flat = [c for context in contexts for c in context]
    n = rows[flat][:, None]
    cooc = np.asarray(vocab.cooc[flat].todense(), dtype=np.float64) / np.maximum(n, 1.0)
    tag2vec = aligned.output_probability([(c,) for c in flat])
    mixed = (n * cooc + pseudo_count * tag2vec) / np.maximum(n + pseudo_count, 1e-12)
    lengths = np.array([len(c) for c in contexts], dtype=np.int64)
    return per_context(np.add, mixed, lengths) / np.maximum(lengths, 1)[:, None]


def per_context(op: np.ufunc, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``op`` (``np.add``, ``np.maximum``) over each context's consecutive ``rows`` (one per context tag, contexts
    in order, ``lengths`` tags each), left to right; an empty context gives a row of zeros.

    One vectorised step per context position: ``np.ufunc.reduceat`` along axis 0 and ``np.add.at`` are 10-20x
    slower on these (a few rows × V) matrices."""
    starts = np.cumsum(lengths) - lengths
    out = np.zeros((len(lengths), rows.shape[1]), dtype=rows.dtype)
    for k in range(int(lengths.max(initial=0))):
        longer = np.flatnonzero(lengths > k)
        out[longer] = rows[starts[longer]] if k == 0 else op(out[longer], rows[starts[longer] + k])
    return out
