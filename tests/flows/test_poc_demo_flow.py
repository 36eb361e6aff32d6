"""Smoke test of the `make demo` path: the poc-demo flow on the tiny demo with reduced settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


def test_poc_demo_flow_writes_a_report_that_does_not_say_go(tmp_path: Path) -> None:
    from flows.poc_demo import poc_demo
    from reeltag.demo.steps import CHECKPOINT, SIMULATED_TRAFFIC, demo_toml

    root = tmp_path / "demo"
    summary = poc_demo(str(root), size="tiny", seed=1, quick=True)
    assert (root / "reeltag.toml").read_text(encoding="utf-8") == demo_toml(root.resolve(), "tiny", quick=True)

    assert Path(summary.report).is_file() and Path(summary.decision).is_file()
    decision = json.loads(Path(summary.decision).read_text(encoding="utf-8"))
    assert summary.verdict == decision["verdict"] != "GO"
    assert decision["weights_kind"] == "demo-trained" and decision["demo_data"]
    assert (root / CHECKPOINT).is_file()
    review = decision["staff_review"]  # the simulated reviewer decided every labelled demo video
    assert review["simulated"] and review["reviewers"] == ["simulated"] and review["items_reviewed"] > 0
    html = Path(summary.report).read_text(encoding="utf-8")
    assert "Staff review (simulated reviewer)" in html
    assert "fusion: reeltag.fusion v1 (" in html  # fit-fusion ran, figures shown
    for model in ("mapper", "rerank"):  # issue 26: a slice table per model, its figures in decision.json
        assert f'id="slices-{model}"' in html and decision["components"][model]["slices"], model
    assert 'id="bias-mapper"' in html and "popularity" in decision["components"]["mapper"]["popularity_bias"]
    _check_the_simulated_online_experiment(root, decision, html, SIMULATED_TRAFFIC[True])
    _check_the_alias_history(root, decision, html)


def _check_the_simulated_online_experiment(root: Path, decision: dict, html: str, traffic: tuple[int, int]) -> None:
    """Simulated users went through the real API (every request and event in the store, none refused), ab-online
    aggregated their day, and the report shows it labelled simulated and never as a GO."""
    from reeltag.ab.event_log import read_log
    from reeltag.ab.events import EventStore
    from reeltag.demo.online_experiment import DEMO_PROMOTION
    from reeltag.project import Project

    project = Project.open(root)
    log = read_log(EventStore(project.paths.ab_events_db), "demo-search", 0.0, 2e10)
    assert (
        len(log.users) == traffic[0] and all(log.simulated) and len(set(log.users)) <= traffic[1] and log.counts.events.sum() > 0
    )
    with EventStore(project.paths.ab_events_db).reading() as con:
        assert con.execute("SELECT COUNT(*) FROM refusals").fetchone()[0] == 0
    online = decision["online_search"]
    assert online["experiment"] == "demo-search" and [d["simulated"] for d in online["days"]] == [True]
    assert online["days"][0]["summary"]["queries"] == traffic[0]
    assert decision["components"]["online"]["verdict"] != "GO" and "Online search success (simulated users)" in html
    reranker = project.tracker.by_alias("reranker", "champion")
    assert reranker is not None and reranker.tags.get("reeltag.reason") == DEMO_PROMOTION


def _check_the_alias_history(root: Path, decision: dict, html: str) -> None:
    """`reeltag history` (every model) lists the demo run's alias moves in the order they happened, the demo's
    manual promotion of the reranker among them; replaying them gives every model's aliases now; the report's
    serving timeline shows the reranker's."""
    from typer.testing import CliRunner

    from reeltag.cli import app
    from reeltag.demo.online_experiment import DEMO_PROMOTION
    from reeltag.project import Project
    from reeltag.tracking.naming import ALIASES

    listed = CliRunner().invoke(app, ["history", "--root", str(root), "--json"])
    assert listed.exit_code == 0, listed.output
    moves = json.loads(listed.stdout.strip().splitlines()[-1])["moves"]
    assert [m["seq"] for m in moves] == sorted(m["seq"] for m in moves) and [m["at"] for m in moves] == sorted(
        m["at"] for m in moves
    )
    manual = [m for m in moves if m["action"] == "manual"]
    project = Project.open(root)
    served = project.tracker.by_alias("reranker", "champion")
    assert [(m["model"], m["alias"], m["previous"], m["version"], m["by"], m["reason"]) for m in manual] == [
        ("reeltag.reranker", "champion", None, served.version, "reeltag demo", DEMO_PROMOTION)
    ]
    replayed: dict[tuple[str, str], str | None] = {}
    for m in moves:
        assert replayed.get((m["model"], m["alias"])) == m["previous"], m  # each move starts where the last one left it
        replayed[(m["model"], m["alias"])] = m["version"]
    for model in ("tag2vec", "mapper", "reranker", "encoder", "fusion"):
        for alias in ALIASES:
            info = project.tracker.by_alias(model, alias)
            assert replayed.get((f"reeltag.{model}", alias)) == (info.version if info else None), (model, alias)
    timeline = [t for t in decision["serving_timeline"] if t["model"] == "reranker" and t["alias"] == "champion"]
    assert timeline[-1]["version"] == served.version and timeline[-1]["until"] is None and timeline[-1]["action"] == "manual"
    assert 'id="serving-timeline"' in html and DEMO_PROMOTION in html
