"""Steps: rerank a run with CLIP frame features, evaluate a run, tune the rerank setting, compare two runs.

Input problems (duplicates, unknown topics, non-finite scores, refused manifest paths) are quarantined under
``data/quarantine/search.jsonl`` by the steps that write outputs, and returned by every step. Outputs state
the CLIP encoder's model id and kind of weights. MLflow: ``reeltag/rerank`` (tuning: one nested run per
setting), ``reeltag/ab``; registry ``reeltag.reranker``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reeltag.ab.paired import PairedComparison, compare_paired
from reeltag.project import Project
from reeltag.registry.gates import comparison_metrics
from reeltag.rerank.apply import prepare, rerank_prepared, score_settings
from reeltag.rerank.curve import CurvePoint
from reeltag.rerank.depth_cost import CurveFiles, DepthCurve, depth_for_budget, write_curve
from reeltag.rerank.formats import Issue, Qrels, read_qrels, read_run, read_topics, write_run
from reeltag.rerank.gate import TuneEvidence, comparison_log, gate_tuned, register_reranker
from reeltag.rerank.metrics import DEFAULT_MEASURES, XINFAP, check_measures, evaluate, metric_key
from reeltag.rerank.model import RerankerParams
from reeltag.rerank.search_inputs import CandidateFeatures, collect_features, load_search_inputs, quarantine_issues
from reeltag.rerank.topic_slices import topic_bands, topic_figures
from reeltag.rerank.tuning import Setting, cross_validate, grid
from reeltag.slices import SliceFigure
from reeltag.tracking.naming import ENGINE_AB
from reeltag.tracking.off import NOT_REGISTERED
from reeltag.tracking.results import log_result

if TYPE_CHECKING:
    from reeltag.registry.policy import Registration
    from reeltag.tracking.store import RunInfo
    from reeltag.video.encoder import ClipEncoder

RERANK_TAG = "cliprerank"  # run tag column: cliprerank-<kind of CLIP weights>


@dataclass(frozen=True, kw_only=True)
class RerankResult:
    output: Path
    setting: Setting
    depth: int
    top_m: int
    topics_reranked: int
    topics_passed_through: int  # no topic text: engine order kept
    candidates: int
    without_video: int  # kept their base score
    encoder_model_id: str
    encoder_weights: str
    videos_encoded: int
    videos_cached: int
    input_issues: tuple[Issue, ...]
    run_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class EvaluationResult:
    run: Path
    qrels: Path
    sampled: bool
    measures: tuple[str, ...]
    mean: dict[str, float]
    per_topic: dict[str, dict[str, float]] | None
    topics: int
    missing_in_run: tuple[str, ...]
    unknown_in_run: tuple[str, ...]
    no_relevant: tuple[str, ...]
    input_issues: tuple[Issue, ...]


@dataclass(frozen=True, kw_only=True)
class TuneResult:
    chosen: Setting
    measure: str
    baseline: str  # "engine" or "champion v<N>"
    baseline_value: float
    cross_validated: float  # mean over topics of the held-out values
    comparison: PairedComparison
    fold_choices: tuple[Setting, ...]
    settings_tried: int
    topics: int
    depth: int
    candidates: int
    without_video: int
    encoder_model_id: str
    encoder_weights: str
    verdict: str
    reasons: tuple[str, ...]
    registered_version: str | None
    promoted: bool
    input_issues: tuple[Issue, ...]
    run_id: str | None
    engine_comparison: PairedComparison | None = None  # the same held-out values vs the engine (what the report judges)
    slices: tuple[SliceFigure, ...] = ()  # the held-out values vs the engine's, per topic slice and band
    curve: DepthCurve | None = None  # with rerank.latency_budget_ms: the depth–cost curve the depth was chosen from
    depth_point: CurvePoint | None = None  # and its chosen point


@dataclass(frozen=True, kw_only=True)
class ABResult:
    run_a: Path
    run_b: Path
    qrels: Path
    comparisons: tuple[PairedComparison, ...]
    input_issues: tuple[Issue, ...]
    run_id: str | None
    slices: tuple[SliceFigure, ...] = ()  # B vs A per topic slice and band, every measure


def rerank_run(
    project: Project,
    run_path: Path,
    topics_path: Path,
    manifest_path: Path,
    output: Path,
    encoder: "ClipEncoder | None" = None,
    on_progress: Callable[[int], None] | None = None,
) -> RerankResult:
    """Rerank the top-``rerank.depth`` of each topic with ``rerank.alpha``/pooling/normalisation; write a TREC run."""
    cfg = project.settings.rerank
    inputs = load_search_inputs(project, run_path, topics_path, manifest_path)
    feats = collect_features(project, inputs, cfg.depth, encoder, on_progress)
    prepared = prepare(inputs.run, feats.queries, feats.frames, cfg.depth)
    setting = Setting(cfg.alpha, cfg.normalisation, cfg.pooling)
    write_run(output, rerank_prepared(prepared, setting, cfg.top_m, f"{RERANK_TAG}-{feats.encoder_weights}"))
    result = RerankResult(
        output=Path(output),
        setting=setting,
        depth=cfg.depth,
        top_m=cfg.top_m,
        topics_reranked=len(prepared.topics),
        topics_passed_through=len(prepared.passthrough),
        candidates=prepared.candidates,
        without_video=prepared.without_video,
        encoder_model_id=feats.encoder_model_id,
        encoder_weights=feats.encoder_weights,
        videos_encoded=feats.videos_encoded,
        videos_cached=feats.videos_cached,
        input_issues=inputs.issues,
    )
    return replace(result, run_id=_log_rerank(project, result))


def _log_rerank(project: Project, result: RerankResult) -> str | None:
    tags = {"kind": "apply", "encoder_weights": result.encoder_weights, "encoder_model_id": result.encoder_model_id}
    with project.tracker.run("rerank", project.settings, tags=tags) as run:
        project.tracker.log_metrics(
            run.run_id,
            {
                "apply/candidates": result.candidates,
                "apply/without_video": result.without_video,
                "apply/topics": result.topics_reranked,
                "apply/input_issues": len(result.input_issues),
            },
        )
        project.tracker.log_artifact(run.run_id, result.output, "runs")
    return run.run_id


def default_measures(qrels: Qrels) -> tuple[str, ...]:
    return DEFAULT_MEASURES + ((XINFAP,) if qrels.sampled else ())


def evaluate_run(
    project: Project, run_path: Path, qrels_path: Path, measures: Sequence[str] | None = None, per_topic: bool = True
) -> EvaluationResult:
    """Mean (and per-topic) measures of a run; xinfAP is added by default for sampled qrels."""
    qrels = read_qrels(qrels_path)
    run = read_run(run_path)
    result = evaluate(run, qrels, measures or default_measures(qrels))
    return EvaluationResult(
        run=Path(run_path),
        qrels=Path(qrels_path),
        sampled=qrels.sampled,
        measures=result.measures,
        mean=result.mean,
        per_topic=result.per_topic if per_topic else None,
        topics=len(result.topics),
        missing_in_run=result.missing_in_run,
        unknown_in_run=result.unknown_in_run,
        no_relevant=result.no_relevant,
        input_issues=run.issues + qrels.issues,
    )


def tune_rerank(
    project: Project,
    run_path: Path,
    topics_path: Path,
    qrels_path: Path,
    manifest_path: Path,
    encoder: "ClipEncoder | None" = None,
    on_progress: Callable[[int], None] | None = None,
    *,
    categories: Path | None = None,
    curve: DepthCurve | None = None,
) -> TuneResult:
    """Grid over α × normalisation × pooling, cross-validated over topics; register and gate the choice.

    With ``rerank.latency_budget_ms`` the depth is the depth–cost curve's point for the budget (``curve``, or
    measured), recorded with the registered reranker; ``categories`` (``qid category`` lines) adds that slice."""
    cfg = project.settings.rerank
    [measure] = check_measures([cfg.tune_measure])
    files = CurveFiles(run=run_path, topics=topics_path, qrels=qrels_path, manifest=manifest_path)
    budget = depth_for_budget(project, files, curve, encoder, on_progress)
    depth = budget[1].depth if budget else cfg.depth
    inputs = load_search_inputs(project, run_path, topics_path, manifest_path)
    qrels = read_qrels(qrels_path)
    quarantine_issues(project, qrels.issues)
    feats = collect_features(project, inputs, depth, encoder, on_progress)
    prepared = prepare(inputs.run, feats.queries, feats.frames, depth)
    settings = grid(cfg.alpha_grid, cfg.tune_normalisations, cfg.tune_poolings)
    with _tune_run(project, feats) as run:
        table = score_settings(prepared, qrels, settings, cfg.top_m, measure, _nested_logger(project, run, measure))
        engine = evaluate(inputs.run, qrels, [measure])
        topics = sorted(t for t in engine.topics if t in prepared.topics)
        cv = cross_validate(table, topics, cfg.cv_folds, cfg.seed)
        engine_values = {t: engine.per_topic[measure][t] for t in topics}
        versus_engine = compare_paired(engine_values, cv.held_out, metric_key(measure), cfg.bootstrap, cfg.seed)
        evidence = TuneEvidence(
            run=inputs.run,
            prepared=prepared,
            qrels=qrels,
            measure=measure,
            top_m=cfg.top_m,
            held_out={t: cv.held_out[t] for t in topics},
            encoder_weights=feats.encoder_weights,
            bands=topic_bands(
                qrels=qrels, cfg=project.settings.slices, texts=inputs.topics.texts, categories=_qid_texts(categories)
            ),
        )
        params = RerankerParams(
            alpha=cv.chosen.alpha,
            normalisation=cv.chosen.normalisation,
            pooling=cv.chosen.pooling,
            top_m=cfg.top_m,
            depth=depth,
            encoder_model_id=feats.encoder_model_id,
            encoder_weights=feats.encoder_weights,
        )
        _log_tuning(project, run, versus_engine, cv.chosen)
        curve = _log_depth_curve(project, run, budget)
        found = register_reranker(project, run, params, evidence) if run.run_id else None
    outcome = found.outcome if found else gate_tuned(project, evidence, None)
    baseline, comparison = outcome.detail
    result = TuneResult(
        chosen=cv.chosen,
        measure=measure,
        baseline=baseline.name,
        baseline_value=comparison.mean_a,
        cross_validated=cv.mean,
        comparison=comparison,
        fold_choices=cv.fold_choices,
        settings_tried=len(settings),
        topics=len(topics),
        depth=depth,
        candidates=prepared.candidates,
        without_video=prepared.without_video,
        encoder_model_id=feats.encoder_model_id,
        encoder_weights=feats.encoder_weights,
        verdict=outcome.decision.verdict,
        reasons=outcome.decision.reasons + _registration_notes(found) + _depth_note(project, budget),
        registered_version=found.version if found else None,
        promoted=bool(found and found.promoted),
        input_issues=inputs.issues + qrels.issues,
        run_id=run.run_id,
        engine_comparison=versus_engine,
        slices=tuple(
            topic_figures(
                evidence.bands,
                evidence.held_out,
                engine_values,
                metric=metric_key(measure),
                resamples=cfg.bootstrap,
                seed=cfg.seed,
            )
        ),
        curve=curve,
        depth_point=budget[1] if budget else None,
    )
    log_result(project.tracker, run.run_id, result)
    return result


def _qid_texts(path: Path | None) -> dict[str, str] | None:
    """``qid text`` lines (a topics or categories file) as a dict; ``None`` without a file."""
    return read_topics(path).texts if path else None


def _log_depth_curve(project: Project, run: "RunInfo", budget: tuple[DepthCurve, CurvePoint] | None) -> DepthCurve | None:
    """The depth–cost curve and its chosen point, as files of the tuning run (the registered reranker's)."""
    if budget is None or run.run_id is None:
        return budget[0] if budget else None
    with tempfile.TemporaryDirectory(prefix="reeltag-curve-") as tmp:
        written = write_curve(budget[0], Path(tmp) / "depth-curve.json", chosen=budget[1])
        for path in (written.record, written.plot):
            if path is not None:
                project.tracker.log_artifact(run.run_id, path, "curve")
    return replace(written, record=None, plot=None)


def _depth_note(project: Project, budget: tuple[DepthCurve, CurvePoint] | None) -> tuple[str, ...]:
    if budget is None:
        return ()
    p = budget[1]
    return (
        f"depth {p.depth}: the best cross-validated {budget[0].measure} ({p.quality:.4g}) among the depth-cost Pareto "
        f"points at {p.frames} frames/video whose p95 ({p.p95_ms:.3g} ms) fits rerank.latency_budget_ms="
        f"{project.settings.rerank.latency_budget_ms:g}",
    )


def _registration_notes(found: "Registration | None") -> tuple[str, ...]:
    if found is None:
        return (NOT_REGISTERED,)
    return (f"not promoted: {found.refusal}",) if found.refusal else ()


def _tune_run(project: Project, feats: CandidateFeatures):  # noqa: ANN202 (context manager of RunInfo)
    tags = {"kind": "tune", "encoder_weights": feats.encoder_weights, "encoder_model_id": feats.encoder_model_id}
    return project.tracker.run("rerank", project.settings, tags=tags)


def _nested_logger(project: Project, parent, measure: str) -> Callable[[Setting, float], None] | None:  # noqa: ANN001
    if parent.run_id is None:
        return None
    name = metric_key(measure)

    def log(setting: Setting, value: float) -> None:
        trigger = project.settings.tracking.trigger
        with project.tracker.run(
            "rerank", trigger=trigger, parent=parent, name=f"{parent.name}-{setting.label}", tags={"kind": "tune-setting"}
        ) as child:
            project.tracker.log_params(
                child.run_id,
                {"rerank.alpha": setting.alpha, "rerank.normalisation": setting.normalisation, "rerank.pooling": setting.pooling},
            )
            project.tracker.log_metrics(child.run_id, {f"all/{name}": value})

    return log


def _log_tuning(project: Project, run: "RunInfo", versus_engine: PairedComparison, chosen: Setting) -> None:
    """The held-out values vs the engine under ``engine_ab/`` (what the report judges) and the chosen setting; the
    promotion comparison (vs the champion or the engine) is logged unprefixed by the registration-and-gate step."""
    engine = {f"{ENGINE_AB}{k}": v for k, v in comparison_log(versus_engine).items()}
    project.tracker.log_metrics(run.run_id, engine)
    project.tracker.log_params(
        run.run_id, {"chosen.alpha": chosen.alpha, "chosen.normalisation": chosen.normalisation, "chosen.pooling": chosen.pooling}
    )


def compare_runs(
    project: Project,
    run_a: Path,
    run_b: Path,
    qrels_path: Path,
    measures: Sequence[str] | None = None,
    *,
    topics: Path | None = None,
    categories: Path | None = None,
) -> ABResult:
    """Paired per-topic comparison of B (challenger) against A (champion/base), overall and per topic slice
    (``relevant_count``; ``topic_length`` with ``topics``, ``topic_category`` with ``categories``); logged to
    ``reeltag/ab``."""
    cfg = project.settings.rerank
    qrels = read_qrels(qrels_path)
    a, b = read_run(run_a), read_run(run_b)
    names = tuple(measures or default_measures(qrels))
    ea, eb = evaluate(a, qrels, names), evaluate(b, qrels, names)
    comparisons = tuple(
        compare_paired(ea.per_topic[m], eb.per_topic[m], metric_key(m), cfg.bootstrap, cfg.seed) for m in ea.measures
    )
    bands = topic_bands(qrels=qrels, cfg=project.settings.slices, texts=_qid_texts(topics), categories=_qid_texts(categories))
    slices = [
        f
        for m in ea.measures
        for f in topic_figures(
            bands, eb.per_topic[m], ea.per_topic[m], metric=metric_key(m), resamples=cfg.bootstrap, seed=cfg.seed
        )
    ]
    result = ABResult(
        run_a=Path(run_a),
        run_b=Path(run_b),
        qrels=Path(qrels_path),
        comparisons=comparisons,
        input_issues=a.issues + b.issues + qrels.issues,
        run_id=None,
        slices=tuple(slices),
    )
    return replace(result, run_id=_log_ab(project, result))


def _log_ab(project: Project, result: ABResult) -> str | None:
    tags = {"run_a": result.run_a.name, "run_b": result.run_b.name, "qrels": result.qrels.name}
    with project.tracker.run("ab", project.settings, tags=tags) as run:
        for c in result.comparisons:
            project.tracker.log_metrics(
                run.run_id, {**comparison_metrics({c.metric: c.mean_b}, {c.metric: c.mean_a}), **c.metrics()}
            )
        log_result(project.tracker, run.run_id, result)
    return run.run_id
