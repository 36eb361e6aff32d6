"""Tuning's last steps: what the new setting is compared with, the go/no-go gate, and registration.

The baseline is the current ``reeltag.reranker@champion`` rescored on the same run and qrels, or the engine's
own run when there is no champion. The gate (:func:`reeltag.decisions.gates.decide`) asks for the
cross-validated measure not to lose more than ``gates.tolerance`` and to gain at least ``gates.min_abs_delta``
/ ``gates.min_rel_delta``; a paired bootstrap CI of the gain that reaches 0 (no evidence of a gain), random
encoder weights or fewer topics than ``gates.min_eval_topics`` turn a GO into NOT ENOUGH EVIDENCE, which does
not promote. Every tuned setting is registered and becomes ``challenger``;
only a GO moves ``champion`` (the previous one becomes ``rollback``).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reeltag.ab.paired import PairedComparison
from reeltag.config import GatesSection
from reeltag.decisions.gates import Decision, Threshold, ci_warnings, decide
from reeltag.project import Project
from reeltag.rerank.apply import Prepared, rerank_prepared
from reeltag.rerank.formats import Qrels, Run
from reeltag.rerank.metrics import evaluate
from reeltag.rerank.model import ALPHA_WEIGHS, PARAMS_FILE, RerankerParams, setting_from_tags, write_params

MODEL = "reranker"
LOADER = "reeltag.rerank.model:load_reranker"


@dataclass(frozen=True)
class Baseline:
    name: str
    values: dict[str, float]  # per topic


def find_baseline(project: Project, run: Run, prepared: Prepared, qrels: Qrels, measure: str, top_m: int) -> Baseline:
    champion = project.tracker.by_alias(MODEL, "champion") if project.settings.tracking.enabled else None
    if champion is None:
        return Baseline("engine", evaluate(run, qrels, [measure]).per_topic[measure])
    setting = setting_from_tags(champion.tags, f"{MODEL} v{champion.version}")
    values = evaluate(rerank_prepared(prepared, setting, top_m), qrels, [measure]).per_topic[measure]
    return Baseline(f"champion v{champion.version}", values)


def promotion_decision(comparison: PairedComparison, encoder_weights: str, gates: GatesSection) -> Decision:
    m = comparison.metric
    thresholds = [Threshold(m, tolerance=gates.tolerance, min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta)]
    warnings = ci_warnings(m, comparison.ci_low, comparison.confidence)
    if encoder_weights == "random":
        warnings.append("CLIP encoder weights are random (no text-image alignment)")
    if comparison.n_topics < gates.min_eval_topics:
        warnings.append(f"tiny data: {comparison.n_topics} topics (< gates.min_eval_topics={gates.min_eval_topics})")
    return decide({m: comparison.mean_b}, {m: comparison.mean_a}, thresholds, warnings=warnings)


def register_reranker(project: Project, run: Any, params: RerankerParams, decision: Decision,
                      comparison: PairedComparison) -> tuple[str, bool]:
    """Log the params file + pyfunc wrapper, register a version, make it challenger; promote on GO."""
    tracker = project.tracker
    with tempfile.TemporaryDirectory(prefix="reeltag-reranker-") as tmp:
        uri = tracker.log_model(run.run_id, {"params": write_params(Path(tmp) / PARAMS_FILE, params)}, loader=LOADER)
    tags: dict[str, Any] = {k: v for k, v in asdict(params).items() if k != "encoder_model_id"}
    tags.update({"alpha_weighs": ALPHA_WEIGHS, "depends_on.clip": params.encoder_model_id, "decision": decision.verdict,
                 f"cv_{comparison.metric}": f"{comparison.mean_b:.6f}", f"ci_low_{comparison.metric}": f"{comparison.ci_low:.6f}"})
    version = tracker.register(MODEL, uri, run.run_id, tags)
    tracker.set_alias(MODEL, "challenger", version.version)
    if decision.go:
        tracker.promote(MODEL, version.version)
    return version.version, decision.go
