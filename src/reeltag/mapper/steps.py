"""Mapper lifecycle steps: ``train_mapper``, ``finetune_mapper``, ``evaluate_mapper`` (suggesting is :mod:`reeltag.suggest.steps`).

Runs go to MLflow ``reeltag/mapper``; versions to ``reeltag.mapper`` with ``depends_on.tag2vec`` and
``depends_on.encoder``; promotion only through :func:`reeltag.registry.gates.decide`. Every result says which
kind of encoder weights made it. Re-running train/finetune on the same inputs reuses the earlier run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.config import Settings
from reeltag.io import sha256_json
from reeltag.mapper.data import (
    MODEL,
    Champion,
    Dataset,
    FeatureCounts,
    LabelCheck,
    build_dataset,
    check_labels,
    configured_model_id,
    label_normaliser,
    load_champion,
    load_champion_space,
    load_project_encoder,
    load_version,
    require_encoder,
    require_splits,
    tag_index,
    tag_texts,
)
from reeltag.mapper.evaluate import best_fusion_weight, compare_methods, method_scores, prefixed, with_fused
from reeltag.mapper.frequency_bands import Pairs, PopularityBias, biases, heldout_pairs, mapper_slices
from reeltag.mapper.labels import labels_provenance
from reeltag.mapper.nearest import TagIndex
from reeltag.project import Project
from reeltag.registry.gates import Decision, Guardrail, SliceRule, Threshold, comparison_metrics, decide
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate
from reeltag.registry.serving_set import encoder_lineage
from reeltag.slices import SliceFigure, records
from reeltag.tag2vec.space import TagSpace
from reeltag.tracking.off import needs_tracking, tracked_run_id
from reeltag.tracking.results import log_result, read_result

GATE_METRIC = "test/mapper/p_at_5"
Progress = Callable[[int], None] | None


@dataclass(frozen=True, kw_only=True)
class MapperTrained:
    mode: str  # train | finetune
    run_id: str
    version: str | None
    reused: bool  # same inputs as an earlier run: nothing was trained again
    loss: str
    loss_scores: dict[str, float]  # validation P@5 of each loss tried; the best one won
    best_epoch: int
    epochs_run: int
    labels: LabelCheck
    features: FeatureCounts | None
    test: dict[str, dict[str, float]]  # method → metrics on the held-out videos
    champion_test: dict[str, float] | None  # the previous champion on the same videos
    slices: list[dict[str, Any]]  # tag_frequency bands (reeltag.mapper.frequency_bands) against slices_reference
    slices_reference: str  # "champion vN" (the gate's comparison, same videos) or "baseline <best baseline>"
    bias: dict[str, PopularityBias]  # per method: popularity bias and vocabulary coverage of its top 5
    decision: str
    reasons: tuple[str, ...]
    promoted: bool
    champion: str | None
    rollback: str | None
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str


@dataclass(frozen=True, kw_only=True)
class MapperEvaluation:
    run_id: str | None  # None when tracking is off
    mapper_version: str
    labels: LabelCheck
    features: FeatureCounts
    videos: dict[str, int]
    test: dict[str, dict[str, float]]
    fusion_weight: float | None  # weight of the mapper in the fused score, chosen on validation videos
    fusion_helps: bool
    label_tag_coverage: float  # share of held-out label tags that are in the Tag2Vec vocabulary
    slices: list[dict[str, Any]]  # tag_frequency bands of the champion against slices_reference
    slices_reference: str  # "baseline <the baseline with the best P@5>"
    bias: dict[str, PopularityBias]  # per method: popularity bias and vocabulary coverage of its top 5
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str


def train_mapper(
    project: Project, labels: str | Path, space: TagSpace | None = None, encoder: Any = None, on_progress: Progress = None
) -> MapperTrained:
    """Train from scratch (each loss; the best on validation wins), evaluate, register, promote by the gate."""
    return _fit_register(project, Path(labels), "train", space, encoder, on_progress)


def finetune_mapper(
    project: Project, labels: str | Path, space: TagSpace | None = None, encoder: Any = None, on_progress: Progress = None
) -> MapperTrained:
    """Start from the champion and adapt it to these labels (early stopping); promote only if the gate says GO."""
    return _fit_register(project, Path(labels), "finetune", space, encoder, on_progress)


def evaluate_mapper(
    project: Project, labels: str | Path, space: TagSpace | None = None, encoder: Any = None, on_progress: Progress = None
) -> MapperEvaluation:
    """The champion mapper and the baselines on the labels' held-out (test) videos."""
    space = space or load_champion_space(project)
    champion = load_champion(project, space, required=True)
    checked = check_labels(project, labels, label_normaliser(project, space))
    index, encoder = tag_index(space), encoder or load_project_encoder(project)
    require_encoder(champion, encoder.model_id)
    data = build_dataset(project, checked, index, encoder, on_progress)
    require_splits(data, ("train", "test"))
    scored = _evaluate(champion.model, data, index, tag_texts(encoder, index))
    test, weight, pairs = scored.test, scored.weight, _pairs(project, data, index)
    figures, versus = mapper_slices(scored.scores, test, pairs)
    with project.tracker.run("mapper", project.settings, tags=_lineage(space, data, "evaluate")) as run:
        project.tracker.log_metrics(run.run_id, prefixed(test, "test"))
        project.tracker.set_tags(run.run_id, {"mapper_version": champion.info.version})
    helps = weight is not None and test["fused"]["p_at_5"] > test["mapper"]["p_at_5"]
    result = MapperEvaluation(
        run_id=run.run_id,
        mapper_version=champion.info.version,
        labels=data.labels,
        features=data.features,
        videos={k: len(v) for k, v in data.rows.items()},
        test=test,
        fusion_weight=weight,
        fusion_helps=helps,
        label_tag_coverage=data.splits["test"].truth.coverage(),
        slices=records(figures),
        slices_reference=versus,
        bias=biases(scored.scores, pairs),
        tag2vec_version=str(space.version),
        encoder_id=data.features.model_id,
        encoder_weights=data.features.weights_kind,
    )
    log_result(project.tracker, run.run_id, result)
    return result


