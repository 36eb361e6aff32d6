"""The report's "Online search success" section, from real ``ab-online`` day runs in a temp MLflow store: the
figures in the HTML are the ones the runs logged, the simulated label comes from the run's tag, the section is
absent without an experiment, and the online verdict joins the overall verdict without ever making it GO."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.online_day import run_ab_online
from reeltag.project import Project
from reeltag.report.steps import build_report

pytestmark = pytest.mark.integration
TODAY = datetime.now(UTC).date()


def _fill_day(project: Project, day: date, clicked_share: dict[str, float], simulated: bool, users: int = 60) -> None:
    """``users`` users per variant, one query each at noon of ``day``; a share of each variant's queries clicked."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
    prefix = "sim-" if simulated else "u-"
    rows = [(v, f"{prefix}{v}{i}", i < clicked_share[v] * users) for v in ("engine", "champion") for i in range(users)]
    store = EventStore(project.paths.ab_events_db).create()
    store.record_requests(
        ServedRequest(
            request_id=f"{day}-{u}",
            experiment="rep",
            user=u,
            variant=v,
            served=noon,
            docids=("a", "b", "c"),
            teams=None,
            simulated=simulated,
        )
        for v, u, _ in rows
    )
    store.import_events((f"{day}-{u}", Event(docid="b", type="click", position=2, ts=noon)) for v, u, c in rows if c)


def _page(html: str) -> str:
    return re.sub(r"\s+", " ", Path(html).read_text(encoding="utf-8"))


@pytest.fixture
def online_project(tmp_root: Path) -> Project:
    return Project.open(tmp_root, tracking={"trigger": "test"}, ab={"online": {"name": "rep", "bootstrap": 200}})


def test_the_section_shows_the_logged_figures_of_every_day(online_project: Project) -> None:
    yesterday = TODAY - timedelta(days=1)
    _fill_day(online_project, yesterday, {"engine": 0.5, "champion": 0.5}, simulated=False)
    _fill_day(online_project, TODAY, {"engine": 0.3, "champion": 0.8}, simulated=True)
    old, new = run_ab_online(online_project, yesterday), run_ab_online(online_project, TODAY)
    logged = online_project.tracker.run_data(new.run_id)
    metrics, tags = logged["metrics"], logged["tags"]

    result = build_report(online_project)
    html = _page(result.html)
    assert "Online search success (simulated users)" in html and "These users are simulated" in html
    row = re.search(r"<tr><td>champion</td>(.*?)</tr>", html).group(1)
    cells = [float(x) for x in re.findall(r'<td class="num">([-+0-9.]+)</td>', row)]
    assert cells == [
        pytest.approx(metrics[f"online/champion/{m}"], abs=5e-5) for m in ("queries", "success", "ctr", "rr", "abandonment")
    ]
    success = re.search(r"<tr><td>success</td>(.*?)</tr>", html).group(1)
    expected = f'{metrics["delta/success"]:+.4f}</td> <td class="num">[{metrics["delta/success/ci_low"]:+.4f}, '
    assert expected in success and f"{metrics['delta/success/ci_high']:+.4f}]" in success
    assert f"p = {metrics['srm/p_value']:.4g}" in html and "no mismatch" in html
    days = re.search(r'<table id="online-days">(.*?)</table>', html).group(1)
    old_delta = next(d.delta for d in old.deltas if d.metric == "success")
    assert days.index(old.day) < days.index(new.day) and f'<td class="num">{old_delta:+.4f}</td>' in days
    assert f"<td>{tags['reeltag.decision']} (simulated)</td>" in days and 'id="chart-online"' in html
    looks = re.search(r'<table id="online-looks">(.*?)</table>', html).group(1)  # every day's always-valid look
    assert old.look and new.look and (old.look.look, new.look.look, new.look.queries) == (1, 2, 240)
    assert looks.index(old.day) < looks.index(new.day) and metrics["always_valid/look"] == 2
    assert f"[{metrics['always_valid/ci_low']:+.4f}, {metrics['always_valid/ci_high']:+.4f}]" in looks

    decision = json.loads(Path(result.decision).read_text(encoding="utf-8"))
    assert decision["components"]["online"]["verdict"] == tags["reeltag.decision"] == "NOT ENOUGH EVIDENCE"
    assert decision["verdict"] != "GO" and decision["online_search"]["experiment"] == "rep"
    assert [d["summary"]["day"] for d in decision["online_search"]["days"]] == [old.day, new.day]


def test_a_real_users_day_is_not_labelled_simulated_and_srm_is_shown(online_project: Project) -> None:
    _fill_day(online_project, TODAY, {"engine": 0.2, "champion": 0.9}, simulated=False)
    run_ab_online(online_project, TODAY)
    html = _page(build_report(online_project).html)
    assert 'id="online-search"' in html and "simulated" not in html.split('id="online-search"')[1].split("</section>")[0]
    assert "engine 60, champion 60" in html


def test_no_experiment_data_no_section(project: Project) -> None:
    result = build_report(project)
    assert 'id="online-search"' not in _page(result.html)
    decision = json.loads(Path(result.decision).read_text(encoding="utf-8"))
    assert decision["online_search"] is None and "online" not in decision["components"]


def test_an_interleaving_day_shows_the_logged_win_share(tmp_root: Path) -> None:
    project = Project.open(tmp_root, tracking={"trigger": "test"}, ab={"online": {"name": "mix", "method": "interleave"}})
    noon = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC).timestamp()
    store = EventStore(project.paths.ab_events_db).create()
    teams = ("champion", "engine", "champion")
    store.record_requests(
        ServedRequest(
            request_id=f"r{i}",
            experiment="mix",
            user=f"u{i}",
            variant="interleaved",
            served=noon,
            docids=("a", "b", "c"),
            teams=teams,
        )
        for i in range(40)
    )
    clicked = [("b", 2) if i % 3 == 0 else ("a", 1) for i in range(40)]  # b: the engine's pick, a: the champion's
    store.import_events((f"r{i}", Event(docid=d, type="click", position=p, ts=noon)) for i, (d, p) in enumerate(clicked))
    metrics = project.tracker.run_data(run_ab_online(project, TODAY).run_id)["metrics"]
    html = _page(build_report(project).html)
    assert f"win share <strong>{metrics['interleave/win_share']:.4f}</strong>" in html
    assert f"[{metrics['interleave/ci_low']:.4f}, {metrics['interleave/ci_high']:.4f}]" in html
    assert (
        f"champion won <strong>{metrics['interleave/wins']:.0f}</strong> queries, the engine {metrics['interleave/losses']:.0f}"
        in html
    )
    assert "not applicable (interleaving" in html
