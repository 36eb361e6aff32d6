"""The rerank section of the report reads the last tune run's result record: without one (a run of an older
reeltag) it gives a warning, not a crash."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reeltag.project import Project
from reeltag.registry.gates import NOT_ENOUGH
from reeltag.report.evidence import CV, ENGINE, STALE_TUNE, rerank_component
from reeltag.report.figures import all_charts
from reeltag.report.judgement import ReportData, decision_json, judge, render_html
from reeltag.tracking.results import SCHEMA


class _Tracker:
    def __init__(self, run: dict[str, Any], record: dict[str, Any] | None) -> None:
        self._run, self._record = run, record

    def latest_run(self, component: str, tags: dict[str, str]) -> dict[str, Any] | None:
        return self._run if all(self._run["tags"].get(f"reeltag.{k}") == v for k, v in tags.items()) else None

    def read_dict(self, run_id: str, artifact_file: str) -> dict[str, Any] | None:
        return self._record if artifact_file == "result.json" else None


def _project(tmp_path: Path, record: dict[str, Any] | None) -> Any:
    settings = Project.open(tmp_path / "root", tracking={"enabled": False}).settings
    run = {"run_id": "r1", "tags": {"reeltag.kind": "tune"}, "params": {}, "metrics": {"challenger/map": 0.4}}
    return SimpleNamespace(settings=settings, tracker=_Tracker(run, record))


def _tune_record(**engine: Any) -> dict[str, Any]:
    comparison = {
        "metric": "map",
        "n_topics": 40,
        "mean_a": 0.3,
        "mean_b": 0.4,
        "mean_delta": 0.1,
        "ci_low": 0.05,
        "ci_high": 0.15,
        "confidence": 0.95,
        "wilcoxon_p": 0.01,
        "wins": 30,
        "ties": 5,
        "losses": 5,
        "unpaired": 0,
        "resamples": 1000,
        **engine,
    }
    return {"schema": SCHEMA, "type": "TuneResult", "result": {"engine_comparison": comparison}}


def test_a_tune_run_without_a_result_record_is_not_enough_evidence_and_the_report_renders(tmp_path: Path) -> None:
    component, detail = rerank_component(_project(tmp_path, None), "unused-search-folder")
    assert component is not None and detail is None
    assert component.model == CV and component.reference == ENGINE and STALE_TUNE in component.warnings
    assert "re-run `reeltag rerank tune`" in STALE_TUNE
    data = ReportData(title="PoC", generated_at="now", weights_kind="real", demo=False, components=(component,))
    judgement = judge(data, component)
    assert judgement.decision.verdict == NOT_ENOUGH
    assert any(STALE_TUNE in r for r in judgement.decision.reasons)
    assert decision_json(data, [judgement])["components"]["rerank"]["verdict"] == NOT_ENOUGH
    assert "predates the engine comparison" in render_html(data, [judgement], all_charts(data))


def test_a_record_of_another_schema_is_not_read(tmp_path: Path) -> None:
    record = {**_tune_record(), "schema": SCHEMA + 1}
    component, _ = rerank_component(_project(tmp_path, record), None)
    assert component is not None and STALE_TUNE in component.warnings


def test_the_engine_comparison_comes_from_the_record_not_the_metric_names(tmp_path: Path) -> None:
    component, _ = rerank_component(_project(tmp_path, _tune_record()), None)
    assert component is not None and component.warnings == ()
    assert component.gains == {"map": 0.4 - 0.3} and component.n_eval == 40
    assert any("wins/losses/ties 30/5/5" in n and "[0.0500, 0.1500]" in n for n in component.notes)


def test_a_ci_not_measured_is_a_warning(tmp_path: Path) -> None:
    component, _ = rerank_component(_project(tmp_path, _tune_record(ci_low=None, ci_high=None)), None)
    assert component is not None and any("not measured" in w for w in component.warnings)


def test_the_gate_row_keeps_the_tune_topics_and_the_current_search_set_gets_its_own_engine_row(
    tmp_path: Path, monkeypatch
) -> None:
    """After the search set changed since tuning, the engine's figure the gate compares (the tune run's topics) is
    not mixed with the engine's figures on today's set: each sits beside its own CLIPRerank row."""
    import reeltag.report.evidence as evidence

    today = {evidence.ENGINE_NOW: {"map": 0.5, "p_10": 0.6}, "cliprerank (registered setting)": {"map": 0.7, "p_10": 0.8}}
    monkeypatch.setattr(evidence, "_apply_champion", lambda project, search: (dict(today), None))
    component, _ = rerank_component(_project(tmp_path, _tune_record()), "search-folder")
    assert component is not None and component.reference == ENGINE
    assert component.methods[ENGINE] == {"map": 0.3} and component.methods[CV]["map"] == 0.4
    assert component.methods[evidence.ENGINE_NOW] == today[evidence.ENGINE_NOW]
    assert component.gains == {"map": 0.4 - 0.3}
