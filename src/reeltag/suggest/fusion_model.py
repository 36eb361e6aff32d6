"""The fitted fusion as a model: logged to MLflow (``reeltag/fusion``), registered as ``reeltag.fusion`` through
the one registration-and-gate step (GO: the fused ranking does not lose to the mapper alone on the test videos;
random encoder weights are NOT ENOUGH EVIDENCE), and loaded back from its champion for ``suggest``.

Native files (``native/fusion/``): ``fusion.json`` (weights, the models it was fitted for, the kNN reference
videos' tags, its metrics) and ``knn.npz`` (their pooled features).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.mapper.evaluate import Examples, Truth
from reeltag.mapper.frequency_bands import PopularityBias
from reeltag.project import Project
from reeltag.ranking import fuse
from reeltag.registry.gates import SliceRule, Threshold, decide
from reeltag.registry.policy import Candidate, GateOutcome, champion_version, native_copy, register_and_gate
from reeltag.registry.serving_set import encoder_lineage
from reeltag.slices import SliceFigure, records
from reeltag.suggest.fusion import FusionFit
from reeltag.tracking.off import tracked_run_id
from reeltag.tracking.records import LoggedModel, VersionInfo
from reeltag.tracking.results import log_result, read_result

MODEL = "fusion"
FUSION_FILE, KNN_FILE = "fusion.json", "knn.npz"
GATE_METRIC = "test/fused/p_at_5"
REFERENCE = "the mapper alone"
NO_FUSION = "no fusion passed its gate (none fitted, or it lost to the mapper alone: `reeltag fusion fit --labels L`)"


@dataclass(frozen=True, kw_only=True)
class FusionFitted:
    weights: dict[str, float]  # per feature (mapper, knn, text, prior), fitted on out-of-fold train + val scores
    cv: dict[str, float]  # fused metrics on those out-of-fold scores
    importance: dict[str, float]  # per feature: the drop of that mAP when the ranker is refitted without it
    test: dict[str, dict[str, float]]  # mapper, knn, text and fused on the test videos
    slices: list[dict[str, Any]]  # tag_frequency bands (reeltag.mapper.frequency_bands): fused against slices_reference
    slices_reference: str  # the mapper alone, on the same videos (what the gate compares with)
    bias: dict[str, PopularityBias]  # per branch, the label prior (popularity) and fused: top-5 bias and coverage
    videos: dict[str, int]
    texts_used: dict[str, int]  # videos whose text the text branch could use: fitted on ("fit"), "test"
    decision: str
    reasons: tuple[str, ...]
    use_fused: bool  # promoted: suggest, the review page and the API now rank with it
    version: str  # of reeltag.fusion
    run_id: str
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str
    text_model: bool  # whether a text model (`reeltag text train`) was there


@dataclass(frozen=True, kw_only=True, eq=False)
class Fusion:
    """A registered fusion, ready for ``suggest``."""

    version: str
    weights: dict[str, float]
    train_features: np.ndarray
    train_tags: tuple[tuple[str, ...], ...]
    mapper_version: str
    tag2vec_version: str
    encoder_id: str

    def predict(self, branches: Mapping[str, np.ndarray]) -> np.ndarray:
        """Fused scores of per-feature score matrices (the pyfunc wrapper's entry point)."""
        return fuse(branches, self.weights)


@dataclass(frozen=True)
class NoFusion:
    """No fusion to rank with, and why: the mapper ranks alone and ``ranking`` says so."""

    reason: str = NO_FUSION


def register_fusion(
    project: Project,
    fitted: FusionFit,
    *,
    test: dict[str, dict[str, float]],
    data: Any,
    used: dict[str, int],
    champion: Any,
    space: Any,
    text: bool,
    slices: list[SliceFigure],
    bias: dict[str, PopularityBias],
    hold: str | None = None,
) -> FusionFitted:
    """Log the fit, register it and gate it against the mapper alone on the same test videos (``hold``: why a GO is
    not promoted now, :func:`reeltag.registry.policy.register_and_gate`)."""
    lineage = {
        "depends_on.mapper": champion.info.version,
        "depends_on.tag2vec": str(space.version),
        "depends_on.encoder": data.features.model_id,
        **encoder_lineage(project, data.features.model_id),
        "encoder_weights": data.features.weights_kind,
    }
    meta = {
        "weights": fitted.weights,
        "mapper_version": champion.info.version,
        "tag2vec_version": str(space.version),
        "encoder_id": data.features.model_id,
        "train_tags": [list(r.tags) for r in data.rows["train"]],
        "cv": fitted.cv,
        "importance": fitted.importance,
        "test": test,
    }
    tracker = project.tracker
    with tracker.run(MODEL, project.settings, tags=lineage) as run:
        tracker.log_params(run.run_id, {f"fusion.weight.{k}": round(v, 4) for k, v in fitted.weights.items()})
        tracker.log_metrics(run.run_id, _metrics(fitted, test))
        run_id = tracked_run_id(run.run_id, "logging a model")  # tracking off: refused as log_model refuses it
        logged = _log_native(project, run_id, meta, data.splits["train"].features)
    gate = _gate(project, test, data.features.weights_kind, slices)
    found = register_and_gate(
        project, Candidate(model=MODEL, run=run, logged=logged, tags=lineage), gate, tracker.by_alias(MODEL, "champion"), hold
    )
    result = FusionFitted(
        weights=fitted.weights,
        cv=fitted.cv,
        importance=fitted.importance,
        test=test,
        slices=records(slices),
        slices_reference=REFERENCE,
        bias=bias,
        videos={k: len(v) for k, v in data.rows.items()},
        texts_used=used,
        decision=found.decision.verdict,
        reasons=found.decision.reasons + ((f"not promoted: {found.refusal}",) if found.refusal else ()),
        use_fused=found.promoted,
        version=found.version,
        run_id=run_id,
        mapper_version=champion.info.version,
        tag2vec_version=str(space.version),
        encoder_id=data.features.model_id,
        encoder_weights=data.features.weights_kind,
        text_model=text,
    )
    log_result(project.tracker, run.run_id, result)
    return result


def _metrics(fitted: FusionFit, test: dict[str, dict[str, float]]) -> dict[str, float]:
    out = {f"cv/fused/{k}": v for k, v in fitted.cv.items()} | {f"cv/importance/{k}": v for k, v in fitted.importance.items()}
    return out | {f"test/{branch}/{k}": v for branch, m in test.items() for k, v in m.items()}


def _gate(project: Project, test: dict[str, dict[str, float]], weights_kind: str, slices: list[SliceFigure]) -> Any:
    g = project.settings.gates
    warnings = ["encoder weights are random: the visual branches carry no visual meaning"] if weights_kind == "random" else []

    def gate(_champion: Any) -> GateOutcome:
        fused, mapper = test["fused"]["p_at_5"], test["mapper"]["p_at_5"]
        decision = decide(
            {GATE_METRIC: fused},
            {GATE_METRIC: mapper},
            [Threshold(metric=GATE_METRIC, tolerance=g.tolerance)],
            warnings=warnings,
            reference=REFERENCE,
            slices=slices,
            slice_rule=SliceRule(min_items=g.min_slice_items, max_loss=g.max_slice_loss),
        )
        return GateOutcome(decision=decision, metrics={"delta/fused_minus_mapper/p_at_5": fused - mapper})

    return gate


def _log_native(project: Project, run_id: str, meta: dict[str, Any], features: np.ndarray) -> LoggedModel:
    with tempfile.TemporaryDirectory(prefix="reeltag-fusion-") as tmp:
        folder = Path(tmp) / MODEL
        folder.mkdir()
        (folder / FUSION_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        with open(folder / KNN_FILE, "wb") as fh:
            np.savez(fh, features=features)
        return project.tracker.log_model(run_id, {MODEL: folder}, "reeltag.suggest.fusion_model:load_pyfunc")


def read_fusion(folder: Path, version: str) -> Fusion:
    meta = json.loads((folder / FUSION_FILE).read_text(encoding="utf-8"))
    with np.load(folder / KNN_FILE, allow_pickle=False) as d:
        features = d["features"]
    return Fusion(
        version=version,
        weights=meta["weights"],
        train_features=features,
        train_tags=tuple(tuple(t) for t in meta["train_tags"]),
        mapper_version=meta["mapper_version"],
        tag2vec_version=meta["tag2vec_version"],
        encoder_id=meta["encoder_id"],
    )


def load_pyfunc(artifacts: dict[str, str]) -> Fusion:
    """Loader for the pyfunc wrapper (``Tracker.log_model(..., loader=...)``)."""
    return read_fusion(Path(artifacts[MODEL]), "pyfunc")


def load_fusion(project: Project) -> Fusion | NoFusion:
    """The champion ``reeltag.fusion`` (verified local copy), or :class:`NoFusion` when no fusion passed its gate."""
    info = project.tracker.by_alias(MODEL, "champion")
    return fusion_version(project, info) if info is not None else NoFusion()


def fusion_version(project: Project, info: VersionInfo) -> Fusion:
    """One registered ``reeltag.fusion`` version, read from its verified local copy."""
    return read_fusion(native_copy(project, info) / MODEL, info.version)


def fusion_mismatch(fusion: Fusion, mapper_version: str, tag2vec_version: str, encoder_id: str) -> str:
    """Why ``fusion`` cannot serve these models ("" when it can)."""
    found = {"mapper": fusion.mapper_version, "Tag2Vec": fusion.tag2vec_version, "encoder": fusion.encoder_id}
    wanted = {"mapper": mapper_version, "Tag2Vec": tag2vec_version, "encoder": encoder_id}
    stale = [f"{k} {found[k]} (now {wanted[k]})" for k in found if found[k] != wanted[k]]
    return f"fusion v{fusion.version} was fitted for {', '.join(stale)}: run `reeltag fusion fit --labels L`" if stale else ""


def champion_fusion_mismatch(project: Project) -> str:
    """Why the champion fusion cannot serve the mapper and Tag2Vec champions and the configured encoder ("" when
    it can): what ``suggest`` would fall back to the mapper alone for."""
    from reeltag.mapper.data import configured_model_id

    fusion = load_fusion(project)
    if isinstance(fusion, NoFusion):
        return fusion.reason
    mapper, tag2vec = champion_version(project, "mapper"), champion_version(project, "tag2vec")
    return fusion_mismatch(fusion, str(mapper), str(tag2vec), configured_model_id(project))


def knn_reference(fusion: Fusion, keys: Sequence[str]) -> Examples:
    """The fusion's kNN reference videos (features and tags) over the candidate ``keys``."""
    return Examples(fusion.train_features, Truth.from_tags(fusion.train_tags, keys))


def report_figures(project: Project, mapper_version: str) -> tuple[dict[str, dict[str, float]], str]:
    """The newest ``reeltag.fusion`` fitted for this mapper version: its fused and text-alone test figures (the
    same held-out videos as the mapper's when fitted on the same labels) and a note; nothing when there is none."""
    fitted = [v for v in project.tracker.versions(MODEL) if v.tags.get("depends_on.mapper") == mapper_version]
    record = read_result(project.tracker, fitted[-1].run_id, "FusionFitted") if fitted else None
    if record is None:
        return {}, ""
    info, weights = fitted[-1], ", ".join(f"{k} {v:.2f}" for k, v in record["weights"].items())
    champion = project.tracker.by_alias(MODEL, "champion")  # a version list carries no aliases
    use = "champion: what suggest uses" if champion and champion.version == info.version else f"not used: {record['decision']}"
    note = (
        f"fusion: reeltag.fusion v{info.version} ({use}; weights {weights}, fitted on out-of-fold scores of the "
        f"train + val videos); 'text' is its text branch alone."
    )
    return {"fusion": record["test"]["fused"], "text": record["test"]["text"]}, note
