"""Nearest tags: ranking, surface forms, exclude/allow lists, minimum score, batching."""

import numpy as np
import pytest

from reeltag.errors import BadInput
from reeltag.mapper.nearest import TagIndex, nearest_tags
from reeltag.ranking import top_k


def _index() -> TagIndex:
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]], dtype=float)
    return TagIndex.build(["sun", "sunset", "sea", "snow", "night"], vectors, ["#Sun", "SunSet", "#Sea", "#Snow", "#Night"])


def test_planted_neighbour_is_first_with_its_surface_form() -> None:
    [row] = nearest_tags(np.array([[2.0, 0.05, 0]]), _index(), k=3)
    assert [s.tag for s in row] == ["#Sun", "#SunSet", "#Sea"]
    assert row[0].key == "sun" and row[0].score == pytest.approx(1.0, abs=1e-2)
    assert row[0].score >= row[1].score >= row[2].score


def test_exclude_allow_and_min_score() -> None:
    index = _index()
    [row] = nearest_tags(np.array([[1.0, 0, 0]]), index.restrict(exclude=["sun"]), k=2)
    assert [s.key for s in row] == ["sunset", "sea"]
    [row] = nearest_tags(np.array([[1.0, 0, 0]]), index.restrict(allow=["sea", "night"]), k=5)
    assert [s.key for s in row] == ["sea", "night"]
    [row] = nearest_tags(np.array([[1.0, 0, 0]]), index, k=5, min_score=0.5)
    assert [s.key for s in row] == ["sun", "sunset"]


def test_batches_give_the_same_result_as_one_pass() -> None:
    rng = np.random.default_rng(0)
    index = TagIndex.build([f"t{i}" for i in range(300)], rng.normal(size=(300, 8)))
    mapped = rng.normal(size=(50, 8))
    small, big = nearest_tags(mapped, index, k=7, batch=4), nearest_tags(mapped, index, k=7, batch=1000)
    assert [[s.key for s in row] for row in small] == [[s.key for s in row] for row in big]
    assert np.allclose([[s.score for s in row] for row in small], [[s.score for s in row] for row in big], atol=1e-5)


def test_top_k_matches_a_full_sort() -> None:
    scores = np.random.default_rng(1).normal(size=(6, 40))
    idx, vals = top_k(scores, 5)
    assert (idx == np.argsort(-scores, axis=1)[:, :5]).all()
    assert np.allclose(vals, -np.sort(-scores, axis=1)[:, :5])


def test_dimension_mismatch_is_a_clear_error() -> None:
    with pytest.raises(BadInput, match="dimensions"):
        nearest_tags(np.ones((1, 4)), _index())
    with pytest.raises(BadInput, match="do not match"):
        TagIndex.build(["a"], np.ones((2, 3)))
