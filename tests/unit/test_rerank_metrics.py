"""Metrics: library measures per topic, the inferred measures through evaluate, missing/unknown topics."""

import math

import pytest
import pytrec_eval

from reeltag.errors import BadInput
from reeltag.rerank.formats import Qrels, Ranking, Run
from reeltag.rerank.metrics import check_measures, evaluate, metric_key


def _run(**topics: list[str]) -> Run:
    return Run({q: Ranking(q, tuple(d), tuple(float(len(d) - i) for i in range(len(d)))) for q, d in topics.items()})


def test_inferred_measures_of_a_sampled_topic_come_from_the_estimator() -> None:
    # the two-strata case of tests/unit/test_rerank_inferred.py through evaluate
    judgments = {"a": 1, "b": 0, "c": 1, "d": -1, "e": 0, "f": -1}
    qrels = Qrels({"q": judgments}, strata={"q": {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2, "f": 2}})
    result = evaluate(_run(q=["a", "d", "c", "x", "b", "e"]), qrels, ["infAP", "infNDCG", "iP@5", "iP@10"])
    assert result.measures == ("xinfAP", "infNDCG", "iP@5", "iP@10")
    assert result.mean == pytest.approx(
        {"xinfAP": 23 / 27, "infNDCG": 1.75 / (1.5 + 1 / math.log2(3)), "iP@5": 0.6, "iP@10": 0.25}, abs=1e-4
    )


def test_inferred_measures_on_fully_judged_qrels_equal_trec_eval() -> None:
    qrels = Qrels({"q1": {"a": 1, "b": 0, "c": 2, "d": 0, "e": 1}, "q2": {"x": 1, "y": 0}})
    run = _run(q1=["b", "a", "z", "c", "d", "e"], q2=["y", "x"])
    result = evaluate(run, qrels, ["AP", "nDCG", "P@5", "xinfAP", "infNDCG", "iP@5"])
    trec_eval = pytrec_eval.RelevanceEvaluator(qrels.judgments, {"map", "ndcg", "P_5"}).evaluate(
        {q: {d: float(len(r) - i) for i, d in enumerate(r.docids)} for q, r in run.rankings.items()}
    )
    for qid in ("q1", "q2"):
        assert result.per_topic["AP"][qid] == pytest.approx(trec_eval[qid]["map"], abs=1e-9)
        assert result.per_topic["xinfAP"][qid] == pytest.approx(trec_eval[qid]["map"], abs=1e-4)
        assert result.per_topic["infNDCG"][qid] == pytest.approx(trec_eval[qid]["ndcg"], abs=1e-4)
        assert result.per_topic["iP@5"][qid] == pytest.approx(trec_eval[qid]["P_5"], abs=1e-4)


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
    assert [metric_key(m) for m in ("AP", "P@10", "R@100", "nDCG@10", "xinfAP", "infNDCG", "iP@10")] == [
        "map",
        "p_at_10",
        "recall_at_100",
        "ndcg_at_10",
        "xinfap",
        "infndcg",
        "ip_at_10",
    ]
    with pytest.raises(BadInput, match="unknown measure"):
        check_measures(["NotAMeasure@3"])
    with pytest.raises(BadInput, match="positive whole number"):
        check_measures(["iP@0"])
