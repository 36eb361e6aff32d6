"""Leave-one-tag-out evaluation on held-out posts (pure numpy).

For every held-out post with at least two distinct tags in the reference vocabulary, each tag in turn is
hidden and ranked among all vocabulary tags (context tags excluded) from the others. Ties count against
the hidden tag; a tag a model does not know is a miss. All methods are scored on the same queries.

Per slice (:mod:`reeltag.slices`): each query is one item of the ``tag_frequency`` slice, banded by its hidden
tag's training frequency (training posts that carry it), valued 1 when the hidden tag is in the top k (``hit_at_k``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.config import SlicesSection
from reeltag.slices import SliceFigure, frequency_band, slice_figures
from reeltag.tag2vec.baselines import AlignedSpace, Contexts, Vocabulary, cooccurrence_scores, hybrid_scores, popularity_scores
from reeltag.tag2vec.space import TagSpace

Scorer = Callable[[Contexts], np.ndarray]
# Score matrices held at once, bytes. Chunks of 512 queries were dense 512 × V float64 (499 MiB at V = 40k); the
# hybrid even holds one row per CONTEXT tag, ~6 float64 arrays of them: each query costs (1 + context tags) × V × 48.
MEMORY_BUDGET = 256 * 2**20
BYTES_PER_CELL = 48
GATED = "tag2vec_io"  # the method the promotion gate reads
BASELINES = ("popularity", "cooccurrence")


@dataclass(frozen=True)
class Queries:
    contexts: tuple[tuple[int, ...], ...]
    targets: np.ndarray  # vocabulary row of each hidden tag
    posts: int  # held-out posts that gave queries


@dataclass(frozen=True)
class MethodScore:
    hit_at_k: float
    mrr_at_k: float


def make_queries(sentences: Sequence[Sequence[str]], vocab: Vocabulary) -> Queries:
    contexts, targets, posts = [], [], 0
    for sentence in sentences:
        rows = list(dict.fromkeys(vocab.index[t] for t in sentence if t in vocab.index))
        if len(rows) < 2:
            continue
        posts += 1
        for i, target in enumerate(rows):
            contexts.append(tuple(rows[:i] + rows[i + 1 :]))
            targets.append(target)
    return Queries(tuple(contexts), np.array(targets, dtype=np.int64), posts)


def chunks(contexts: Sequence[Sequence[int]], n_tags: int, budget: int) -> Iterator[slice]:
    """Consecutive query ranges whose score matrices fit ``budget`` (at least one query each)."""
    cells = max(1, budget // (BYTES_PER_CELL * max(n_tags, 1)))
    start, used = 0, 0
    for i, context in enumerate(contexts):
        if i > start and used + 1 + len(context) > cells:
            yield slice(start, i)
            start, used = i, 0
        used += 1 + len(context)
    if start < len(contexts):
        yield slice(start, len(contexts))


def ranks(scorer: Scorer, queries: Queries, n_tags: int) -> np.ndarray:
    """1-based rank of each hidden tag among ``n_tags`` (``inf`` when it cannot be ranked)."""
    out = [
        _chunk_ranks(scorer, queries.contexts[part], queries.targets[part])
        for part in chunks(queries.contexts, n_tags, MEMORY_BUDGET)
    ]
    return np.concatenate(out) if out else np.array([], dtype=np.float64)


def _chunk_ranks(scorer: Scorer, contexts: Contexts, targets: np.ndarray) -> np.ndarray:
    scores = scorer(contexts).astype(np.float64, copy=False)  # every scorer returns a fresh matrix: no copy needed
    for row, context in enumerate(contexts):
        scores[row, list(context)] = -np.inf
    target = scores[np.arange(len(contexts)), targets]
    rank = (scores >= target[:, None]).sum(axis=1).astype(np.float64)
    return np.where(np.isfinite(target), rank, np.inf)


def score(rank: np.ndarray, k: int) -> MethodScore:
    if rank.size == 0:
        return MethodScore(float("nan"), float("nan"))
    top = rank <= k
    return MethodScore(float(top.mean()), float(np.where(top, 1.0 / rank, 0.0).mean()))


def scorers(vocab: Vocabulary, space: TagSpace | None, hybrid_pseudo_count: float) -> dict[str, Scorer]:
    """Every method, by name: popularity, cooccurrence and, with a space, tag2vec_ii, tag2vec_io, hybrid."""
    found: dict[str, Scorer] = {
        "popularity": lambda c: popularity_scores(vocab, c),
        "cooccurrence": lambda c: cooccurrence_scores(vocab, c),
    }
    if space is not None:
        aligned = AlignedSpace.of(space, vocab)
        found["tag2vec_ii"] = aligned.input_input
        found["tag2vec_io"] = aligned.input_output
        found["hybrid"] = lambda c: hybrid_scores(vocab, aligned, c, hybrid_pseudo_count)
    return found


def method_ranks(
    vocab: Vocabulary, queries: Queries, space: TagSpace | None, hybrid_pseudo_count: float
) -> dict[str, np.ndarray]:
    """Every method's rank of each hidden tag (:func:`ranks`)."""
    found = scorers(vocab, space, hybrid_pseudo_count)
    return {name: ranks(scorer, queries, len(vocab.tags)) for name, scorer in found.items()}


def evaluate_methods(
    vocab: Vocabulary, queries: Queries, space: TagSpace | None, k: int, hybrid_pseudo_count: float
) -> dict[str, MethodScore]:
    return {name: score(rank, k) for name, rank in method_ranks(vocab, queries, space, hybrid_pseudo_count).items()}


def frequency_slices(
    vocab: Vocabulary, queries: Queries, challenger: np.ndarray, reference: np.ndarray | None, *, k: int, bands: SlicesSection
) -> list[SliceFigure]:
    """Per band of the hidden tag's training frequency: hit@k of the ``challenger`` ranks against the
    ``reference`` ranks of the same queries."""
    band = [frequency_band(int(n), head_min=bands.head_min, tail_max=bands.tail_max) for n in vocab.counts[queries.targets]]
    return slice_figures(
        slice_name="tag_frequency",
        metric=f"hit_at_{k}",
        bands=band,
        challenger=(challenger <= k).astype(float),
        reference=None if reference is None else (reference <= k).astype(float),
    )


def best_baseline(results: dict[str, MethodScore]) -> str:
    """The baseline with the best hit@k (then MRR@k)."""
    return max(BASELINES, key=lambda name: (results[name].hit_at_k, results[name].mrr_at_k))


def recommender(results: dict[str, MethodScore]) -> str:
    """The method to offer: the hybrid when it beats both baselines on hit@k and MRR@k, else the best other
    method by hit@k (then MRR@k)."""
    baselines = [results["popularity"], results["cooccurrence"]]
    hybrid = results.get("hybrid")
    if hybrid and all(hybrid.hit_at_k > b.hit_at_k and hybrid.mrr_at_k > b.mrr_at_k for b in baselines):
        return "hybrid"
    others = [name for name in results if name != "hybrid"]
    return max(others, key=lambda name: (results[name].hit_at_k, results[name].mrr_at_k))


def metric_dict(results: dict[str, MethodScore], k: int, split: str = "test") -> dict[str, float]:
    """``test/<method>_hit_at_<k>`` and ``test/<method>_mrr_at_<k>`` for MLflow."""
    out = {}
    for name, result in results.items():
        out[f"{split}/{name}_hit_at_{k}"] = result.hit_at_k
        out[f"{split}/{name}_mrr_at_{k}"] = result.mrr_at_k
    return out
