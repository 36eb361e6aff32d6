"""Learned combination of leave-one-tag-out signals (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from reeltag.tag2vec.combined import (
    combine,
    rank_with,
    row_max_normalised,
    tune_weights,
)
from reeltag.tag2vec.evaluate import Queries, score


def test_row_max_normalised_ignores_minus_infinity() -> None:
    out = row_max_normalised(np.array([[2.0, -np.inf, 1.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(out, [[1.0, 0.0, 0.5], [0.0, 0.0, 0.0]])


def test_combine_leaves_unweighted_signals_out() -> None:
    signals = {"a": np.array([[1.0, 2.0]]), "b": np.array([[4.0, 0.0]])}
    np.testing.assert_allclose(combine(signals, {"a": 1.0, "b": 0.0}), [[0.5, 1.0]])


def _setting() -> tuple[Queries, dict[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    n, v = 40, 12
    targets = rng.integers(1, v, size=n)
    queries = Queries(tuple((0,) for _ in range(n)), targets, n)
    knows = rng.random((n, v)) * 0.5
    knows[np.arange(n), targets] = 1.0
    return queries, {"noise": rng.random((n, v)), "knows": knows}


def test_tune_weights_picks_the_informative_signal() -> None:
    queries, cached = _setting()
    combo = tune_weights(cached, queries, ["noise", "knows"], 0.25, k=1)
    assert combo.weights["knows"] >= 0.75 and combo.val.hit_at_k == pytest.approx(1.0)
    noise_only = score(
        rank_with(lambda rows: {"noise": cached["noise"][rows]}, queries, {"noise": 1.0}, cached["noise"].shape[1]), 1
    )
    assert noise_only.hit_at_k < 0.5


def test_rank_with_scores_chunks_in_order() -> None:
    queries, cached = _setting()
    ranked = rank_with(lambda rows: {n: cached[n][rows] for n in cached}, queries, {"knows": 1.0}, cached["knows"].shape[1])
    assert (ranked == 1).all()
