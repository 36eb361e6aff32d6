"""Metrics: library measures per topic, xinfAP against hand-worked cases, missing/unknown topics."""

import math

import pytest

from reeltag.errors import BadInput
from reeltag.rerank.formats import Qrels, Ranking, Run
from reeltag.rerank.metrics import check_measures, evaluate, metric_key, xinfap


def _run(**topics: list[str]) -> Run:
    return Run({q: Ranking(q, tuple(d), tuple(float(len(d) - i) for i in range(len(d)))) for q, d in topics.items()})


def test_xinfap_matches_a_hand_computation_on_two_strata() -> None:
    # stratum 1 fully judged: a rel, b non; stratum 2 half sampled: c rel, e non, d and f unjudged (-1).
    judgments = {"a": 1, "b": 0, "c": 1, "d": -1, "e": 0, "f": -1}
    strata = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2, "f": 2}
    # p1 = 1, p2 = 2/4; R̂ = 1/1 + 1/0.5 = 3.
    # rank 1 a (rel): PC = 1                                   -> contributes 1 / p1 = 1
    # rank 2 d (unjudged, stratum 2); rank 3 c (rel, stratum 2): above = {1: 1 doc (1 rel), 2: 1 doc (none judged)}
    #   PC = 1/3 + 2/3 * (1 * 1 + 1 * 0.5) / 2 = 5/6           -> contributes (5/6) / 0.5 = 5/3
    # rank 4 x is unpooled (non-relevant), ranks 5-6 are non-relevant: xinfAP = (1 + 5/3) / 3 = 8/9.
    assert xinfap(["a", "d", "c", "x", "b", "e"], judgments, strata) == pytest.approx(8 / 9, abs=1e-4)


def test_xinfap_single_stratum_hand_case() -> None:
    # ranking r n r: AP = (1 + 2/3) / 2; xinfAP: PC(3) = 1/3 + 2/3 * (2 docs above, 1 of 2 judged rel) / 2 = 2/3.
    assert xinfap(["r1", "n", "r2"], {"r1": 1, "n": 0, "r2": 1}) == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert math.isnan(xinfap(["n"], {"n": 0}))


def test_xinfap_on_fully_judged_qrels_equals_ap() -> None:
    qrels = Qrels({"q1": {"a": 1, "b": 0, "c": 1, "d": 0, "e": 1}, "q2": {"x": 1, "y": 0}})
    run = _run(q1=["b", "a", "z", "c", "d", "e"], q2=["y", "x"])
    result = evaluate(run, qrels, ["AP", "xinfAP"])
    for qid in ("q1", "q2"):
        assert result.per_topic["xinfAP"][qid] == pytest.approx(result.per_topic["AP"][qid], abs=1e-4)


def test_library_measures_use_the_run_order_even_with_tied_scores() -> None:
    qrels = Qrels({"q": {"a": 0, "b": 1}})
    tied = Run({"q": Ranking("q", ("b", "a"), (1.0, 1.0))})  # trec_eval alone would put "b" after "a"
    result = evaluate(tied, qrels, ["AP", "P@1", "R@1", "nDCG@1"])
    assert result.mean == {"AP": 1.0, "P@1": 1.0, "R@1": 1.0, "nDCG@1": 1.0}


def test_missing_unknown_and_unrelevant_topics_are_reported() -> None:
    qrels = Qrels({"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}})
    result = evaluate(_run(q1=["a"], q9=["a"]), qrels, ["MAP", "xinfAP"])
    assert result.measures == ("AP", "xinfAP")
    assert result.topics == ("q1", "q2")
    assert result.per_topic["AP"] == {"q1": 1.0, "q2": 0.0}
    assert result.per_topic["xinfAP"]["q2"] == 0.0
    assert (result.missing_in_run, result.unknown_in_run, result.no_relevant) == (("q2",), ("q9",), ("q3",))
    assert result.metrics("test/") == {"test/map": 0.5, "test/xinfap": pytest.approx(0.5)}


def test_sampled_unjudged_documents_are_not_judgements_for_library_measures() -> None:
    qrels = Qrels({"q": {"a": 1, "u": -1}}, strata={"q": {"a": 1, "u": 2}})
    assert evaluate(_run(q=["u", "a"]), qrels, ["AP"]).mean["AP"] == pytest.approx(1 / 2)


def test_measure_names() -> None:
    assert [metric_key(m) for m in ("AP", "P@10", "R@100", "nDCG@10", "xinfAP")] == [
        "map", "p_at_10", "recall_at_100", "ndcg_at_10", "xinfap"]
    with pytest.raises(BadInput, match="unknown measure"):
        check_measures(["NotAMeasure@3"])
