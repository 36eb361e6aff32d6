"""Suggestion slices and popularity bias: hand-checked arrays, the seeded demo world (its planned labelled videos,
features drawn around each scene's category, a real mapper fit) and the mapper's promotion gate with a planted
challenger that wins overall and loses on the tail band."""

from __future__ import annotations

import numpy as np
import pytest

from reeltag.config import Settings, SlicesSection
from reeltag.demo.generate import SIZES
from reeltag.demo.plans import LabelledVideo, plan_labelled
from reeltag.demo.world import CATEGORIES
from reeltag.mapper.evaluate import Examples, Truth, cosine_scores, knn_scores, popularity_scores, ranking_metrics
from reeltag.mapper.frequency_bands import biases, frequency_slices, heldout_pairs, pair_hits, popularity_bias, truth_pairs
from reeltag.mapper.model import MapperArgs, TagMapper
from reeltag.mapper.steps import gate_decision
from reeltag.mapper.train import FitParams, fit, predict
from reeltag.registry.gates import GO, NO_GO
from reeltag.slices import slice_figures

DEMO_BANDS = SlicesSection(head_min=6, tail_max=2)  # the demo's 32 training videos: a tag on 6+ of them is head
FEAT, DIM = 16, 12


def test_pairs_bands_hits_and_bias_by_hand() -> None:
    truth = Truth.from_tags([["a", "c", "zzz"], ["b"]], ["a", "b", "c", "d"])  # zzz is outside the vocabulary
    pairs = truth_pairs(truth, np.array([9, 4, 1, 0]), SlicesSection(head_min=5, tail_max=1))
    assert pairs.videos.tolist() == [0, 0, 1] and pairs.tags.tolist() == [0, 2, 1]
    assert pairs.bands == ("head", "tail", "torso")
    scores = np.array([[0.9, 0.8, 0.1, 0.0], [0.0, 0.9, 0.8, 0.1]])  # top 2: (a, b) and (b, c)
    assert pair_hits(scores, pairs, k=2).tolist() == [1.0, 0.0, 1.0]
    bias = popularity_bias(scores, pairs, k=2)
    assert bias.head_share_suggested == 0.25 and bias.head_share_truth == pytest.approx(1 / 3)
    assert bias.ratio == pytest.approx(0.75) and bias.coverage == 0.75


def test_the_bias_ratio_is_none_without_head_tags_in_the_truth() -> None:
    pairs = truth_pairs(Truth.from_tags([["b"]], ["a", "b"]), np.array([9, 1]), SlicesSection(head_min=5, tail_max=1))
    assert popularity_bias(np.array([[1.0, 0.0]]), pairs, k=1).ratio is None