def _fit_register(
    project: Project, labels: Path, mode: str, space: TagSpace | None, encoder: Any, on_progress: Progress
) -> MapperTrained:
    if not project.tracker.enabled:
        raise needs_tracking(f"mapper {mode} (it registers and gates the model)")
    space = space or load_champion_space(project)
    champion = load_champion(project, space, required=mode == "finetune", strict=mode == "finetune")
    checked = check_labels(project, labels, label_normaliser(project, space))
    model_id = encoder.model_id if encoder is not None else configured_model_id(project)
    base_hash = _inputs_hash(project, mode, checked.check, space, model_id)
    inputs_hash = sha256_json([base_hash, champion.info.version if champion else None])[:16]
    previous = _previous(project, (inputs_hash, base_hash), champion, checked.check)
    if previous is not None:
        return previous
    if champion is not None and mode == "finetune":
        require_encoder(champion, model_id)
    index, encoder = tag_index(space), encoder or load_project_encoder(project)
    data = build_dataset(project, checked, index, encoder, on_progress)
    require_splits(data, ("train", "val", "test"))
    fitted, scores = _fit(project, mode, data, index, space, champion)
    return _register(
        project,
        mode=mode,
        data=data,
        index=index,
        space=space,
        encoder=encoder,
        fitted=fitted,
        scores=scores,
        champion=champion,
        hashes=(inputs_hash, base_hash),
    )


def _fit(project: Project, mode: str, data: Dataset, index: TagIndex, space: TagSpace, champion: Champion | None) -> Any:
    from reeltag.mapper.model import MapperArgs
    from reeltag.mapper.train import FitParams, fit, fit_best

    ms, train, val = project.settings.mapper, data.splits["train"], data.splits["val"]
    params = FitParams(
        epochs=ms.epochs,
        patience=ms.patience,
        lr=ms.finetune_lr if mode == "finetune" else ms.lr,
        weight_decay=ms.weight_decay,
        seed=ms.seed,
        augment=ms.augment_pools,
    )
    tag2vec_version, encoder_id, encoder_weights = str(space.version), data.features.model_id, data.features.weights_kind
    if mode == "finetune" and champion is not None:
        args = replace(champion.args, tag2vec_version=tag2vec_version, encoder_id=encoder_id, encoder_weights=encoder_weights)
        fitted = fit(args, index.vectors, train, val, params, init=champion.model.state_dict())
        return fitted, {fitted.args.loss: fitted.val_score}
    args = MapperArgs(
        in_dim=train.features.shape[1],
        out_dim=index.vectors.shape[1],
        hidden=ms.hidden,
        loss=ms.loss,
        temperature=ms.temperature,
        tag2vec_version=tag2vec_version,
        encoder_id=encoder_id,
        encoder_weights=encoder_weights,
    )
    return fit_best(args, index.vectors, train, val, params)


