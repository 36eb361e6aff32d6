"""Suggestion metrics and baselines on hand-checked arrays."""

import numpy as np
import pytest

from reeltag.mapper.evaluate import (
    Examples,
    Truth,
    average_precision,
    best_fusion_weight,
    compare_methods,
    knn_scores,
    method_scores,
    popularity_scores,
    prefixed,
    ranking_metrics,
    with_zero_shot,
)

VOCAB = ["a", "b", "c", "d"]


def test_metrics_by_hand() -> None:
    truth = Truth.from_tags([["a", "c", "zzz"]], VOCAB)  # zzz is outside the vocabulary: it costs recall
    scores = np.array([[0.9, 0.8, 0.7, 0.1]])  # ranking a, b, c, d
    m = ranking_metrics(scores, truth, ks=(1, 2, 4))
    assert m["p_at_1"] == 1.0 and m["p_at_2"] == 0.5 and m["p_at_4"] == 0.5
    assert m["r_at_4"] == pytest.approx(2 / 3) and m["hit_at_1"] == 1.0
    assert m["map"] == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert truth.coverage() == pytest.approx(2 / 3)


def test_average_precision_of_perfect_and_worst_rankings() -> None:
    assert average_precision(np.array([3.0, 2.0, 1.0]), frozenset({0, 1}), 2) == 1.0
    assert average_precision(np.array([3.0, 2.0, 1.0]), frozenset({2}), 1) == pytest.approx(1 / 3)
    assert average_precision(np.array([3.0, 2.0]), frozenset(), 1) == 0.0


def test_popularity_ranks_frequent_training_tags_first() -> None:
    train = Truth.from_tags([["a", "b"], ["b"], ["b", "c"]], VOCAB)
    scores = popularity_scores(train, 2, len(VOCAB))
    assert scores.shape == (2, 4) and list(np.argsort(-scores[0], kind="stable")[:2]) == [1, 0]


def test_knn_transfers_the_labels_of_the_nearest_video() -> None:
    train = Truth.from_tags([["a"], ["d"]], VOCAB)
    feats = np.array([[1.0, 0.0], [0.0, 1.0]])
    scores = knn_scores(feats, train, np.array([[0.1, 1.0]]), len(VOCAB), k=1)
    assert int(np.argmax(scores[0])) == 3 and scores[0, 0] == 0.0


def test_fusion_weight_picks_the_informative_source() -> None:
    truth = Truth.from_tags([["a"], ["b"]], VOCAB)
    good = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    bad = np.array([[0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    assert best_fusion_weight(good, bad, truth, metric="p_at_1") == 1.0
    assert best_fusion_weight(bad, good, truth, metric="p_at_1") <= 0.5  # 0.5 ties (equal z-scores)
    assert np.allclose(with_zero_shot(good, bad, 1.0).argmax(1), [0, 1])


def test_prefixed_names() -> None:
    assert prefixed({"mapper": {"p_at_5": 0.5}}, "test") == {"test/mapper/p_at_5": 0.5}


def test_method_scores_and_comparison_cover_every_method() -> None:
    tags = np.eye(4)
    train = Examples(np.array([[1.0, 0.0], [0.0, 1.0]]), Truth.from_tags([["a"], ["b"]], VOCAB))
    test = Examples(np.array([[1.0, 0.1]]), Truth.from_tags([["a"]], VOCAB))
    text = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [-1.0, 0.0]])
    scores = method_scores(np.array([[1.0, 0, 0, 0]]), test, train, tags, text, knn_k=1)
    assert set(scores) == {"mapper", "popularity", "knn", "zero_shot"}
    metrics = compare_methods(scores, test.truth, fusion_weight=0.5)
    assert set(metrics) == {"mapper", "popularity", "knn", "zero_shot", "fused"}
    assert metrics["mapper"]["p_at_1"] == 1.0 and metrics["knn"]["p_at_1"] == 1.0
    assert "zero_shot" not in method_scores(np.ones((1, 4)), test, train, tags, None)
