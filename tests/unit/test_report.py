"""Report verdicts (pure): weak evidence never yields GO; overall verdict; escaping of corpus text."""

from __future__ import annotations

from reeltag.registry.gates import GO, NO_GO, NOT_ENOUGH, Threshold
from reeltag.report.judgement import (
    Component,
    ReportData,
    TimeSaved,
    decision_json,
    judge,
    markdown_summary,
    overall,
    render_html,
)

STRONG = {"model": {"p_at_5": 0.5}, "baseline": {"p_at_5": 0.2}}


def _component(methods=STRONG, n_eval: int = 500, uses_encoder: bool = True) -> Component:
    return Component(
        name="mapper",
        title="Tag suggestion",
        methods=methods,
        model="model",
        reference="baseline",
        thresholds=(Threshold(metric="p_at_5", min_abs_delta=0.05),),
        chart_metrics=("p_at_5",),
        n_eval=n_eval,
        min_eval=100,
        uses_encoder=uses_encoder,
    )


def _data(weights: str = "real", demo: bool = False, **kw) -> ReportData:
    return ReportData(title="PoC", generated_at="now", weights_kind=weights, demo=demo, components=(_component(**kw),))


def test_strong_evidence_on_real_weights_is_go() -> None:
    data = _data()
    assert judge(data, data.components[0]).decision.verdict == GO


def test_weak_evidence_is_never_go() -> None:
    for data in (_data("random"), _data("demo-trained"), _data(demo=True), _data(n_eval=10)):
        decision = judge(data, data.components[0]).decision
        assert decision.verdict == NOT_ENOUGH and any(r.startswith("warning:") for r in decision.reasons)


def test_encoder_warning_only_for_components_using_the_encoder() -> None:
    data = _data("random", uses_encoder=False)
    assert judge(data, data.components[0]).decision.verdict == GO


def test_model_worse_than_baseline_is_no_go_with_reason() -> None:
    data = _data(methods={"model": {"p_at_5": 0.1}, "baseline": {"p_at_5": 0.2}}, demo=True)
    decision = judge(data, data.components[0]).decision
    assert decision.verdict == NO_GO and "p_at_5" in decision.reasons[0]


def test_overall_verdict() -> None:
    go, weak = judge(_data(), _component()), judge(_data(demo=True), _component())
    bad_data = _data(methods={"model": {"p_at_5": 0.0}, "baseline": {"p_at_5": 0.2}})
    bad = judge(bad_data, bad_data.components[0])
    assert overall([go, go]) == GO and overall([go, weak]) == NOT_ENOUGH and overall([weak, bad]) == NO_GO
    assert overall([]) == NOT_ENOUGH


def test_decision_json_and_markdown_carry_verdict_and_reasons() -> None:
    data = _data(demo=True)
    judgements = [judge(data, c) for c in data.components]
    out = decision_json(data, judgements)
    assert out["verdict"] == NOT_ENOUGH and out["components"]["mapper"]["reasons"]
    assert f"**{NOT_ENOUGH}**" in markdown_summary(data, judgements)


def test_time_saved_is_acceptance_times_minutes() -> None:
    assert TimeSaved(0.5, 2.0, "P@5 x 5").minutes_per_1000_videos == 1000.0


def test_html_escapes_corpus_text() -> None:
    evil = "<script>alert(1)</script>"
    data = ReportData(
        title="PoC",
        generated_at="now",
        weights_kind="real",
        demo=False,
        components=(_component(),),
        top_tags=((evil, 3),),
        examples=(("v.mp4", (evil,)),),
    )
    page = render_html(data, [judge(data, data.components[0])], {})
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_gains_are_model_minus_reference_and_shown() -> None:
    data = _data()
    component = data.components[0]
    assert component.gains == {"p_at_5": 0.5 - 0.2}
    page = render_html(data, [judge(data, component)], {})
    assert "p_at_5 +0.3000" in page


def test_gains_over_every_baseline_on_the_first_gated_metric_are_shown() -> None:
    methods = {"model": {"p_at_5": 0.5}, "baseline": {"p_at_5": 0.2}, "popularity": {"p_at_5": 0.1}, "other": {"map": 0.3}}
    component = Component(
        name="mapper",
        title="Tag suggestion",
        methods=methods,
        model="model",
        reference="baseline",
        thresholds=(Threshold(metric="p_at_5"),),
        baselines=("popularity", "baseline", "other", "absent"),
    )
    assert component.gains_over_baselines == {"popularity": 0.5 - 0.1, "baseline": 0.5 - 0.2}
    data = ReportData(title="PoC", generated_at="now", weights_kind="real", demo=False, components=(component,))
    page = render_html(data, [judge(data, component)], {})
    assert "<code>popularity</code> <strong>+0.4000</strong>" in page


def test_a_ci_of_the_gain_that_includes_zero_is_not_enough_evidence_not_no_go() -> None:
    from dataclasses import replace

    from reeltag.registry.gates import ci_warnings

    component = replace(_component(), warnings=tuple(ci_warnings("p_at_5", -0.01)))
    decision = judge(
        ReportData(title="PoC", generated_at="now", weights_kind="real", demo=False, components=(component,)), component
    ).decision
    assert (
        decision.verdict == NOT_ENOUGH and "warning: the 95% CI of the p_at_5 gain is not above 0 (low -0.01)" in decision.reasons
    )
    worse = replace(component, methods={"model": {"p_at_5": 0.1}, "baseline": {"p_at_5": 0.2}})
    assert (
        judge(
            ReportData(title="PoC", generated_at="now", weights_kind="real", demo=False, components=(worse,)), worse
        ).decision.verdict
        == NO_GO
    )
    assert ci_warnings("p_at_5", 0.02) == []


def test_a_losing_slice_decides_no_go_and_the_report_marks_it() -> None:
    import dataclasses

    import numpy as np

    from reeltag.registry.gates import SliceRule
    from reeltag.slices import slice_figures

    rng = np.random.default_rng(2)
    reference = rng.random(200)
    change = np.where(np.arange(200) < 150, 0.1, -0.2) + rng.normal(0, 0.01, 200)
    bands = ["head"] * 150 + ["tail"] * 50
    figures = slice_figures(
        slice_name="tag_frequency", metric="p_at_5", bands=bands, challenger=reference + change, reference=reference
    )
    component = dataclasses.replace(_component(), slices=tuple(figures), slice_rule=SliceRule(min_items=30, max_loss=0.02))
    data = dataclasses.replace(_data(), components=(component,))
    judgement = judge(data, component)
    assert judgement.decision.verdict == NO_GO and "worst slice tag_frequency=tail (50 items)" in judgement.decision.reasons[0]
    written = decision_json(data, [judgement])["components"]["mapper"]
    assert written["deciding_slice"]["band"] == "tail" and [s["band"] for s in written["slices"]] == ["head", "tail"]
    page = render_html(data, [judgement], {})
    assert 'id="slices-mapper"' in page and page.count('class="decided"') == 1 and "decided: NO-GO" in page
