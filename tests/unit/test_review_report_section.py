"""The report's "Staff review" section: measured figures, the simulated label, the proxy only while too few."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from reeltag.report.judgement import ReportData, TimeSaved, decision_json, render_html
from reeltag.report.review_savings import ReviewSavings, read_review_savings
from reeltag.report.staff_review import RankAcceptance, StaffReview


def measured(items: int, simulated: bool = False) -> StaffReview:
    return StaffReview(
        items_reviewed=items,
        with_suggestions=items - 10,
        control=10,
        reviewers=("<i>ann</i>",),
        simulated=simulated,
        suggested_by=("mapper v3 (real encoder weights)",),
        by_rank=(RankAcceptance(rank=1, shown=items - 10, accepted=30),),
        precision_at={"p_at_1": 0.75},
        missed_tags=(("kite", 4),),
        median_seconds_with=12.0,
        median_seconds_without=30.0,
        saved_seconds=18.0,
        saved_seconds_ci=(10.0, 25.0),
        minutes_saved_per_1000=300.0,
        minutes_saved_ci=(166.7, 416.7),
        min_items=50,
    )


def page(review: StaffReview | None, savings: ReviewSavings | None = None, order: str = "gain") -> str:
    data = ReportData(
        title="t",
        generated_at="now",
        weights_kind="real",
        demo=False,
        components=(),
        time_saved=TimeSaved(0.5, 2.0, "P@5 × 5"),
        staff_review=review,
        review_order=order,
        review_savings=savings,
    )
    return re.sub(r"\s+", " ", render_html(data, [], {}))


def test_enough_reviews_replace_the_proxy() -> None:
    html = page(measured(60))
    assert "300 staff minutes saved per 1,000 videos" in html and "CI 167 to 417" in html
    assert "median 30.0 s per video without suggestions vs 12.0 s with them" in html
    assert 'id="time-saved"' not in html and "simulated" not in html
    assert "suggestions from mapper v3 (real encoder weights)" in html
    assert "&lt;i&gt;ann&lt;/i&gt;" in html and "#kite" in html and "P@1 0.75" in html
    assert "Queue order in use: <code>gain</code>" in html and "none are claimed" in html  # savings not measured
    assert "% of the labels" not in html


def test_too_few_reviews_show_the_proxy_and_say_why() -> None:
    html = page(measured(20, simulated=True))
    assert 'id="time-saved"' in html and "because only 20 staff-reviewed videos" in html
    assert "Staff review (simulated reviewer)" in html


def test_no_review_store_shows_the_proxy() -> None:
    html = page(None)
    assert "No staff decisions yet" in html and "because no staff review is measured yet" in html


def test_decision_json_carries_the_measurements() -> None:
    data = ReportData(
        title="t",
        generated_at="now",
        weights_kind="real",
        demo=False,
        components=(),
        staff_review=replace(measured(60), simulated=True),
    )
    found = decision_json(data, [])["staff_review"]
    assert found["enough"] is True and found["simulated"] is True and found["minutes_saved_per_1000"] == 300.0


def bench_record(tmp_path: Path) -> Path:
    """An L1 record as the bench writes it (its own summarise), from planted curves over 3 seeds and 10 decisions:
    random reaches its final P@5 (0.40) after 6 decisions, gain after 4, uncertain never."""
    from bench.bench_review_curve import summarise

    steps = np.arange(0, 11, 2)
    random = np.array([[0.2, 0.25, 0.3, 0.40, 0.40, 0.40]] * 3) + np.array([[0.0], [0.01], [-0.01]])
    gain = np.array([[0.2, 0.3, 0.42, 0.45, 0.46, 0.47]] * 3) + np.array([[0.0], [0.01], [-0.01]])
    uncertain = np.full((3, 6), 0.2)
    late = np.array([[0.2, 0.25, 0.3, 0.35, 0.41, 0.41]] * 3)  # reaches 0.40 after 8 decisions, random after 6
    summary = summarise({"random": random, "gain": gain, "uncertain": uncertain, "newest": late}, steps)
    path = tmp_path / "review-curve.json"
    path.write_text(json.dumps({"seeds": [1, 2, 3], "decisions": steps.tolist(), "summary": summary}), encoding="utf-8")
    return path


def test_the_report_states_the_labels_saved_as_the_bench_measured(tmp_path: Path) -> None:
    record = bench_record(tmp_path)
    gain = read_review_savings(record, "gain")
    assert gain is not None and gain.measured and gain.decisions == 4
    assert (gain.random_decisions, gain.budget) == (6, 10)  # random's own reach, not the budget, is the baseline
    assert gain.saved_share == 0.333 and gain.seeds == (1, 2, 3)
    html = page(measured(60), gain)
    assert "Queue order in use: <code>gain</code>" in html and "It saves <strong>33 % of the labels</strong>" in html
    assert "seeds 1, 2, 3" in html and "after 4 decisions, random after 6" in html and "none are claimed" not in html
    found = decision_json(replace_savings(gain), [])["review_order"]
    assert found["order"] == "gain" and found["savings_vs_random"]["saved_share"] == 0.333


def test_no_savings_are_claimed_that_the_bench_did_not_measure(tmp_path: Path) -> None:
    record = bench_record(tmp_path)
    never = read_review_savings(record, "uncertain")
    assert never is not None and never.saved_share is None and never.decisions is None
    html = page(measured(60), never, "uncertain")
    assert "uncertain did not reach random&#39;s final P@5 0.400 within 10 decisions" in html and "% of the labels" not in html
    later = read_review_savings(record, "newest")
    assert later is not None and later.decisions == 8 and later.saved_share is None  # slower than random: none saved
    html = page(measured(60), later, "newest")
    assert "newest needed 8 decisions to reach random&#39;s final P@5 0.400, random 6" in html
    assert "no labels saved" in html and "% of the labels" not in html
    baseline = page(measured(60), read_review_savings(record, "random"), "random")
    assert "random is the baseline" in baseline and "% of the labels" not in baseline
    unmeasured = page(measured(60), read_review_savings(record, "diverse"), "diverse")
    assert "the bench did not measure &#39;diverse&#39;" in unmeasured and "% of the labels" not in unmeasured
    assert read_review_savings(tmp_path / "absent.json", "gain") is None
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    bad = read_review_savings(tmp_path / "bad.json", "gain")
    assert bad is not None and bad.saved_share is None and "could not be read" in page(None, bad)


def replace_savings(savings: ReviewSavings) -> ReportData:
    return ReportData(
        title="t",
        generated_at="now",
        weights_kind="real",
        demo=False,
        components=(),
        review_order=savings.order,
        review_savings=savings,
    )