def _register(
    project: Project,
    *,
    mode: str,
    data: Dataset,
    index: TagIndex,
    space: TagSpace,
    encoder: Any,
    fitted: Any,
    scores: dict[str, float],
    champion: Champion | None,
    hashes: tuple[str, str],
) -> MapperTrained:
    from reeltag.mapper.model import TagMapper
    from reeltag.mapper.train import save_mapper

    model = TagMapper(fitted.args)
    model.load_state_dict(fitted.state)
    texts = tag_texts(encoder, index)
    scored, pairs = _evaluate(model, data, index, texts), _pairs(project, data, index)
    test = scored.test
    coverage = data.features.videos / max(data.features.videos + data.features.quarantined, 1)

    def gate_against(info: Any) -> GateOutcome:
        same = champion is not None and info is not None and champion.info.version == info.version
        old_model = champion if same else (load_version(project, info, space, strict=False) if info else None)
        old_scored = _evaluate(old_model.model, data, index, texts) if old_model is not None else None
        old = old_scored.test["mapper"] if old_scored is not None else None
        against = (f"champion v{info.version}", old_scored.scores["mapper"]) if old_scored is not None else None
        figures, versus = mapper_slices(scored.scores, test, pairs, against)
        decision = gate_decision(
            project.settings,
            test=test,
            old=old,
            weights=data.features.weights_kind,
            coverage=coverage,
            slices=figures if against else (),
        )
        return GateOutcome(
            decision=decision,
            detail=(old, figures, versus),
            metrics=comparison_metrics(_gate_metrics(test["mapper"], test), _champion_metrics(old, test)),
        )

    tracker = project.tracker
    tags = {**_lineage(space, data, mode), "inputs_hash": hashes[0], "inputs_base": hashes[1], "loss": fitted.args.loss}
    with tracker.run("mapper", project.settings, tags=tags) as run:
        tracker.log_metrics(run.run_id, {f"val/{loss}/p_at_5": v for loss, v in scores.items()} | prefixed(test, "test"))
        run_id = tracked_run_id(run.run_id, "logging a model")  # tracking off: refused as log_model refuses it
        with tempfile.TemporaryDirectory() as tmp:
            logged = tracker.log_model(
                run_id, {"mapper": save_mapper(Path(tmp) / "mapper", fitted)}, "reeltag.mapper.train:load_pyfunc"
            )
    lineage = {
        "depends_on.tag2vec": str(space.version),
        "depends_on.encoder": data.features.model_id,
        **encoder_lineage(project, data.features.model_id),
        "encoder_weights": data.features.weights_kind,
        "loss": fitted.args.loss,
        "mode": mode,
    }
    found = register_and_gate(
        project,
        Candidate(model=MODEL, run=run, logged=logged, tags=lineage),
        gate_against,
        tracker.by_alias(MODEL, "champion") if champion is None else champion.info,
    )
    old, figures, versus = found.outcome.detail
    result = MapperTrained(
        mode=mode,
        run_id=run_id,
        version=found.version,
        reused=False,
        loss=fitted.args.loss,
        loss_scores=scores,
        best_epoch=fitted.best_epoch,
        epochs_run=fitted.epochs_run,
        labels=data.labels,
        features=data.features,
        test=test,
        champion_test=old,
        slices=records(figures),
        slices_reference=versus,
        bias=biases(scored.scores, pairs),
        decision=found.decision.verdict,
        reasons=found.decision.reasons + ((f"not promoted: {found.refusal}",) if found.refusal else ()),
        promoted=found.promoted,
        champion=found.champion if found.promoted else None,
        rollback=found.rollback if found.promoted else None,
        tag2vec_version=str(space.version),
        encoder_id=data.features.model_id,
        encoder_weights=data.features.weights_kind,
    )
    log_result(project.tracker, run.run_id, result)
    return result


@dataclass(frozen=True, eq=False)
class Scored:
    """The mapper and the baselines on the test videos: metrics and score matrices (``fused`` with a weight)."""

    test: dict[str, dict[str, float]]
    scores: dict[str, np.ndarray]
    weight: float | None  # of the mapper in the fused score, chosen on validation videos


def _evaluate(model: Any, data: Dataset, index: TagIndex, texts: np.ndarray) -> Scored:
    """Mapper and baselines on the test videos; the fusion weight is chosen on validation videos (when there are any)."""
    from reeltag.mapper.train import predict

    train, val, test = data.splits["train"], data.splits["val"], data.splits["test"]
    weight = None
    if len(val.truth.columns):
        val_scores = method_scores(predict(model, val.features), val, train, index.vectors, texts)
        weight = best_fusion_weight(val_scores["mapper"], val_scores["zero_shot"], val.truth)
    scores = method_scores(predict(model, test.features), test, train, index.vectors, texts)
    return Scored(test=compare_methods(scores, test.truth, weight), scores=with_fused(scores, weight), weight=weight)


def _pairs(project: Project, data: Dataset, index: TagIndex) -> Pairs:
    splits = data.splits
    return heldout_pairs(splits["train"].truth, splits["test"].truth, candidates=len(index.keys), bands=project.settings.slices)


