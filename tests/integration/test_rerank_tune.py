"""Acceptance: tuning CLIPRerank on the demo search set (planted frame-local relevance).

With the demo-trained encoder the tuner picks α > 0 (some weight on the CLIP score) and the cross-validated MAP
beats the engine with a paired bootstrap CI above 0; with random weights (no text-image alignment) it picks
α = 0 (the engine alone) or a gain whose CI includes 0, and the gate never promotes it.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reeltag.project import Project
from reeltag.rerank.scoring import blend
from reeltag.rerank.steps import tune_rerank

pytestmark = pytest.mark.integration

GRID = {
    "alpha_grid": [0.0, 0.25, 0.5, 0.75, 1.0],
    "tune_normalisations": ["minmax", "zscore"],
    "tune_poolings": ["max", "mean"],
    "bootstrap": 1000,
}


def _tune(project: Project, demo_tiny: Path):
    s = demo_tiny / "search"
    return tune_rerank(project, s / "base.run", s / "topics.txt", s / "qrels.txt", s / "manifest.csv")


def test_demo_trained_encoder_beats_the_engine_on_held_out_topics(demo_tiny: Path, demo_encoder, tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"}, rerank=GRID, clip=demo_encoder.clip)
    result = _tune(project, demo_tiny)
    assert result.encoder_weights == "demo-trained" and result.baseline == "engine"
    assert result.chosen.alpha > 0.0
    assert result.cross_validated > result.baseline_value
    assert result.comparison.ci_low > 0, result.comparison
    assert result.settings_tried == 4 * 2 * 2 + 1 and result.topics == 4

    tracker = project.tracker
    version = tracker.version("reranker", result.registered_version)
    assert version.tags["reeltag.decision"] == result.verdict
    assert (tracker.by_alias("reranker", "challenger") is not None) == result.promoted  # challenger: passed its gate
    assert version.tags["reeltag.alpha"] == str(result.chosen.alpha)
    assert version.tags["reeltag.alpha_weighs"] == "clip"
    assert version.tags["depends_on.clip"] == result.encoder_model_id
    assert (tracker.by_alias("reranker", "champion") is not None) == result.promoted == (result.verdict == "GO")
    runs = tracker.runs("rerank")
    assert sum(r["tags"].get("reeltag.kind") == "tune-setting" for r in runs) == result.settings_tried
    [parent] = [r for r in runs if r["tags"].get("reeltag.kind") == "tune"]
    assert parent["metrics"]["delta/map"] == pytest.approx(result.cross_validated - result.baseline_value)
    assert parent["tags"]["reeltag.encoder_weights"] == "demo-trained"

    rows = pd.DataFrame({"qid": ["a", "a", "a", "b"], "base": [3.0, 2.0, 1.0, 5.0], "clip": [0.1, np.nan, 0.9, 0.2]})
    tracker.promote("reranker", version.version)  # by hand, as `reeltag promote` would (4 topics: not enough evidence)
    predicted = tracker.load_pyfunc("reranker", "champion").predict(rows)
    expected = blend(rows["base"].to_numpy()[:3], rows["clip"].to_numpy()[:3], result.chosen.alpha, result.chosen.normalisation)
    assert np.asarray(predicted)[:3] == pytest.approx(expected)


def test_random_encoder_gives_no_trustworthy_gain(demo_tiny: Path, tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"enabled": False}, rerank=GRID, clip={"weights": "random"})
    result = _tune(project, demo_tiny)
    assert result.encoder_weights == "random"
    assert not result.comparison.ci_excludes_zero, result.comparison  # no evidence of a gain (README: CI [0.000, +0.037])
    assert result.verdict in ("NO-GO", "NOT ENOUGH EVIDENCE") and not result.promoted and result.registered_version is None
    assert "warning: CLIP encoder weights are random (no text-image alignment)" in result.reasons
    assert any("CI of the map gain is not above 0" in r for r in result.reasons), result.reasons
    assert "not registered: tracking is off (tracking.enabled = false)" in result.reasons


def test_report_judges_the_reranker_against_the_engine_even_with_a_champion(
    demo_tiny: Path, demo_encoder, tmp_path: Path
) -> None:
    from reeltag.registry.gates import GO, decide
    from reeltag.report.evidence import rerank_component

    project = Project.open(
        tmp_path / "root", tracking={"trigger": "test"}, rerank=GRID, clip=demo_encoder.clip, gates={"min_eval_topics": 1}
    )
    first = _tune(project, demo_tiny)
    assert first.promoted and first.baseline == "engine", first.reasons
    again = _tune(project, demo_tiny)  # the monthly re-tune: same data, same setting, a champion already in place
    assert again.baseline == f"champion v{first.registered_version}"
    assert again.comparison.mean_delta == pytest.approx(0.0) and not again.promoted
    engine = again.engine_comparison
    assert engine is not None and engine.mean_delta > 0 and engine.ci_low > 0, engine

    component, _ = rerank_component(project, None)
    assert component is not None and component.reference == "engine (base run)"
    assert component.gains == {"map": pytest.approx(engine.mean_delta)}
    assert component.methods[component.reference]["map"] == pytest.approx(engine.mean_a)
    assert component.warnings == ()
    assert any("wins/losses/ties" in n and f"{engine.wins}/{engine.losses}/{engine.ties}" in n for n in component.notes)
    verdict = decide(
        component.methods[component.model],
        component.methods[component.reference],
        component.thresholds,
        warnings=component.warnings,
        reference=component.reference,
    )
    assert verdict.verdict == GO, verdict.reasons
    [latest, *_] = [r for r in project.tracker.runs("rerank") if r["tags"].get("reeltag.kind") == "tune"]
    assert latest["tags"]["reeltag.decision_reasons"] == " | ".join(again.reasons)
