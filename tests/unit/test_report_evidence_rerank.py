"""The rerank section of the report: a tune run from before the engine comparison gives a warning, not a crash."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reeltag.decisions.figures import all_charts
from reeltag.decisions.gates import NOT_ENOUGH
from reeltag.decisions.report import ReportData, decision_json, judge, render_html
from reeltag.pipelines.report_evidence import CV, ENGINE, STALE_TUNE, rerank_component
from reeltag.project import Project


class _Tracker:
    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self._runs = runs

    def latest_run(self, component: str, tags: dict[str, str]) -> dict[str, Any] | None:
        found = [r for r in self._runs if all(r["tags"].get(f"reeltag.{k}") == v for k, v in tags.items())]
        return found[0] if found else None


def _project(tmp_path: Path, run: dict[str, Any]) -> Any:
    settings = Project.open(tmp_path / "root", tracking={"enabled": False}).settings
    return SimpleNamespace(settings=settings, tracker=_Tracker([run]))


def _tune_run(metrics: dict[str, float], baseline: str) -> dict[str, Any]:
    return {"tags": {"reeltag.kind": "tune"}, "params": {"baseline": baseline}, "metrics": metrics}


def test_an_old_tune_run_against_a_champion_is_not_enough_evidence_and_the_report_renders(tmp_path: Path) -> None:
    old = _tune_run({"challenger/map": 0.4, "champion/map": 0.38, "ci_low/map": -0.01}, baseline="champion v1")
    component, detail = rerank_component(_project(tmp_path, old), "unused-search-folder")
    assert component is not None and detail is None
    assert component.model == CV and component.reference == ENGINE and STALE_TUNE in component.warnings
    assert "re-run `reeltag rerank tune`" in STALE_TUNE
    data = ReportData("PoC", "now", "real", False, (component,))
    judgement = judge(data, component)
    assert judgement.decision.verdict == NOT_ENOUGH
    assert any(STALE_TUNE in r for r in judgement.decision.reasons)
    assert decision_json(data, [judgement])["components"]["rerank"]["verdict"] == NOT_ENOUGH
    assert "predates the engine comparison" in render_html(data, [judgement], all_charts(data))


def test_an_old_tune_run_against_the_engine_is_still_judged(tmp_path: Path) -> None:
    old = _tune_run({"challenger/map": 0.4, "champion/map": 0.3, "ci_low/map": 0.05, "ci_high/map": 0.15,
                     "n_topics/map": 40}, baseline="engine")
    component, _ = rerank_component(_project(tmp_path, old), None)
    assert component is not None and component.warnings == ()
    assert component.gains == {"map": 0.4 - 0.3}
