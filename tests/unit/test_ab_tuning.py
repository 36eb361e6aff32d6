"""Paired A/B statistics and cross-validated selection of the rerank setting."""

import pytest

from reeltag.ab.paired import compare_paired
from reeltag.rerank.tuning import Setting, cross_validate, grid, make_folds, select


def test_consistent_gain_has_ci_excluding_zero_and_counts_wins() -> None:
    a = {f"q{i}": 0.2 + 0.01 * i for i in range(12)}
    b = {q: v + 0.1 + (0.02 if i % 2 else 0.0) for i, (q, v) in enumerate(a.items())}
    cmp = compare_paired(a, b, "map", resamples=500, seed=1)
    assert cmp.mean_delta == pytest.approx(0.11)
    assert cmp.ci_excludes_zero and cmp.ci_low > 0.09
    assert (cmp.wins, cmp.ties, cmp.losses, cmp.n_topics) == (12, 0, 0, 12)
    assert cmp.wilcoxon_p < 0.01
    assert cmp.metrics()["ci_low/map"] == cmp.ci_low and cmp.metrics()["wins/map"] == 12


def test_noise_gives_ci_including_zero_and_identical_systems_give_p_one() -> None:
    a = {f"q{i}": 0.5 for i in range(10)}
    b = {f"q{i}": 0.5 + (0.1 if i % 2 else -0.1) for i in range(10)}
    assert not compare_paired(a, b, "map", resamples=500).ci_excludes_zero
    same = compare_paired(a, a, "map", resamples=200)
    assert (same.wilcoxon_p, same.ties, same.mean_delta) == (1.0, 10, 0.0)


def test_only_shared_topics_are_compared() -> None:
    cmp = compare_paired({"q1": 0.1, "q2": 0.2}, {"q2": 0.3, "q3": 0.9}, "map", resamples=100)
    assert (cmp.n_topics, cmp.unpaired) == (1, 2)
    with pytest.raises(ValueError):
        compare_paired({"q1": 0.1}, {"q2": 0.1}, "map")


def test_grid_keeps_the_engine_only_alpha_zero_once() -> None:
    settings = grid([0.0, 0.5, 1.0], ["minmax", "zscore"], ["max", "mean"])
    assert len(settings) == 2 * 2 * 2 + 1
    assert [s for s in settings if s.alpha == 0.0] == [Setting(0.0, "minmax", "max")]
    assert sum(s.alpha == 1.0 for s in settings) == 4  # CLIP alone depends on normalisation and pooling


def test_folds_are_seeded_and_cover_every_topic_once() -> None:
    topics = [f"q{i}" for i in range(7)]
    folds = make_folds(topics, 3, seed=5)
    assert sorted(t for f in folds for t in f) == sorted(topics) and len(folds) == 3
    assert folds == make_folds(topics, 3, seed=5)
    assert len(make_folds(topics[:4], 5, seed=5)) == 4  # leave-one-topic-out
    with pytest.raises(ValueError):
        make_folds(["q1"], 5, seed=5)


def test_selection_prefers_smaller_alpha_on_ties_and_cv_holds_topics_out() -> None:
    base, fused = Setting(0.0, "minmax", "max"), Setting(0.5, "minmax", "max")
    topics = ["q1", "q2", "q3", "q4"]
    assert select({fused: dict.fromkeys(topics, 0.5), base: dict.fromkeys(topics, 0.5)}, topics) == base
    assert select({base: dict.fromkeys(topics, 0.5), fused: dict.fromkeys(topics, 0.5)}, topics) == base
    # a steady gain on every topic is chosen in every fold; each topic is scored by a choice made without it
    steady = {"q1": 0.8, "q2": 0.82, "q3": 0.79, "q4": 0.81}
    cv = cross_validate({base: dict.fromkeys(topics, 0.5), fused: steady}, topics, k=4, seed=0)
    assert cv.chosen == fused and set(cv.fold_choices) == {fused}
    assert cv.held_out == steady and cv.mean == pytest.approx(0.805)
    # an overfit setting that only shines on one topic is never chosen for that topic
    lucky = Setting(0.9, "zscore", "mean")
    table = {base: dict.fromkeys(topics, 0.5), lucky: {"q1": 1.0, "q2": 0.4, "q3": 0.4, "q4": 0.4}}
    cv = cross_validate(table, topics, k=4, seed=0)
    assert cv.held_out["q1"] == 0.5 and cv.mean <= 0.5


def test_one_standard_error_rule_prefers_the_conservative_setting_within_noise() -> None:
    base, noisy = Setting(0.0, "minmax", "max"), Setting(0.7, "minmax", "max")
    topics = ["q1", "q2", "q3", "q4"]
    # noisy: mean 0.5875, SE = sd(1.0, 0.4, 0.45, 0.5) / 2 = 0.139 -> the engine's 0.5 is within one SE
    table = {noisy: {"q1": 1.0, "q2": 0.4, "q3": 0.45, "q4": 0.5}, base: dict.fromkeys(topics, 0.5)}
    assert select(table, topics) == base
    clear = {noisy: {"q1": 0.9, "q2": 0.85, "q3": 0.88, "q4": 0.9}, base: dict.fromkeys(topics, 0.5)}
    assert select(clear, topics) == noisy
