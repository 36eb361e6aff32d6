from reeltag.registry.gates import (
    GO,
    KEEP,
    NO_GO,
    NOT_ENOUGH,
    ROLL_BACK,
    Guardrail,
    Threshold,
    comparison_metrics,
    decide,
    harm_gate,
)

RULE = Threshold(metric="test/hit_at_10", tolerance=0.01)


def test_first_model_passes_its_floor_only() -> None:
    assert decide({"test/hit_at_10": 0.3}, None, [Threshold(metric="test/hit_at_10", min_value=0.2)]).go
    assert not decide({"test/hit_at_10": 0.1}, None, [Threshold(metric="test/hit_at_10", min_value=0.2)]).go


def test_worse_challenger_beyond_tolerance_is_rejected() -> None:
    decision = decide({"test/hit_at_10": 0.20}, {"test/hit_at_10": 0.25}, [RULE])
    assert (decision.go, decision.verdict) == (False, NO_GO)
    assert "tolerance" in decision.reasons[0]


def test_small_drop_within_tolerance_and_gain_pass() -> None:
    assert decide({"test/hit_at_10": 0.245}, {"test/hit_at_10": 0.25}, [RULE]).verdict == GO
    assert decide({"test/hit_at_10": 0.30}, {"test/hit_at_10": 0.25}, [RULE]).go


def test_required_gains_and_lower_is_better() -> None:
    rule = Threshold(metric="latency_ms", higher_is_better=False, min_abs_delta=5)
    assert decide({"latency_ms": 90}, {"latency_ms": 100}, [rule]).go
    assert not decide({"latency_ms": 98}, {"latency_ms": 100}, [rule]).go
    rel = Threshold(metric="map", min_rel_delta=0.1)
    assert not decide({"map": 0.105}, {"map": 0.1}, [rel]).go
    assert decide({"map": 0.12}, {"map": 0.1}, [rel]).go


def test_guardrails_missing_metrics_and_warnings() -> None:
    rails = [Guardrail("latency_ms", max_value=100), Guardrail("coverage", min_value=0.9)]
    assert not decide({"m": 1, "latency_ms": 150, "coverage": 1}, None, [Threshold(metric="m")], rails).go
    assert not decide({"m": 1, "latency_ms": 50}, None, [Threshold(metric="m")], rails).go
    assert not decide({}, None, [Threshold(metric="m")]).go
    warned = decide({"m": 1}, None, [Threshold(metric="m")], warnings=["random encoder weights"])
    assert (warned.go, warned.verdict) == (False, NOT_ENOUGH)
    assert any("random encoder" in r for r in warned.reasons)


def test_comparison_metric_names() -> None:
    out = comparison_metrics({"map": 0.3}, {"map": 0.2})
    assert set(out) == {"challenger/map", "champion/map", "delta/map"}
    assert abs(out["delta/map"] - 0.1) < 1e-12


def test_reasons_name_the_reference() -> None:
    decision = decide({"p_at_5": 0.7}, {"p_at_5": 0.6}, [Threshold(metric="p_at_5")], reference="knn")
    assert decision.reasons == ("p_at_5: 0.7 vs knn 0.6 (gain +0.1)",)


def test_a_floor_alone_says_it_holds_and_ignores_the_reference() -> None:
    floor = Threshold(metric="ci_low/map", min_value=0.0)
    decision = decide({"ci_low/map": 0.1}, {"map": 0.8}, [floor], reference="engine")
    assert decision.reasons == ("ci_low/map=0.1 meets the floor 0",)
    assert decide({"map": 0.8}, None, [Threshold(metric="map", tolerance=0.1)]).reasons == ("map=0.8 (no champion to compare)",)


def test_a_float_tie_is_a_tie_whichever_way_the_error_falls() -> None:
    rule = Threshold(metric="p_at_5", min_abs_delta=0.0, min_rel_delta=0.0)
    above, below = 0.425 + 5.551e-17, 0.425 - 5.551e-17
    for new in (above, below, 0.425):
        decision = decide({"p_at_5": new}, {"p_at_5": 0.425}, [rule], reference="knn")
        assert decision.verdict == GO, decision.reasons
        assert decision.reasons == ("p_at_5: 0.425 vs knn 0.425 (gain +0)",)
    assert decide({"p_at_5": 0.42}, {"p_at_5": 0.425}, [rule]).verdict == NO_GO  # "not worse" still means it
    lower = Threshold(metric="latency", higher_is_better=False, min_abs_delta=0.0)
    assert decide({"latency": 0.3 - 1e-17}, {"latency": 0.1 + 0.2}, [lower]).verdict == GO
    assert decide({"latency": 0.1 + 0.2}, {"latency": 0.3 - 1e-17}, [lower]).verdict == GO


def test_a_gain_equal_to_the_required_gain_or_tolerance_up_to_float_error_passes() -> None:
    assert decide({"m": 0.1 + 0.2}, {"m": 0.2}, [Threshold(metric="m", min_abs_delta=0.1)]).go
    assert decide({"m": 0.2}, {"m": 0.1 + 0.2}, [Threshold(metric="m", tolerance=0.1)]).go
    assert not decide({"m": 0.2}, {"m": 0.30001}, [Threshold(metric="m", tolerance=0.1)]).go


def test_the_harm_gate_rolls_back_only_when_the_whole_sequence_is_below_the_null() -> None:
    assert harm_gate("success_delta", ci_high=-0.01, null=0.0, p_value=0.001).verdict == ROLL_BACK
    assert harm_gate("success_delta", ci_high=0.02, null=0.0, p_value=0.2).verdict == KEEP
    assert harm_gate("win_share", ci_high=0.45, null=0.5, p_value=0.01).verdict == ROLL_BACK
    assert harm_gate("success_delta", ci_high=float("inf"), null=0.0, p_value=1.0).go
