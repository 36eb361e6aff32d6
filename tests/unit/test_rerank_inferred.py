"""NIST's inferred measures (sample_eval.pl) on hand-worked cases: strata seen only through unjudged shots, a
stratum with no judged shot, a topic with no relevant shot, a run shorter than 1,000 and one longer (the cut and
the AP adjustment when more than 1,000 shots are inferred relevant).

Every expected value was worked by hand; those the script prints (infAP, infNDCG, iP at its ranks, inum_rel,
inum_rel_ret) were also checked against ``perl sample_eval.pl -q`` on the same qrels and runs (to its 4 decimals).
"""

import math

import pytest

from reeltag.rerank.inferred import estimate, summarise_pool

TWO_STRATA = {"a": 1, "b": 0, "c": 1, "d": -1, "e": 0, "f": -1}
TWO_STRATA_IDS = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 2, "f": 2}


def test_two_strata_hand_case() -> None:
    # stratum 1: a rel, b non (2 of 2 judged); stratum 2: c rel, e non, d f unjudged (2 of 4): R = 1 + 1 * 4/2 = 3.
    # E after each rank (pooled shot n with r relevant of s judged adds n (r + 1e-5) / (s + 3e-5)):
    #   a: 1 | d: 1 + 1/3 (stratum 2 seen only unjudged) | c: 1 + 2 | x (not pooled): 3 | b: 1 + 2 | e: 1 + 3/2
    # precision at a = 1, at c = (1 + 4/3) / 3 = 7/9; infAP = (1 * 2/2 + 7/9 * 4/2) / 3 = 23/27.
    estimates = estimate(["a", "d", "c", "x", "b", "e"], summarise_pool(TWO_STRATA, TWO_STRATA_IDS))
    assert estimates.inferred_relevant == pytest.approx(3.0)
    assert estimates.inf_ap == pytest.approx(23 / 27, abs=1e-4)
    assert estimates.expected_relevant == pytest.approx((1, 4 / 3, 3, 3, 3, 2.5), abs=1e-4)
    assert estimates.precision_at(5) == pytest.approx(3 / 5, abs=1e-4)
    # ideal DCG of 3 inferred relevant: 1 + 1/log2(3) + 1/2; DCG: a 1 * 2/2 (seen 2, judged 2) + c 1/2 * 3/2
    assert estimates.inf_ndcg == pytest.approx(1.75 / (1.5 + 1 / math.log2(3)), abs=1e-4)


def test_a_stratum_without_a_judged_shot_adds_no_relevant_but_a_third_per_shot_above() -> None:
    pool = summarise_pool({"a": 1, "b": 0, "u": -1, "v": -1}, {"a": 1, "b": 1, "u": 2, "v": 2})
    assert pool.inferred_relevant == 1.0  # stratum 2 has no judged shot: it adds nothing to R (line 139)
    estimates = estimate(["u", "v", "a"], pool)
    # u and v: 1e-5 / 3e-5 each; precision at a = (1 + 2/3) / 3 = 5/9
    assert estimates.inf_ap == pytest.approx(5 / 9, abs=1e-4)
    assert estimates.inf_ndcg == pytest.approx(0.5, abs=1e-4)  # 1/log2(4) over an ideal DCG of 1


def test_a_run_shorter_than_the_rank_divides_its_last_estimate_by_the_rank() -> None:
    estimates = estimate(["u", "v", "a"], summarise_pool({"a": 1, "b": 0, "u": -1, "v": -1}, {"a": 1, "b": 1, "u": 2, "v": 2}))
    assert estimates.inferred_relevant_retrieved == pytest.approx(5 / 3, abs=1e-4)
    assert estimates.precision_at(3) == pytest.approx(5 / 9, abs=1e-4)
    assert estimates.precision_at(5) == pytest.approx(1 / 3, abs=1e-4)
    assert estimates.precision_at(1000) == pytest.approx(5 / 3000, abs=1e-6)


def test_a_topic_without_a_relevant_shot_scores_zero_but_its_unjudged_shots_still_count_for_ip() -> None:
    estimates = estimate(["n", "u"], summarise_pool({"n": 0, "u": -1}, {"n": 1, "u": 2}))
    assert (estimates.inferred_relevant, estimates.inf_ap, estimates.inf_ndcg) == (0.0, 0.0, 0.0)
    assert estimates.precision_at(5) == pytest.approx(1 / 15, abs=1e-4)  # (1e-5 + 1/3) / 5, as the script prints


def test_an_empty_ranking_scores_zero() -> None:
    estimates = estimate([], summarise_pool(TWO_STRATA, TWO_STRATA_IDS))
    assert (estimates.inf_ap, estimates.inf_ndcg, estimates.precision_at(10)) == (0.0, 0.0, 0.0)


def test_only_the_first_1000_shots_count_and_ap_is_scaled_when_more_than_1000_are_inferred_relevant() -> None:
    # one stratum of 3,000 shots, 1,000 judged and all relevant: R = 3,000 > 1,000, so AP is scaled by 3.
    relevant = [f"r{i:04d}" for i in range(1000)]
    unjudged = [f"u{i:04d}" for i in range(2000)]
    pool = summarise_pool({**{d: 1 for d in relevant}, **{d: -1 for d in unjudged}}, {d: 1 for d in relevant + unjudged})
    estimates = estimate(relevant + unjudged[:500], pool)
    assert estimates.inferred_relevant == 3000.0
    assert estimates.inf_ap == pytest.approx(3.0, abs=1e-4)  # above 1, as sample_eval reports it
    assert len(estimates.expected_relevant) == 1000
    assert estimates.precision_at(2000) == pytest.approx(0.5, abs=1e-4)  # the 500 shots past the cut do not count
    assert estimates.inf_ndcg == pytest.approx(1.0, abs=1e-4)  # the ideal DCG stops at rank 1,000 too


def test_ideal_dcg_orders_grades_high_to_low() -> None:
    pool = summarise_pool({"a": 2, "b": 1, "c": 0})
    assert pool.ideal_dcg == pytest.approx(2 + 1 / math.log2(3))
    assert estimate(["b", "a", "c"], pool).inf_ndcg == pytest.approx((1 + 2 / math.log2(3)) / pool.ideal_dcg)
