"""The reranker's promotion gate (decisions.gates.decide on the paired comparison)."""

from reeltag.ab.paired import compare_paired
from reeltag.config import GatesSection
from reeltag.registry.gates import GO, NO_GO, NOT_ENOUGH
from reeltag.rerank.gate import promotion_decision

GATES = GatesSection(min_eval_topics=10)


def _comparison(gain: float, n: int = 12, spread: float = 0.01):
    base = {f"q{i}": 0.5 for i in range(n)}
    return compare_paired(
        base,
        {q: v + gain + (spread if i % 2 else -spread) for i, (q, v) in enumerate(base.items())},
        "map",
        resamples=500,
        seed=3,
    )


def test_a_clear_gain_on_enough_topics_with_real_weights_is_a_go() -> None:
    decision = promotion_decision(_comparison(0.1), "demo-trained", GATES)
    assert decision.verdict == GO and decision.go


def test_a_gain_whose_ci_reaches_zero_is_not_enough_evidence_and_not_promoted() -> None:
    comparison = _comparison(0.0, spread=0.05)
    assert comparison.ci_low <= 0 < comparison.ci_high
    decision = promotion_decision(comparison, "real", GATES)
    assert decision.verdict == NOT_ENOUGH and not decision.go
    assert any(r.startswith("warning: the 95% CI of the map gain is not above 0 (low -") for r in decision.reasons)


def test_a_loss_beyond_the_tolerance_is_still_no_go() -> None:
    decision = promotion_decision(_comparison(-0.1), "real", GATES)
    assert decision.verdict == NO_GO and not decision.go and "tolerance" in decision.reasons[0]


def test_random_weights_or_few_topics_are_not_enough_evidence() -> None:
    assert promotion_decision(_comparison(0.1), "random", GATES).verdict == NOT_ENOUGH
    few = promotion_decision(_comparison(0.1, n=4), "real", GATES)
    assert few.verdict == NOT_ENOUGH and any("tiny data: 4 topics" in r for r in few.reasons)