def _features(video: LabelledVideo, centres: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The mean of the video's segment categories' centres, plus noise."""
    seen = [centres[s.category] for s in video.plan.segments if s.category]
    return np.mean(seen, axis=0) + 0.2 * rng.normal(size=FEAT)


def _tag_vectors(keys: list[str], rng: np.random.Generator) -> np.ndarray:
    """Each tag near the mean of the categories that use it (a Tag2Vec space in which a category's tags cluster)."""
    centres = {c.name: rng.normal(size=DIM) for c in CATEGORIES}
    return np.stack(
        [np.mean([centres[c.name] for c in CATEGORIES if k in c.tags], axis=0) + 0.3 * rng.normal(size=DIM) for k in keys]
    )


@pytest.fixture(scope="module")
def demo() -> dict[str, Examples | np.ndarray | list[str]]:
    """The small demo's labelled videos (seed 1: 32 train, 8 val, 8 test) as features over the company tags."""
    rng = np.random.default_rng(1)
    videos = plan_labelled(rng, "label", SIZES["small"].labelled_per_category, SIZES["small"].duration_s)
    keys = sorted({t for c in CATEGORIES for t in c.tags})
    centres = {c.name: rng.normal(size=FEAT) for c in CATEGORIES}
    splits = {}
    for split in ("train", "val", "test"):
        rows = [v for v in videos if v.split == split]
        features = np.stack([_features(v, centres, rng) for v in rows]).astype(np.float32)
        splits[split] = Examples(features, Truth.from_tags([v.tags for v in rows], keys))
    return {**splits, "tags": _tag_vectors(keys, rng).astype(np.float32), "keys": keys}


def _demo_scores(demo: dict) -> dict[str, np.ndarray]:
    train, val, test, tags = demo["train"], demo["val"], demo["test"], demo["tags"]
    args = MapperArgs(in_dim=FEAT, out_dim=DIM, hidden=32, loss="ranking", temperature=0.1)
    fitted = fit(args, tags, train, val, FitParams(epochs=80, patience=15, lr=3e-3, weight_decay=0.0, seed=0, batch_size=32))
    model = TagMapper(fitted.args)
    model.load_state_dict(fitted.state)
    n = len(demo["keys"])
    return {
        "mapper": cosine_scores(predict(model, test.features), tags),
        "popularity": popularity_scores(train.truth, len(test.truth.columns), n),
        "knn": knn_scores(train.features, train.truth, test.features, n),
    }


def test_on_the_demo_popularity_leans_to_head_tags_more_than_the_mapper(demo: dict) -> None:
    scores = _demo_scores(demo)
    train, test = demo["train"], demo["test"]
    assert ranking_metrics(scores["mapper"], test.truth)["p_at_5"] > ranking_metrics(scores["popularity"], test.truth)["p_at_5"]
    pairs = heldout_pairs(train.truth, test.truth, candidates=len(demo["keys"]), bands=DEMO_BANDS)
    found = biases(scores, pairs)
    assert 0.0 < found["popularity"].head_share_truth < 1.0
    assert found["popularity"].ratio is not None and found["mapper"].ratio is not None
    assert found["popularity"].ratio > found["mapper"].ratio
    assert found["popularity"].coverage < found["mapper"].coverage  # the same 5 tags for every video
    figures = frequency_slices(scores["mapper"], scores["popularity"], pairs)
    assert sum(f.items for f in figures) == len(pairs.tags) == sum(len(c) for c in test.truth.columns)
    assert {f.band for f in figures} <= {"head", "torso", "tail"}


def _planted(demo: dict, tail_loss: bool) -> tuple[dict[str, dict[str, float]], dict[str, float], list]:
    """Per-pair values of a champion and a challenger on the demo's test pairs, repeated 20 times (as if the test
    set were 20 times larger): the challenger wins every head and torso pair the champion misses and, when
    ``tail_loss``, misses every tail pair the champion got."""
    pairs = heldout_pairs(demo["train"].truth, demo["test"].truth, candidates=len(demo["keys"]), bands=DEMO_BANDS)
    bands = np.tile(np.array(pairs.bands), 20)
    rng = np.random.default_rng(3)
    old = (rng.random(len(bands)) < 0.5).astype(float)
    new = np.where(bands == "tail", 0.0 if tail_loss else old, 1.0)
    assert (bands == "tail").sum() >= Settings().gates.min_slice_items  # enough tail items to be gated
    figures = slice_figures(slice_name="tag_frequency", metric="pair_hit_at_5", bands=bands, challenger=new, reference=old)
    metrics = lambda v: {"p_at_5": float(v.mean()), "map": float(v.mean())}  # noqa: E731
    test = {"mapper": metrics(new), "popularity": {"p_at_5": 0.0, "map": 0.0}}
    return test, metrics(old), figures


@pytest.mark.parametrize("tail_loss", [True, False])
def test_the_mapper_gate_refuses_a_challenger_that_wins_overall_but_loses_the_tail(demo: dict, tail_loss: bool) -> None:
    test, old, figures = _planted(demo, tail_loss)
    assert test["mapper"]["p_at_5"] > old["p_at_5"] + Settings().gates.tolerance  # better overall
    decision = gate_decision(Settings(), test=test, old=old, weights="real", coverage=1.0, slices=figures)
    if tail_loss:
        assert decision.verdict == NO_GO
        assert any(r.startswith("worst slice tag_frequency=tail") for r in decision.reasons), decision.reasons
    else:
        assert decision.verdict == GO, decision.reasons
