"""The report's "Staff review" section: measured figures, the simulated label, the proxy only while too few."""

from __future__ import annotations

import re
from dataclasses import replace

from reeltag.report.judgement import ReportData, TimeSaved, decision_json, render_html
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


def page(review: StaffReview | None) -> str:
    data = ReportData(
        title="t",
        generated_at="now",
        weights_kind="real",
        demo=False,
        components=(),
        time_saved=TimeSaved(0.5, 2.0, "P@5 × 5"),
        staff_review=review,
        review_order="gain",
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
