"""Tuning's last steps: what the new setting is compared with, the go/no-go gate, and registration.

The baseline is the current ``reeltag.reranker@champion`` rescored on the same run and qrels, or the engine's
own run when there is no champion. The gate (:func:`reeltag.registry.gates.decide`) asks for the
cross-validated measure not to lose more than ``gates.tolerance`` and to gain at least ``gates.min_abs_delta``
/ ``gates.min_rel_delta``; a paired bootstrap CI of the gain that reaches 0 (no evidence of a gain), random
encoder weights or fewer topics than ``gates.min_eval_topics`` turn a GO into NOT ENOUGH EVIDENCE, which does
not promote. The worst-slice rule (``gates.min_slice_items``, ``gates.max_slice_loss``) reads the per-topic values
by slice (:mod:`reeltag.rerank.topic_slices`): a slice that loses, its CI below 0, is a NO-GO naming it, however
good the mean. Every tuned setting is registered through :func:`reeltag.registry.policy.register_and_gate`
(the aliases follow its policy: only a GO moves ``champion`` and ``challenger``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reeltag.ab.paired import PairedComparison, compare_paired
from reeltag.config import GatesSection
from reeltag.project import Project
from reeltag.registry.gates import Decision, SliceRule, Threshold, ci_warnings, comparison_metrics, decide
from reeltag.registry.policy import Candidate, GateOutcome, Registration, register_and_gate
from reeltag.registry.serving_set import encoder_lineage
from reeltag.rerank.apply import Prepared, rerank_prepared
from reeltag.rerank.formats import Qrels, Run
from reeltag.rerank.metrics import evaluate, metric_key
from reeltag.rerank.model import ALPHA_WEIGHS, PARAMS_FILE, RerankerParams, setting_from_tags, write_params
from reeltag.rerank.topic_slices import Bands, topic_figures
from reeltag.slices import SliceFigure

if TYPE_CHECKING:
    from reeltag.tracking.store import RunInfo, VersionInfo

MODEL = "reranker"
LOADER = "reeltag.rerank.model:load_reranker"


@dataclass(frozen=True, kw_only=True)
class Baseline:
    name: str
    values: dict[str, float]  # per topic


@dataclass(frozen=True, kw_only=True)
class TuneEvidence:
    """What the gate compares: the tuned setting's held-out values on the same run, qrels and topics."""

    run: Run
    prepared: Prepared
    qrels: Qrels
    measure: str
    top_m: int
    held_out: dict[str, float]  # per topic, cross-validated
    encoder_weights: str
    bands: Bands = field(default_factory=dict)  # slice → topic → band (:func:`reeltag.rerank.topic_slices.topic_bands`)


def find_baseline(evidence: TuneEvidence, champion: "VersionInfo | None") -> Baseline:
    """The champion reranker rescored on the same run and qrels, or the engine's own run without one."""
    if champion is None:
        return Baseline(
            name="engine", values=evaluate(evidence.run, evidence.qrels, [evidence.measure]).per_topic[evidence.measure]
        )
    setting = setting_from_tags(champion.tags, f"{MODEL} v{champion.version}")
    reranked = rerank_prepared(evidence.prepared, setting, evidence.top_m)
    return Baseline(
        name=f"champion v{champion.version}",
        values=evaluate(reranked, evidence.qrels, [evidence.measure]).per_topic[evidence.measure],
    )


def gate_tuned(project: Project, evidence: TuneEvidence, champion: "VersionInfo | None") -> GateOutcome:
    """Paired comparison of the held-out values with the baseline on the same topics, and its decision."""
    cfg = project.settings.rerank
    baseline = find_baseline(evidence, champion)
    comparison = compare_paired(
        {t: baseline.values[t] for t in evidence.held_out},
        evidence.held_out,
        metric_key(evidence.measure),
        cfg.bootstrap,
        cfg.seed,
    )
    slices = topic_figures(
        evidence.bands,
        evidence.held_out,
        baseline.values,
        metric=metric_key(evidence.measure),
        resamples=cfg.bootstrap,
        seed=cfg.seed,
    )
    decision = promotion_decision(comparison, evidence.encoder_weights, project.settings.gates, slices, reference=baseline.name)
    return GateOutcome(decision=decision, metrics=comparison_log(comparison), detail=(baseline, comparison))


def comparison_log(c: PairedComparison) -> dict[str, float]:
    return {**comparison_metrics({c.metric: c.mean_b}, {c.metric: c.mean_a}), **c.metrics()}


def promotion_decision(
    comparison: PairedComparison,
    encoder_weights: str,
    gates: GatesSection,
    slices: Sequence[SliceFigure] = (),
    reference: str = "champion",
) -> Decision:
    """The thresholds on the mean, the worst-slice rule over ``slices`` and the evidence warnings, against
    ``reference`` (the champion, or the engine's run when there is none)."""
    m = comparison.metric
    thresholds = [
        Threshold(metric=m, tolerance=gates.tolerance, min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta)
    ]
    warnings = ci_warnings(m, comparison.ci_low, comparison.confidence)
    if encoder_weights == "random":
        warnings.append("CLIP encoder weights are random (no text-image alignment)")
    if comparison.n_topics < gates.min_eval_topics:
        warnings.append(f"tiny data: {comparison.n_topics} topics (< gates.min_eval_topics={gates.min_eval_topics})")
    rule = SliceRule(min_items=gates.min_slice_items, max_loss=gates.max_slice_loss)
    return decide(
        {m: comparison.mean_b},
        {m: comparison.mean_a},
        thresholds,
        warnings=warnings,
        reference=reference,
        slices=slices,
        slice_rule=rule,
    )


def register_reranker(project: Project, run: "RunInfo", params: RerankerParams, evidence: TuneEvidence) -> Registration:
    """Log the params file + pyfunc wrapper, then the registration-and-gate step against the current champion."""
    mean = sum(evidence.held_out.values()) / max(len(evidence.held_out), 1)
    candidate = reranker_candidate(project, run, params, {f"cv_{metric_key(evidence.measure)}": f"{mean:.6f}"})
    gate = lambda info: gate_tuned(project, evidence, info)  # noqa: E731
    return register_and_gate(project, candidate, gate, project.tracker.by_alias(MODEL, "champion"))


def reranker_candidate(project: Project, run: "RunInfo", params: RerankerParams, tags: dict[str, str]) -> Candidate:
    """``params`` logged as a reranker model of ``run`` (params file + pyfunc), with its registry tags."""
    with tempfile.TemporaryDirectory(prefix="reeltag-reranker-") as tmp:
        logged = project.tracker.log_model(run.run_id, {"params": write_params(Path(tmp) / PARAMS_FILE, params)}, loader=LOADER)
    registry_tags: dict[str, Any] = {k: v for k, v in asdict(params).items() if k != "encoder_model_id"}
    registry_tags.update({"alpha_weighs": ALPHA_WEIGHS, "depends_on.clip": params.encoder_model_id, **tags})
    registry_tags.update(encoder_lineage(project, params.encoder_model_id))
    return Candidate(model=MODEL, run=run, logged=logged, tags=registry_tags)
