"""Steps: rerank a run with CLIP frame features, evaluate a run, tune the rerank setting, compare two runs.

Input problems (duplicates, unknown topics, non-finite scores, refused manifest paths) are quarantined under
``data/quarantine/search.jsonl`` by the steps that write outputs, and returned by every step. Outputs state
the CLIP encoder's model id and kind of weights. MLflow: ``reeltag/rerank`` (tuning: one nested run per
setting), ``reeltag/ab``; registry ``reeltag.reranker``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reeltag import quarantine
from reeltag.ab.paired import PairedComparison, compare_paired
from reeltag.project import Project
from reeltag.registry.gates import comparison_metrics
from reeltag.rerank.apply import Prepared, head_docids, prepare, rerank_prepared
from reeltag.rerank.formats import (
    Issue,
    Manifest,
    Qrels,
    Run,
    Topics,
    read_manifest,
    read_qrels,
    read_run,
    read_topics,
    write_run,
)
from reeltag.rerank.gate import TuneEvidence, comparison_log, gate_tuned, register_reranker
from reeltag.rerank.metrics import DEFAULT_MEASURES, XINFAP, check_measures, evaluate, metric_key
from reeltag.rerank.model import RerankerParams
from reeltag.rerank.tuning import Setting, cross_validate, grid
from reeltag.tracking.naming import ENGINE_AB
from reeltag.tracking.off import NOT_REGISTERED
from reeltag.tracking.results import log_result

if TYPE_CHECKING:
    from reeltag.registry.policy import Registration
    from reeltag.tracking.store import RunInfo
    from reeltag.video.encoder import ClipEncoder

SOURCE = "rerank"
RERANK_TAG = "cliprerank"  # run tag column: cliprerank-<kind of CLIP weights>


@dataclass(frozen=True, kw_only=True)
class SearchInputs:
    run: Run
    topics: Topics
    manifest: Manifest
    issues: tuple[Issue, ...]


@dataclass(frozen=True, kw_only=True)
class CandidateFeatures:
    """Query vectors per topic and frame vectors per candidate document, from one encoder."""

    queries: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    encoder_model_id: str
    encoder_weights: str
    videos_encoded: int
    videos_cached: int
    videos_unreadable: int
    docs_not_in_manifest: int


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


@dataclass(frozen=True, kw_only=True)
class ABResult:
    run_a: Path
    run_b: Path
    qrels: Path
    comparisons: tuple[PairedComparison, ...]
    input_issues: tuple[Issue, ...]
    run_id: str | None


def load_search_inputs(project: Project, run_path: Path, topics_path: Path, manifest_path: Path) -> SearchInputs:
    """Read run, topics and manifest; quarantine what they report."""
    topics = read_topics(topics_path)
    run = read_run(run_path, known_topics=topics.texts)
    manifest = read_manifest(manifest_path, project.settings.paths.allow_absolute_manifest_paths)
    issues = topics.issues + run.issues + manifest.issues
    _quarantine(project, issues)
    return SearchInputs(run=run, topics=topics, manifest=manifest, issues=issues)


def _quarantine(project: Project, issues: Sequence[Issue]) -> None:
    records = [
        quarantine.QuarantineRecord(kind="search", item=i.item, reason=f"{i.kind}: {i.detail}", source=SOURCE) for i in issues
    ]
    quarantine.record(project.paths.quarantine, records)


def collect_features(
    project: Project,
    inputs: SearchInputs,
    depth: int,
    encoder: "ClipEncoder | None" = None,
    on_progress: Callable[[int], None] | None = None,
) -> CandidateFeatures:
    """Cached (or newly extracted) frame features of every head document, and the topics' text vectors."""
    from reeltag.video.encoder import load_encoder
    from reeltag.video.steps import extract_features

    docids = head_docids(inputs.run, depth, set(inputs.topics.texts))
    located = {d: inputs.manifest.paths[d] for d in docids if d in inputs.manifest.paths}
    encoder = encoder or load_encoder(project.settings.clip, project.paths)
    batch = extract_features(project, sorted(set(located.values())), on_progress, encoder)
    by_video = batch.by_video()
    frames = {d: by_video[str(p)].frames for d, p in located.items() if str(p) in by_video}
    qids = [q for q in inputs.run.qids if q in inputs.topics.texts]
    vectors: np.ndarray | list[np.ndarray] = encoder.encode_texts([inputs.topics.texts[q] for q in qids]) if qids else []
    return CandidateFeatures(
        queries=dict(zip(qids, vectors)),
        frames=frames,
        encoder_model_id=batch.model_id,
        encoder_weights=batch.weights_kind,
        videos_encoded=batch.encoded,
        videos_cached=batch.cached,
        videos_unreadable=batch.quarantined,
        docs_not_in_manifest=len(docids) - len(located),
    )


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


