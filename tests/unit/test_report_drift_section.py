"""The report's "Tag2Vec drift" section: the newest drift check as measured, its alarm and reasons, in HTML and JSON."""

from __future__ import annotations

import re

from reeltag.report.drift_evidence import DriftEvidence
from reeltag.report.judgement import ReportData, decision_json, render_html


def evidence(alarm: bool) -> DriftEvidence:
    return DriftEvidence(
        run_id="r1",
        run_name="drift-scheduled-20261207T1300Z",
        champion_version="4",
        posts=150,
        reference_posts=1500,
        measures={"js": 0.12, "new_tag_share": 0.093, "neighbour_movement": 0.4},
        baseline={"js": 0.08, "new_tag_share": 0.0, "neighbour_movement": 0.38},
        margins={"js": 0.08, "new_tag_share": 0.04, "neighbour_movement": 1.0},
        top_new=("<b>newtrend</b>",),
        alarm=alarm,
        reasons=("new_tag_share 0.093 > baseline 0.000 + 0.04",) if alarm else (),
        drift_retrains=1 if alarm else 0,
    )


def data(drift: DriftEvidence | None) -> ReportData:
    return ReportData(title="t", generated_at="now", weights_kind="real", demo=False, components=(), drift=drift)


def test_an_alarm_shows_its_measures_reasons_and_retrains() -> None:
    html = re.sub(r"\s+", " ", render_html(data(evidence(True)), [], {}))
    assert 'id="tag2vec-drift"' in html and "<strong>Alarm</strong>: new_tag_share 0.093 &gt; baseline 0.000 + 0.04" in html
    assert "150 posts champion v4 has not seen, against the 1500 it was trained on" in html
    assert '<td>new_tag_share</td><td class="num">0.093</td><td class="num">0.000</td> <td class="num">0.04</td>' in html
    assert "logged only" in html and "#&lt;b&gt;newtrend&lt;/b&gt;" in html and "started by a drift alarm: 1" in html


def test_no_check_yet_says_so_and_the_json_carries_the_check() -> None:
    assert "No drift check yet" in render_html(data(None), [], {})
    record = decision_json(data(evidence(False)), [])["tag2vec_drift"]
    assert record["alarm"] is False and record["measures"]["js"] == 0.12 and record["champion_version"] == "4"
