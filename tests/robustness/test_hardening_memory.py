"""Issue 13, finding 10: memory no longer grows with user-controlled sizes. Peaks are measured with tracemalloc
(numpy reports its buffers to it) on sizes where the old code needed several times the bound asserted here; the
V = 200k figures are bench M1 (``python -m bench.bench_memory``), not a test."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from reeltag import bootstrap
from reeltag.corpus.posts import iter_lines, iter_raw
from reeltag.tag2vec import evaluate, trends
from reeltag.tag2vec.baselines import Vocabulary
from reeltag.tag2vec.space import TagSpace

pytestmark = pytest.mark.robustness
MB = 2**20


def _peak(call: Callable[[], Any]) -> tuple[Any, float]:
    """``call()``'s result and the most memory it held at once, MiB."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def _space(n_tags: int, version: str, seed: int) -> TagSpace:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n_tags, 8), dtype=np.float32)
    return TagSpace(
        tags=tuple(f"t{i}" for i in range(n_tags)),
        vectors=vectors,
        version=version,
        output_vectors=vectors.copy(),
        counts=np.arange(n_tags, 0, -1.0),
    )


def test_the_trend_report_holds_a_budget_of_similarities_not_2000_full_rows(tried) -> None:
    """10k tags: 2000 × 10k float32 similarities + an int64 argsort were ~230 MiB; now ≤ the 64 MiB budget."""
    tried.bad_input("memory", "trend report over a large tag vocabulary")
    old, new = _space(10_000, "1", 1), _space(10_000, "2", 2)
    old.unit_vectors, new.unit_vectors  # noqa: B018 (cached: not part of the step's growth)
    report, peak = _peak(lambda: trends.trend_report(old, new, k=10, top=20))
    assert len(report.moved_tags) == 20 and peak < 80, f"{peak:.0f} MiB"


def test_neighbours_found_in_chunks_are_those_of_a_full_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    space = _space(500, "1", 3)
    sims = space.unit_vectors[:200] @ space.unit_vectors.T
    sims[np.arange(200), np.arange(200)] = -np.inf
    full_sort = [{space.tags[j] for j in line} for line in np.argsort(-sims, axis=1)[:, :7]]
    monkeypatch.setattr(trends, "MEMORY_BUDGET", 7 * 12 * 500, raising=False)  # 7 rows per chunk (12 bytes per cell)
    assert trends._neighbour_sets(space, list(space.tags[:200]), 7) == full_sort


def _vocabulary(n_tags: int, seed: int = 4) -> Vocabulary:
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, n_tags, size=(5 * n_tags, 2))
    upper = sparse.coo_matrix((np.ones(len(pairs), np.float32), (pairs[:, 0], pairs[:, 1])), shape=(n_tags, n_tags))
    cooc = (upper + upper.T).tocsr()
    cooc.setdiag(0)
    cooc.eliminate_zeros()
    return Vocabulary(tuple(f"t{i}" for i in range(n_tags)), np.arange(n_tags, 0, -1.0), cooc)


def _queries(vocab: Vocabulary, posts: int, seed: int = 5) -> evaluate.Queries:
    rng = np.random.default_rng(seed)
    n = len(vocab.tags)
    return evaluate.make_queries(
        [[vocab.tags[i] for i in rng.integers(0, n, size=rng.integers(2, 6))] for _ in range(posts)], vocab
    )


def test_evaluation_chunks_by_a_memory_budget(monkeypatch: pytest.MonkeyPatch, tried) -> None:
    """5k tags, ~400 queries: the old 512-query chunk held ~5 dense (context tags × V) float64 matrices for the
    hybrid (~300 MiB); with an 8 MiB budget the step stays near it, and every figure is the same."""
    tried.bad_input("memory", "evaluation over a large tag vocabulary")
    vocab = _vocabulary(5_000)
    queries, space = _queries(vocab, 130), _space(5_000, "1", 6)
    everything_at_once = evaluate.evaluate_methods(vocab, queries, space, 10, 100.0)
    monkeypatch.setattr(evaluate, "MEMORY_BUDGET", 8 * MB, raising=False)
    results, peak = _peak(lambda: evaluate.evaluate_methods(vocab, queries, space, 10, 100.0))
    assert results == everything_at_once
    assert peak < 30, f"{peak:.0f} MiB"


def test_chunks_cover_every_query_once_within_the_budget() -> None:
    contexts = [(1,), (1, 2, 3), (4,), (5, 6), ()]
    parts = list(evaluate.chunks(contexts, n_tags=10, budget=4 * evaluate.BYTES_PER_CELL * 10))
    assert [(p.start, p.stop) for p in parts] == [(0, 1), (1, 2), (2, 3), (3, 5)]
    assert list(evaluate.chunks([(1, 2, 3, 4, 5)], n_tags=10, budget=1)) == [slice(0, 1)]  # one query even when over


def test_bootstrap_resamples_are_streamed_with_the_same_draws(monkeypatch: pytest.MonkeyPatch, tried) -> None:
    """5000 topics × 2000 resamples were 2 × 80 MB at once; now a block at a time, with the same draws for the same
    seed (so the same CI) as one big draw."""
    tried.bad_input("memory", "bootstrap over many topics")
    deltas = np.random.default_rng(8).normal(size=5_000)
    one_draw = deltas[np.random.default_rng(11).integers(0, 5_000, size=(2_000, 5_000))].mean(axis=1)
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_BLOCK", 1_000_000, raising=False)
    (low, high), peak = _peak(lambda: bootstrap.bootstrap_ci(deltas, 2_000, 11))
    # the same to the last bits or so (SIMD sums may round with the buffer's alignment); other draws differ by ~1e-3
    assert (low, high) == pytest.approx((np.quantile(one_draw, 0.025), np.quantile(one_draw, 0.975)), rel=1e-12)
    assert peak < 25, f"{peak:.0f} MiB"
    assert np.allclose(bootstrap.resample_means(deltas, 2_000, np.random.default_rng(11)), one_draw, rtol=1e-12, atol=0)


def test_an_overlong_post_line_is_never_read_whole(tmp_path: Path, tried) -> None:
    """A 30 MB line was read into memory (bytes, then text) before its length was checked."""
    tried.bad_input("memory", "30 MB post line (bounded line reader)")
    path = tmp_path / "p.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"id": "big", "text": "' + b"#x " * 10_000_000 + b'"}\n{"id": "ok", "text": "#a #b"}\n')
    rows, peak = _peak(lambda: list(iter_raw(path, "jsonl", iter_lines(path))))
    assert rows[0][1].reason.startswith("line of 30,000,026 bytes") and rows[0][0].end == 30_000_026
    assert rows[1][1].id == "ok" and rows[1][0].end == path.stat().st_size
    assert peak < 4, f"{peak:.1f} MiB"  # one 400 kB buffer and a 1 MiB skip chunk, not 30 MB (twice)
