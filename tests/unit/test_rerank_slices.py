"""Search slices (topic length, relevant count, category) and the reranker's worst-slice gate on planted values."""

import pytest

from reeltag.ab.paired import compare_paired
from reeltag.config import GatesSection, SlicesSection
from reeltag.registry.gates import GO, NO_GO
from reeltag.rerank.formats import Qrels
from reeltag.rerank.gate import promotion_decision
from reeltag.rerank.topic_slices import topic_bands, topic_figures

GATES = GatesSection(min_eval_topics=10, min_slice_items=20, max_slice_loss=0.02)
SHORT, LONG = "red circle", "a red circle moving left on a grey background"


def _qrels(relevant: dict[str, int]) -> Qrels:
    return Qrels({q: {f"d{i}": int(i < n) for i in range(n + 2)} | {"u": -1} for q, n in relevant.items()})


def test_each_topic_gets_its_band_in_every_slice_its_inputs_allow() -> None:
    qrels = _qrels({"q1": 1, "q2": 10, "q3": 60})
    bands = topic_bands(qrels=qrels, cfg=SlicesSection(), texts={"q1": SHORT, "q2": "an orange circle", "q3": LONG})
    assert bands == {
        "relevant_count": {"q1": "few", "q2": "some", "q3": "many"},  # unjudged (-1) is not relevant
        "topic_length": {"q1": "1-2", "q2": "3-5", "q3": "6+"},
    }
    with_categories = topic_bands(qrels=qrels, cfg=SlicesSection(), categories={"q1": "sunset", "q3": "ocean"})
    assert set(with_categories) == {"relevant_count", "topic_category"} and with_categories["topic_category"]["q3"] == "ocean"


def test_figures_pair_topics_within_each_band_and_leave_out_topics_without_a_band() -> None:
    bands = {"topic_category": {"a": "x", "b": "x", "c": "y"}}
    figures = topic_figures(
        bands, {"a": 0.5, "b": 0.7, "c": 0.2, "d": 0.9}, {"a": 0.4, "b": 0.4, "c": 0.3}, metric="map", resamples=200, seed=1
    )
    assert [(f.band, f.items) for f in figures] == [("x", 2), ("y", 1)]
    assert figures[0].delta == pytest.approx(0.2) and figures[0].reference == pytest.approx(0.4)
    assert figures[1].ci_low is None  # one topic: no CI


def _planted(n_short: int = 40, n_long: int = 30, long_loss: float = 0.1):
    """Short topics gain 0.2, long ones lose ``long_loss``: better overall, worse on one slice."""
    texts = {f"s{i:02d}": SHORT for i in range(n_short)} | {f"l{i:02d}": LONG for i in range(n_long)}
    base = {q: 0.5 + 0.01 * (i % 5) for i, q in enumerate(texts)}
    new = {q: v + (0.2 if q.startswith("s") else -long_loss) + 0.005 * (i % 3) for i, (q, v) in enumerate(base.items())}
    bands = topic_bands(qrels=_qrels(dict.fromkeys(texts, 8)), cfg=SlicesSection(), texts=texts)
    slices = topic_figures(bands, new, base, metric="map", resamples=500, seed=3)
    return compare_paired(base, new, "map", resamples=500, seed=3), slices


def test_a_challenger_better_overall_but_worse_on_a_slice_is_no_go_naming_it() -> None:
    comparison, slices = _planted()
    assert comparison.mean_delta > 0.05 and comparison.ci_low > 0
    decision = promotion_decision(comparison, "real", GATES, slices)
    assert decision.verdict == NO_GO and not decision.go
    assert decision.reasons[0].startswith("worst slice topic_length=6+ (30 items): map")
    assert "gates.max_slice_loss=0.02" in decision.reasons[0]


def test_the_same_gain_without_the_losing_slice_or_with_too_few_items_in_it_is_a_go() -> None:
    comparison, slices = _planted(long_loss=-0.05)
    assert promotion_decision(comparison, "real", GATES, slices).verdict == GO
    comparison, slices = _planted(n_long=10)  # 10 < gates.min_slice_items: shown, not gated
    decision = promotion_decision(comparison, "real", GATES, slices)
    assert decision.verdict == GO and any(r.startswith("worst slice: none of") for r in decision.reasons)
