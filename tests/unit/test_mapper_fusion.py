"""Fusion of the suggestion branches and the text branch's candidate scores (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from reeltag.corpus.tags import TagRules
from reeltag.mapper.evaluate import Truth, ranking_metrics
from reeltag.ranking import fuse, weight_grid
from reeltag.suggest.fusion import fit_ranker, label_prior, leading_branch
from reeltag.text.branch import UNKNOWN_WORDS, text_branch
from reeltag.text.model import TextMethod, fit_text_model
from reeltag.text.words import read_text

KEYS = ("ocean", "winter", "food", "party", "love", "sunset")


def test_weight_grid_covers_the_simplex() -> None:
    grid = weight_grid(["a", "b", "c"], 0.5)
    assert len(grid) == 6 and all(sum(w.values()) == pytest.approx(1.0) for w in grid)


def test_a_constant_branch_does_not_move_the_fused_ranking() -> None:
    mapper = np.array([[0.9, 0.1, 0.5, 0.2, 0.3, 0.0]])
    fused = fuse({"mapper": mapper, "text": np.zeros_like(mapper)}, {"mapper": 0.5, "text": 0.5})
    assert np.argsort(-fused[0]).tolist() == np.argsort(-mapper[0]).tolist()


def test_fit_ranker_leans_on_the_branch_that_knows() -> None:
    rng = np.random.default_rng(0)
    truth = Truth(tuple(frozenset({i % 6}) for i in range(12)), tuple([1] * 12))
    informative = np.eye(6)[[i % 6 for i in range(12)]] + 0.1 * rng.random((12, 6))
    noise = rng.random((12, 6))
    fitted = fit_ranker({"mapper": noise, "knn": rng.random((12, 6)), "text": informative}, truth)
    assert fitted.weights["text"] > max(abs(fitted.weights["mapper"]), abs(fitted.weights["knn"]))
    assert sum(abs(w) for w in fitted.weights.values()) == pytest.approx(1.0)
    assert fitted.cv["hit_at_1"] == 1.0 > ranking_metrics(noise, truth)["hit_at_1"]
    assert fitted.importance["text"] > max(fitted.importance["mapper"], fitted.importance["knn"])


def test_label_prior_counts_the_labelled_videos_of_each_tag() -> None:
    prior = label_prior(Truth((frozenset({0, 2}), frozenset({0})), (2, 1)), 4)
    assert prior.tolist() == pytest.approx(np.log1p([2.0, 0.0, 1.0, 0.0]).tolist())


def test_leading_branch_names_the_largest_contribution_never_the_prior() -> None:
    branches = {"mapper": np.array([[1.0, 0.0, 0.0]]), "text": np.array([[0.0, 1.0, 0.0]]), "prior": np.array([[0.0, 9.0, 9.0]])}
    weights = {"mapper": 0.4, "text": 0.4, "prior": 0.2}
    assert leading_branch(branches, weights, 0, [0, 1, 2]) == ["mapper", "text", "mapper"]


def _model():  # type: ignore[no-untyped-def]
    posts = [
        (("beach", "waves"), ("ocean",)),
        (("snow", "cold"), ("winter",)),
        (("dinner",), ("food",)),
        (("beach", "sand"), ("ocean", "sunset")),
    ]
    return fit_text_model(posts, ("ocean", "winter", "food", "sunset"), min_word_count=1), TextMethod(name="knn", param=2)


def test_text_branch_words_hashtags_and_notes() -> None:
    model, method = _model()
    rules, vectors = TagRules(), np.eye(len(KEYS))
    vectors[5, 0] = 1.0  # sunset is near ocean in the tag space
    texts = [read_text(t, rules) for t in ("waves on the beach", "#Party tonight", "", "😀😀", "Лучший день")]
    branch = text_branch(model, method, texts, KEYS, lambda t: t, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    assert KEYS[int(np.argmax(branch.scores[0]))] == "ocean" and branch.notes[0] == ""
    assert KEYS[int(np.argmax(branch.scores[1]))] == "party" and branch.notes[1] == ""  # a written hashtag leads
    assert not branch.scores[2:].any()
    assert branch.notes[2] == "no text" and "no word" in branch.notes[3] and branch.notes[4] == UNKNOWN_WORDS


def test_text_branch_without_a_model_uses_written_hashtags_only() -> None:
    texts = [read_text("#winter fun", TagRules()), read_text("just words", TagRules())]
    branch = text_branch(None, None, texts, KEYS, lambda t: t, np.eye(len(KEYS)))
    assert KEYS[int(np.argmax(branch.scores[0]))] == "winter"
    assert not branch.scores[1].any() and "no text model" in branch.notes[1]


def test_text_confidence_is_low_for_a_generic_text_and_scales_its_zscores() -> None:
    posts = [(("beach", "nice"), ("ocean",)), (("snow", "nice"), ("winter",)), (("dinner", "nice"), ("food",))] * 3
    model = fit_text_model(posts, ("ocean", "winter", "food"), min_word_count=1)
    texts = [read_text(t, TagRules()) for t in ("beach", "nice", "#winter")]
    branch = text_branch(model, TextMethod(name="knn", param=3), texts, KEYS, lambda t: t, np.eye(len(KEYS)))
    generic, specific, written = branch.confidence[1], branch.confidence[0], branch.confidence[2]
    assert generic < 0.1 < specific and written == 1.0
    mapper = np.tile(np.linspace(1.0, 0.0, len(KEYS)), (3, 1))
    fused = fuse({"mapper": mapper, "text": branch.scores}, {"mapper": 0.5, "text": 0.5}, {"text": branch.confidence})
    assert int(np.argmax(fused[1])) == int(np.argmax(mapper[1]))  # the generic text barely moves the mapper's ranking


def test_the_newton_logistic_regression_equals_scikit_learns() -> None:
    """The reference: scikit-learn's L2 LogisticRegression (C = 1 / l2, unpenalised intercept) on the same seeded
    rows reaches the same coefficients as reeltag's 25 Newton steps."""
    from sklearn.linear_model import LogisticRegression

    from reeltag.suggest.fusion import _newton_logistic

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4))
    y = (x @ np.array([1.5, -2.0, 0.0, 0.5]) + 0.3 + rng.logistic(size=400) > 0).astype(float)
    for l2 in (0.1, 1.0, 10.0):
        ours = _newton_logistic(np.c_[x, np.ones(len(x))], y, l2)
        reference = LogisticRegression(C=1.0 / l2, tol=1e-10, max_iter=10_000).fit(x, y)
        np.testing.assert_allclose(ours, np.r_[reference.coef_[0], reference.intercept_], atol=1e-5)
