"""CLIPRerank scoring on small arrays: pooling, normalisation, fusion, ties, missing videos, direction."""

import numpy as np
import pytest

from reeltag.rerank.scoring import blend, frame_similarities, normalise, pool, rerank, stack_frames

Q = np.array([1.0, 0.0])
RELEVANT, OTHER = np.array([1.0, 0.0]), np.array([0.0, 1.0])


def test_pooling_max_mean_topm() -> None:
    stack = stack_frames([np.stack([RELEVANT, OTHER, OTHER]), np.stack([OTHER]), None], dim=2)
    sims = frame_similarities(Q, stack)
    assert pool(sims, stack.counts, "max") == pytest.approx([1.0, 0.0, np.nan], nan_ok=True)
    assert pool(sims, stack.counts, "mean") == pytest.approx([1 / 3, 0.0, np.nan], nan_ok=True)
    assert pool(sims, stack.counts, "topm", top_m=2) == pytest.approx([0.5, 0.0, np.nan], nan_ok=True)
    assert stack.missing == 1
    with pytest.raises(ValueError):
        pool(sims, stack.counts, "median")


def test_normalisations_ignore_nan_and_constant_input() -> None:
    x = np.array([1.0, 3.0, np.nan, 2.0])
    assert normalise(x, "minmax") == pytest.approx([0.0, 1.0, np.nan, 0.5], nan_ok=True)
    z = normalise(x, "zscore")
    assert np.nanmean(z) == pytest.approx(0.0) and np.nanstd(z) == pytest.approx(1.0)
    assert normalise(x, "none") == pytest.approx(x, nan_ok=True)
    assert normalise(np.array([2.0, 2.0]), "minmax") == pytest.approx([0.0, 0.0])


def test_alpha_zero_keeps_engine_order_and_alpha_one_follows_clip() -> None:
    base = np.array([3.0, 2.0, 1.0])
    stack = stack_frames([np.stack([OTHER]), np.stack([OTHER, RELEVANT]), np.stack([OTHER])], dim=2)
    assert list(rerank(Q, base, stack, alpha=0.0).order) == [0, 1, 2]
    assert rerank(Q, base, stack, alpha=1.0).order[0] == 1


def test_alpha_weighs_the_clip_score() -> None:
    fused = blend(np.array([2.0, 0.0]), np.array([0.0, 1.0]), alpha=0.8)
    assert fused == pytest.approx([0.2, 0.8])  # α·norm(clip) + (1−α)·norm(engine)


def test_ties_keep_engine_order() -> None:
    stack = stack_frames([np.stack([OTHER])] * 4, dim=2)
    assert list(rerank(Q, np.array([1.0, 1.0, 1.0, 1.0]), stack, alpha=0.5).order) == [0, 1, 2, 3]


def test_missing_video_keeps_its_normalised_base_score() -> None:
    fused = blend(np.array([4.0, 2.0, 0.0]), np.array([np.nan, 1.0, 0.0]), alpha=0.3)
    assert fused[0] == pytest.approx(1.0)  # its own normalised engine score S
    assert fused[1] == pytest.approx(0.3 * 1.0 + 0.7 * 0.5)


def test_missing_video_is_not_promoted_even_by_clip_alone() -> None:
    fused = blend(np.array([1.0, 2.0, 3.0]), np.array([np.nan, 0.5, 0.0]), alpha=1.0)
    assert fused == pytest.approx([0.0, 1.0, 0.0])


def test_nonfinite_base_scores_count_as_the_worst() -> None:
    fused = blend(np.array([2.0, np.nan, 1.0]), np.array([0.0, 0.0, 0.0]), alpha=0.0)
    assert fused == pytest.approx([1.0, 0.0, 0.0])
    with pytest.raises(ValueError):
        blend(np.array([1.0]), np.array([1.0]), alpha=1.5)


def test_direction_adding_a_relevant_frame_raises_the_clip_score() -> None:
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(4, 8))
    query = rng.normal(size=8)
    before = rerank(query, np.zeros(1), stack_frames([frames], 8), 0.5).clip[0]
    after = rerank(query, np.zeros(1), stack_frames([np.vstack([frames, query])], 8), 0.5).clip[0]
    assert after > before and after == pytest.approx(1.0, abs=1e-5)


def test_similarities_are_cosines_whatever_the_vector_lengths() -> None:
    even = stack_frames([np.stack([3 * RELEVANT, OTHER]), np.stack([OTHER, -2 * RELEVANT])], dim=2)
    ragged = stack_frames([np.stack([3 * RELEVANT, OTHER]), np.stack([-2 * RELEVANT])], dim=2)
    assert frame_similarities(5 * Q, even) == pytest.approx(np.array([[1.0, 0.0], [0.0, -1.0]]))
    assert frame_similarities(Q, ragged) == pytest.approx(np.array([[1.0, 0.0], [-1.0, -np.inf]]))