def score_settings(
    prepared: Prepared,
    qrels: Qrels,
    settings: Sequence[Setting],
    top_m: int,
    measure: str,
    on_setting: Callable[[Setting, float], None] | None = None,
) -> dict[Setting, dict[str, float]]:
    """Per-topic ``measure`` of the reranked run under every setting."""
    table = {}
    for setting in settings:
        result = evaluate(rerank_prepared(prepared, setting, top_m), qrels, [measure])
        table[setting] = result.per_topic[measure]
        if on_setting:
            on_setting(setting, result.mean[measure])
    return table


def tune_rerank(
    project: Project,
    run_path: Path,
    topics_path: Path,
    qrels_path: Path,
    manifest_path: Path,
    encoder: "ClipEncoder | None" = None,
    on_progress: Callable[[int], None] | None = None,
) -> TuneResult:
    """Grid over α × normalisation × pooling, cross-validated over topics; register and gate the choice."""
    cfg = project.settings.rerank
    [measure] = check_measures([cfg.tune_measure])
    inputs = load_search_inputs(project, run_path, topics_path, manifest_path)
    qrels = read_qrels(qrels_path)
    _quarantine(project, qrels.issues)
    feats = collect_features(project, inputs, cfg.depth, encoder, on_progress)
    prepared = prepare(inputs.run, feats.queries, feats.frames, cfg.depth)
    settings = grid(cfg.alpha_grid, cfg.tune_normalisations, cfg.tune_poolings)
    with _tune_run(project, feats) as run:
        table = score_settings(prepared, qrels, settings, cfg.top_m, measure, _nested_logger(project, run, measure))
        engine = evaluate(inputs.run, qrels, [measure])
        topics = sorted(t for t in engine.topics if t in prepared.topics)
        cv = cross_validate(table, topics, cfg.cv_folds, cfg.seed)
        versus_engine = compare_paired(
            {t: engine.per_topic[measure][t] for t in topics}, cv.held_out, metric_key(measure), cfg.bootstrap, cfg.seed
        )
        evidence = TuneEvidence(
            run=inputs.run,
            prepared=prepared,
            qrels=qrels,
            measure=measure,
            top_m=cfg.top_m,
            held_out={t: cv.held_out[t] for t in topics},
            encoder_weights=feats.encoder_weights,
        )
        params = RerankerParams(
            alpha=cv.chosen.alpha,
            normalisation=cv.chosen.normalisation,
            pooling=cv.chosen.pooling,
            top_m=cfg.top_m,
            depth=cfg.depth,
            encoder_model_id=feats.encoder_model_id,
            encoder_weights=feats.encoder_weights,
        )
        _log_tuning(project, run, versus_engine, cv.chosen)
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
        depth=cfg.depth,
        candidates=prepared.candidates,
        without_video=prepared.without_video,
        encoder_model_id=feats.encoder_model_id,
        encoder_weights=feats.encoder_weights,
        verdict=outcome.decision.verdict,
        reasons=outcome.decision.reasons + _registration_notes(found),
        registered_version=found.version if found else None,
        promoted=bool(found and found.promoted),
        input_issues=inputs.issues + qrels.issues,
        run_id=run.run_id,
        engine_comparison=versus_engine,
    )
    log_result(project.tracker, run.run_id, result)
    return result


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


def compare_runs(project: Project, run_a: Path, run_b: Path, qrels_path: Path, measures: Sequence[str] | None = None) -> ABResult:
    """Paired per-topic comparison of B (challenger) against A (champion/base); logged to ``reeltag/ab``."""
    cfg = project.settings.rerank
    qrels = read_qrels(qrels_path)
    a, b = read_run(run_a), read_run(run_b)
    names = tuple(measures or default_measures(qrels))
    ea, eb = evaluate(a, qrels, names), evaluate(b, qrels, names)
    comparisons = tuple(
        compare_paired(ea.per_topic[m], eb.per_topic[m], metric_key(m), cfg.bootstrap, cfg.seed) for m in ea.measures
    )
    result = ABResult(
        run_a=Path(run_a),
        run_b=Path(run_b),
        qrels=Path(qrels_path),
        comparisons=comparisons,
        input_issues=a.issues + b.issues + qrels.issues,
        run_id=None,
    )
    return replace(result, run_id=_log_ab(project, result))


def _log_ab(project: Project, result: ABResult) -> str | None:
    tags = {"run_a": result.run_a.name, "run_b": result.run_b.name, "qrels": result.qrels.name}
    with project.tracker.run("ab", project.settings, tags=tags) as run:
        for c in result.comparisons:
            project.tracker.log_metrics(
                run.run_id, {**comparison_metrics({c.metric: c.mean_b}, {c.metric: c.mean_a}), **c.metrics()}
            )
    return run.run_id