def gate_decision(
    settings: Settings,
    *,
    test: dict[str, dict[str, float]],
    old: dict[str, float] | None,
    weights: str,
    coverage: float,
    slices: Sequence[SliceFigure] = (),
) -> Decision:
    """The mapper's promotion gate: P@5 and mAP against the champion (``old``, same videos), the margin over
    popularity, the coverage guardrail and the worst-slice rule over ``slices`` (against the champion)."""
    g = settings.gates
    rules = [
        Threshold(metric=GATE_METRIC, tolerance=g.tolerance, min_abs_delta=g.min_abs_delta, min_rel_delta=g.min_rel_delta),
        Threshold(metric="test/mapper/map", tolerance=g.tolerance),
        Threshold(metric="test/mapper_minus_popularity/p_at_5", min_value=0.0),
    ]
    warnings = ["encoder weights are random: suggestions carry no visual meaning"] if weights == "random" else []
    rails = [Guardrail("coverage", min_value=g.min_coverage)]  # share of the labelled videos that could be read
    challenger = {**_gate_metrics(test["mapper"], test), "coverage": coverage}
    rule = SliceRule(min_items=g.min_slice_items, max_loss=g.max_slice_loss)
    return decide(challenger, _champion_metrics(old, test), rules, rails, warnings=warnings, slices=slices, slice_rule=rule)


def _gate_metrics(mapper: dict[str, float], test: dict[str, dict[str, float]]) -> dict[str, float]:
    """The mapper's test metrics plus its margin over the popularity baseline (same videos)."""
    out = {f"test/mapper/{k}": v for k, v in mapper.items()}
    out["test/mapper_minus_popularity/p_at_5"] = mapper["p_at_5"] - test["popularity"]["p_at_5"]
    return out


def _champion_metrics(old: dict[str, float] | None, test: dict[str, dict[str, float]]) -> dict[str, float] | None:
    return _gate_metrics(old, test) if old is not None else None


def _lineage(space: TagSpace, data: Dataset, mode: str) -> dict[str, str]:
    return {
        "mode": mode,
        "tag2vec_version": str(space.version),
        "encoder_id": data.features.model_id,
        "encoder_weights": data.features.weights_kind,
        "labels_sha256": data.labels.sha256,
        "videos_quarantined": str(data.features.quarantined),
        "labels_quarantined": str(data.labels.quarantined),
        **labels_provenance(data.labels.source, data.labels.sha256),
    }


def _inputs_hash(project: Project, mode: str, check: LabelCheck, space: TagSpace, encoder_id: str) -> str:
    """Content hash of what a fit depends on, except the champion it starts from or is compared with."""
    settings = project.settings
    return sha256_json(
        {
            "mode": mode,
            "labels": check.sha256,
            "tag2vec": str(space.version),
            "encoder": encoder_id,
            "mapper": settings.mapper.model_dump(mode="json"),
            "corpus": settings.corpus.model_dump(mode="json"),
        }
    )[:16]


def _previous(project: Project, hashes: tuple[str, str], champion: Champion | None, check: LabelCheck) -> MapperTrained | None:
    """The earlier run with the same inputs and the same champion, or the run that made the champion from these
    inputs (re-running a fine-tune that was promoted must not fine-tune its own result again)."""
    current = champion.info.version if champion else None
    queries = [{"inputs_hash": hashes[0]}] + ([{"inputs_base": hashes[1], "version": current}] if current else [])
    for tags in queries:  # server-side: however many other runs there are, these are found
        found = [
            r
            for r in project.tracker.runs("mapper", tags={**tags, "attributes.status": "FINISHED"})
            if "reeltag.version" in r["tags"]
        ]
        reused = _from_run(project, found[0], check) if found else None
        if reused is not None:
            return reused
    return None


def _from_run(project: Project, run: dict[str, Any], check: LabelCheck) -> MapperTrained | None:
    """The earlier run's result record, marked reused (None when it has none: it is trained again)."""
    record = read_result(project.tracker, run["run_id"], "MapperTrained")
    if record is None:
        return None
    kept = (
        "mode",
        "version",
        "loss",
        "loss_scores",
        "best_epoch",
        "epochs_run",
        "test",
        "champion_test",
        "decision",
        "promoted",
        "tag2vec_version",
        "encoder_id",
        "encoder_weights",
    )
    return MapperTrained(
        **{k: record[k] for k in kept},
        slices=record.get("slices", []),
        slices_reference=record.get("slices_reference", ""),
        bias={name: PopularityBias(**value) for name, value in record.get("bias", {}).items()},
        run_id=run["run_id"],
        reused=True,
        labels=check,
        features=None,
        reasons=(f"reused: same inputs as run {run['name']}",),
        champion=None,
        rollback=None,
    )
