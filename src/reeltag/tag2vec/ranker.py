"""Per-candidate features of the learned leave-one-tag-out ranker (pure numpy).

For a query (a post's other tags) the candidates are the union of the top ``n`` tags of each generating signal
(co-occurrence counts, summed P(t|q), two-hop random walk, Tag2Vec input-output, hybrid). Every candidate gets
the value of each signal and its value ÷ the row maximum, its log rank in each generating list, log
co-occurrence, log popularity and the log number of query tags. Signals: co-occurrence counts, P(t|c) summed
and maxed over the query tags ``c``, the two-hop walk Σ_c Σ_m P(m|c)·P(t|m), the hybrid, Tag2Vec input-output
and input-input (mean of the query and max over its tags), NPMI and Jaccard (max over the query tags). A
classifier (:mod:`reeltag.tag2vec.ranker_model`) turns the features into one score per candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from reeltag.tag2vec.baselines import AlignedSpace, Contexts, CsrMatrix, Vocabulary, hybrid_scores, per_context
from reeltag.tag2vec.evaluate import MEMORY_BUDGET, Queries, chunks

SIGNALS = (
    "cooc",
    "cond_sum",
    "cond_max",
    "two_hop",
    "hybrid",
    "tag2vec_io",
    "tag2vec_ii",
    "tag2vec_ii_max",
    "npmi_max",
    "jaccard_max",
)
GENERATORS = ("cooc", "cond_sum", "two_hop", "tag2vec_io", "hybrid")
FEATURES = (
    *(f"{s}{suffix}" for s in SIGNALS for suffix in ("", "/max")),
    *(f"log_rank_{g}" for g in GENERATORS),
    "log1p_cooc",
    "log_popularity",
    "log_query_tags",
)
# The signal rows of one chunk hold ~20 (queries + context tags) × V float64 arrays, not the 6 that
# MEMORY_BUDGET's cell size assumes for the plain scorers.
CHUNK_BUDGET = MEMORY_BUDGET // 4


@dataclass(frozen=True, kw_only=True, eq=False)
class TagStats:
    """What the features are computed from: co-occurrences, the Tag2Vec space, the hybrid's λ and the walk."""

    vocab: Vocabulary
    aligned: AlignedSpace
    pseudo_count: float
    walk: CsrMatrix  # row-normalised co-occurrence: P(next tag | tag)

    @classmethod
    def of(cls, vocab: Vocabulary, aligned: AlignedSpace, pseudo_count: float) -> "TagStats":
        rows = np.asarray(vocab.cooc.sum(axis=1)).ravel()
        return cls(
            vocab=vocab,
            aligned=aligned,
            pseudo_count=pseudo_count,
            walk=vocab.cooc.multiply(1.0 / np.maximum(rows, 1.0)[:, None]).tocsr(),
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class Candidates:
    """Candidate tags of consecutive queries: ``query[i]`` (0-based within the batch) proposes ``tag[i]``."""

    query: np.ndarray
    tag: np.ndarray
    features: np.ndarray  # (candidates, len(FEATURES))


def signal_rows(stats: TagStats, contexts: Contexts) -> dict[str, np.ndarray]:
    """Every signal of :data:`SIGNALS` for each query (rows) and vocabulary tag (columns); context tags -inf."""
    flat = np.array([c for context in contexts for c in context], dtype=np.int64)
    lengths = np.array([len(c) for c in contexts], dtype=np.int64)
    per_tag = _per_context_tag(stats, flat)
    out = {name: per_context(np.add, per_tag[name], lengths) for name in ("cooc", "cond_sum", "two_hop")}
    out["cond_max"] = per_context(np.maximum, per_tag["cond_sum"], lengths)
    out |= {f"{name}_max": per_context(np.maximum, per_tag[name], lengths) for name in ("npmi", "jaccard")}
    out |= {"tag2vec_ii_max": per_context(np.maximum, per_tag["tag2vec_ii"], lengths)}
    out["cooc"] += 1e-6 * stats.vocab.counts / stats.vocab.counts.max()
    out["hybrid"] = hybrid_scores(stats.vocab, stats.aligned, contexts, stats.pseudo_count)
    out["tag2vec_io"] = stats.aligned.input_output(contexts)
    out["tag2vec_ii"] = stats.aligned.input_input(contexts)
    return _masked({name: out[name] for name in SIGNALS}, contexts)


def _per_context_tag(stats: TagStats, flat: np.ndarray) -> dict[str, np.ndarray]:
    """One row per context tag: its co-occurrences and what they give (P(t|c), NPMI, Jaccard, two hops, cosine)."""
    counts = stats.vocab.counts
    cooc = np.asarray(stats.vocab.cooc[flat].todense(), dtype=np.float64)
    n_c, total = counts[flat][:, None], counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = cooc / total
        npmi = np.where(cooc > 0, np.log(joint / ((n_c / total) * (counts / total))) / -np.log(joint), 0.0)
    unit = stats.aligned.unit
    cosine = (unit[flat] @ unit.T).astype(np.float64)
    cosine[:, ~stats.aligned.known] = -1.0
    return {
        "cooc": cooc,
        "cond_sum": cooc / np.maximum(n_c, 1.0),
        "two_hop": np.asarray((stats.walk[flat] @ stats.walk).todense(), dtype=np.float64),
        "npmi": np.nan_to_num(npmi, nan=0.0, posinf=0.0, neginf=0.0),
        "jaccard": cooc / (n_c + counts - cooc),
        "tag2vec_ii": cosine,
    }


def _masked(signals: dict[str, np.ndarray], contexts: Contexts) -> dict[str, np.ndarray]:
    rows = np.repeat(np.arange(len(contexts)), [len(c) for c in contexts])
    cols = np.array([c for context in contexts for c in context], dtype=np.int64)
    for matrix in signals.values():
        matrix[rows, cols] = -np.inf
    return signals


def candidates(stats: TagStats, contexts: Contexts, per_signal: int) -> Candidates:
    """The candidates of ``contexts`` (one batch) and their :data:`FEATURES`."""
    return _candidates_of(stats, contexts, signal_rows(stats, contexts), per_signal)


def _candidates_of(stats: TagStats, contexts: Contexts, signals: dict[str, np.ndarray], per_signal: int) -> Candidates:
    picked = np.logical_or.reduce([_top_columns(signals[g], per_signal) for g in GENERATORS])
    query, tag = np.nonzero(picked)  # by query, then tag
    columns = [_value_columns(signals[s], query, tag) for s in SIGNALS]
    columns.append(np.stack([np.log(_rank_of(signals[g], query, tag)) for g in GENERATORS], axis=1))
    log_cooc = np.log1p(np.maximum(signals["cooc"][query, tag], 0.0))
    sizes = np.log(np.array([len(contexts[q]) for q in query.tolist()], dtype=np.float64))
    columns.append(np.stack([log_cooc, np.log(stats.vocab.counts[tag]), sizes], axis=1))
    return Candidates(query=query, tag=tag, features=np.concatenate(columns, axis=1))


def _value_columns(matrix: np.ndarray, query: np.ndarray, tag: np.ndarray) -> np.ndarray:
    """A signal's value per candidate and the value ÷ its query's maximum (0 when that is not positive)."""
    finite = np.where(np.isfinite(matrix), matrix, -np.inf)
    row_max = finite.max(axis=1)
    value = matrix[query, tag]
    value = np.where(np.isfinite(value), value, 0.0)
    top = row_max[query]
    return np.stack([value, np.where(top > 0, value / np.where(top > 0, top, 1.0), 0.0)], axis=1)


def _top_columns(matrix: np.ndarray, n: int) -> np.ndarray:
    """Mask of each row's ``n`` highest columns; ties at the cut go to the lower columns (a stable sort's order)."""
    n = min(n, matrix.shape[1])
    cut = -np.partition(-matrix, n - 1, axis=1)[:, n - 1 : n]  # each row's n-th highest value
    above, tied = matrix > cut, matrix == cut
    room = n - above.sum(axis=1, keepdims=True)
    return above | (tied & (np.cumsum(tied, axis=1) <= room))


def _rank_of(matrix: np.ndarray, query: np.ndarray, tag: np.ndarray) -> np.ndarray:
    """Each candidate's rank in its query's row: 1 + the number of tags scored strictly above it (tied tags share
    the best rank)."""
    ascending = np.sort(matrix, axis=1)
    value = matrix[query, tag]
    below_or_tied = np.empty(len(query), dtype=np.int64)
    for q in np.unique(query):
        mine = query == q
        below_or_tied[mine] = np.searchsorted(ascending[q], value[mine], side="right")
    return (matrix.shape[1] - below_or_tied + 1).astype(np.float64)


def batches(stats: TagStats, queries: Queries, per_signal: int) -> Iterator[tuple[slice, Candidates]]:
    """The candidates of all queries, in memory-bounded consecutive batches."""
    for part in chunks(queries.contexts, len(stats.vocab.tags), CHUNK_BUDGET):
        yield part, candidates(stats, queries.contexts[part], per_signal)


CandidateScorer = Callable[[np.ndarray], np.ndarray]  # features → one score per candidate


def ranked_scores(stats: TagStats, contexts: Contexts, per_signal: int, score: CandidateScorer) -> np.ndarray:
    """A (queries × V) score matrix: each candidate ``2 + score`` (a probability), every other tag its
    co-occurrence ÷ the row maximum (in [0, 1], so below every candidate), context tags -inf. Computed in
    batches of :data:`CHUNK_BUDGET`."""
    parts = chunks(contexts, len(stats.vocab.tags), CHUNK_BUDGET)
    return np.concatenate([_ranked_batch(stats, contexts[part], per_signal, score) for part in parts])


def _ranked_batch(stats: TagStats, contexts: Contexts, per_signal: int, score: CandidateScorer) -> np.ndarray:
    signals = signal_rows(stats, contexts)
    found = _candidates_of(stats, contexts, signals, per_signal)
    cooc = signals["cooc"]
    row_max = np.where(np.isfinite(cooc), cooc, 0.0).max(axis=1, keepdims=True)
    out = cooc / np.maximum(row_max, 1e-12)
    out[found.query, found.tag] = 2.0 + score(found.features)
    return out


def labels(found: Candidates, targets: np.ndarray) -> np.ndarray:
    """1 where a candidate is its query's hidden tag."""
    return (found.tag == targets[found.query]).astype(np.int8)


def sample_negatives(found: Candidates, y: np.ndarray, keep: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices to train on: per query whose hidden tag is a candidate, that candidate and at most ``keep`` of
    the others (seeded sample); queries without their hidden tag among the candidates teach nothing and are dropped."""
    rows = []
    for q in np.unique(found.query):
        mine = np.flatnonzero(found.query == q)
        positive, negative = mine[y[mine] == 1], mine[y[mine] == 0]
        if positive.size:
            rows.extend([positive, rng.choice(negative, min(keep, negative.size), replace=False)])
    return np.concatenate(rows) if rows else np.array([], np.int64)


def training_rows(
    stats: TagStats, queries: Queries, per_signal: int, keep: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the (sub-sampled) candidates of every query."""
    xs, ys = [], []
    for part, found in batches(stats, queries, per_signal):
        y = labels(found, queries.targets[part])
        rows = sample_negatives(found, y, keep, rng)
        xs.append(found.features[rows])
        ys.append(y[rows])
    return np.concatenate(xs), np.concatenate(ys)
