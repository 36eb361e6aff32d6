"""Slices: bands, per-band paired bootstrap CIs (checked against scipy's bootstrap), and the worst-slice gate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap

from reeltag.config import SlicesSection
from reeltag.registry.gates import GO, NO_GO, SliceRule, Threshold, decide
from reeltag.slices import count_band, frequency_band, from_records, length_band, records, slice_figures, words_band, worst_slice


def test_bands_follow_their_thresholds() -> None:
    assert [frequency_band(n, head_min=20, tail_max=3) for n in (0, 3, 4, 19, 20, 500)] == [
        "tail",
        "tail",
        "torso",
        "torso",
        "head",
        "head",
    ]
    assert [length_band(s, short_s=10, long_s=60) for s in (2.0, 10.0, 59.9, 60.0)] == ["short", "medium", "medium", "long"]
    assert [words_band(t) for t in ("dog", "a red car", "a man riding a horse on a beach")] == ["1-2", "3-5", "6+"]
    assert [count_band(n, few_max=5, many_min=50) for n in (0, 5, 6, 50)] == ["few", "few", "some", "many"]
    with pytest.raises(ValueError, match="tail_max < head_min"):
        SlicesSection(head_min=3, tail_max=3)


def test_a_bands_ci_matches_scipys_percentile_bootstrap_of_the_paired_deltas() -> None:
    rng = np.random.default_rng(5)
    reference = rng.random(400)
    challenger = reference + rng.normal(0.05, 0.2, size=400)
    bands = np.where(np.arange(400) < 300, "head", "tail")
    figures = {
        f.band: f
        for f in slice_figures(
            slice_name="s", metric="ap", bands=bands, challenger=challenger, reference=reference, resamples=4000
        )
    }
    assert (figures["head"].items, figures["tail"].items) == (300, 100)
    tail = challenger[300:] - reference[300:]
    assert figures["tail"].delta == pytest.approx(tail.mean())
    scipy_ci = bootstrap((tail,), np.mean, n_resamples=4000, method="percentile", random_state=1).confidence_interval
    width = scipy_ci.high - scipy_ci.low
    assert figures["tail"].ci_low == pytest.approx(scipy_ci.low, abs=0.1 * width)
    assert figures["tail"].ci_high == pytest.approx(scipy_ci.high, abs=0.1 * width)
    assert from_records(records(list(figures.values()))) == list(figures.values())


def _planted(tail_loss: float, tail_items: int = 60) -> list:
    """A challenger 0.1 better on 300 head items and ``tail_loss`` worse (± noise) on ``tail_items`` tail items."""
    rng = np.random.default_rng(9)
    reference = rng.random(300 + tail_items)
    change = np.concatenate([np.full(300, 0.1), np.full(tail_items, -tail_loss)]) + rng.normal(0, 0.02, 300 + tail_items)
    bands = ["head"] * 300 + ["tail"] * tail_items
    return slice_figures(
        slice_name="tag_frequency", metric="p_at_5", bands=bands, challenger=reference + change, reference=reference
    )


def test_the_gate_refuses_a_challenger_better_overall_but_worse_on_the_tail_and_names_the_slice() -> None:
    rule = SliceRule(min_items=30, max_loss=0.02)
    overall = Threshold(metric="p_at_5", tolerance=0.01)
    refused = decide({"p_at_5": 0.6}, {"p_at_5": 0.5}, [overall], slices=_planted(0.1), slice_rule=rule)
    assert refused.verdict == NO_GO
    assert "worst slice tag_frequency=tail (60 items)" in refused.reasons[0]
    assert decide({"p_at_5": 0.6}, {"p_at_5": 0.5}, [overall], slices=_planted(0.01), slice_rule=rule).verdict == GO
    assert worst_slice(_planted(0.1, tail_items=20), min_items=30, max_loss=0.02) is None  # too few items: shown, not gated
