"""Fusion steps: ``fit_fusion`` (weights of the mapper, visual kNN and text branches fitted on the labels'
validation videos, every branch and the fusion measured on the test videos, gated against the mapper alone)
and ``load_fusion`` (what ``suggest`` uses when the gate said GO and the models still match).

Saved as ``data/models/fusion/fusion.json`` (weights, versions, metrics, decision, the kNN training videos'
tags) and ``knn.npz`` (their pooled features).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.decisions.gates import Threshold, decide
from reeltag.io import atomic_path, write_json_atomic
from reeltag.mapper.evaluate import (
    Examples,
    Truth,
    cosine_scores,
    knn_scores,
    ranking_metrics,
)
from reeltag.mapper.fusion import BRANCHES, fit_weights, fuse
from reeltag.mapper.suggest import TagIndex
from reeltag.pipelines.corpus import tag_rules
from reeltag.pipelines.mapper_data import (
    build_dataset,
    check_labels,
    label_normaliser,
    load_champion,
    load_project_encoder,
    load_space,
    require_encoder,
    require_splits,
    tag_index,
)
from reeltag.pipelines.text import load_project_text_model
from reeltag.project import Project
from reeltag.text.branch import text_branch
from reeltag.text.sources import table_texts
from reeltag.text.words import TextInput, read_text

FUSION_FILE, KNN_FILE = "fusion.json", "knn.npz"


@dataclass(frozen=True, kw_only=True)
class FusionFitted:
    weights: dict[str, float]  # per branch, fitted on the validation videos
    val: dict[str, float]  # fused metrics on the validation videos
    test: dict[str, dict[str, float]]  # mapper, knn, text and fused on the test videos
    videos: dict[str, int]
    texts_used: dict[str, int]  # videos per split whose text the text branch could use
    decision: str
    reasons: tuple[str, ...]
    use_fused: bool  # what suggest does: the gate said GO
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str
    text_model: bool  # whether a text model (`reeltag text train`) was there


@dataclass(frozen=True, kw_only=True)
class Fusion:
    """A fitted fusion, ready for ``suggest``."""

    weights: dict[str, float]
    train_features: np.ndarray
    train_tags: tuple[tuple[str, ...], ...]
    use_fused: bool
    mapper_version: str
    tag2vec_version: str
    encoder_id: str


def fit_fusion(
    project: Project, labels: str | Path, space: Any = None, encoder: Any = None, on_progress: Callable[[int], None] | None = None
) -> FusionFitted:
    """Fit the branch weights on the validation videos of ``labels``; measure every branch on its test videos."""
    from reeltag.mapper.train import predict

    space = space or load_space(project)
    champion = load_champion(project, space, required=True)
    encoder = encoder or load_project_encoder(project)
    require_encoder(champion, encoder.model_id)
    index, normalise = tag_index(space), label_normaliser(project, space)
    data = build_dataset(project, check_labels(project, labels, normalise), index, encoder, on_progress)
    require_splits(data, ("train", "val", "test"))
    texts, text_model = (
        table_texts(Path(labels), project.settings.paths.allow_absolute_manifest_paths),
        load_project_text_model(project),
    )
    branches, used = {}, {}
    for split in ("val", "test"):
        inputs = [_text_input(project, texts.get(str(r.video))) for r in data.rows[split]]
        mapped = predict(champion.model, data.splits[split].features)
        branches[split] = branch_scores(mapped, data.splits[split], data.splits["train"], index, inputs, text_model, normalise)
        used[split] = sum(1 for note in branches[split].notes if not note)
    val, test_set = branches["val"], branches["test"]
    fitted = fit_weights(val.scores, data.splits["val"].truth, project.settings.text.fusion_step, val.scales)
    test = {name: ranking_metrics(s, data.splits["test"].truth) for name, s in test_set.scores.items()}
    test["fused"] = ranking_metrics(fuse(test_set.scores, fitted.weights, test_set.scales), data.splits["test"].truth)
    decision = decide(
        {"test/p_at_5": test["fused"]["p_at_5"]},
        {"test/p_at_5": test["mapper"]["p_at_5"]},
        [Threshold("test/p_at_5", tolerance=project.settings.gates.tolerance)],
        reference="the mapper alone",
    )
    result = FusionFitted(
        weights=fitted.weights,
        val=fitted.val,
        test=test,
        videos={k: len(v) for k, v in data.rows.items()},
        texts_used=used,
        decision=decision.verdict,
        reasons=decision.reasons,
        use_fused=decision.go,
        mapper_version=champion.info.version,
        tag2vec_version=str(space.version),
        encoder_id=data.features.model_id,
        encoder_weights=data.features.weights_kind,
        text_model=text_model is not None,
    )
    _save(project, result, data.splits["train"], [r.tags for r in data.rows["train"]])
    return result


@dataclass(frozen=True, kw_only=True, eq=False)
class Branches:
    scores: dict[str, np.ndarray]  # branch → (videos, candidates)
    scales: dict[str, np.ndarray]  # branch → per-video factor of its z-scores (the text branch's confidence)
    notes: tuple[str, ...]  # per video: why its text was not used ("" when it was)


def branch_scores(
    mapped: np.ndarray,
    videos: Examples,
    train: Examples,
    index: TagIndex,
    texts: Sequence[TextInput],
    text_model: Any,
    normalise: Callable[[str], str | None],
) -> Branches:
    """Score matrices of the three branches for ``videos``, the text branch's confidence and notes."""
    model, method = text_model if text_model is not None else (None, None)
    text = text_branch(model, method, texts, index.keys, normalise, index.vectors)
    scores = {
        "mapper": cosine_scores(mapped, index.vectors),
        "knn": knn_scores(train.features, train.truth, videos.features, len(index.keys)),
        "text": text.scores,
    }
    return Branches(scores={b: scores[b] for b in BRANCHES}, scales={"text": text.confidence}, notes=text.notes)


def _text_input(project: Project, text: str | None) -> TextInput:
    s = project.settings
    return read_text(text, tag_rules(s.corpus), s.corpus.max_tags_per_post, s.text.max_chars)


def _save(project: Project, result: FusionFitted, train: Examples, train_tags: Sequence[Sequence[str]]) -> None:
    folder = project.paths.models / "fusion"
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / KNN_FILE) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, features=train.features)
    write_json_atomic(folder / FUSION_FILE, {**asdict(result), "train_tags": [list(t) for t in train_tags]})


def load_fusion(project: Project) -> Fusion | None:
    """The fitted fusion, or None when ``reeltag fusion fit`` has not run."""
    folder = project.paths.models / "fusion"
    if not (folder / FUSION_FILE).is_file() or not (folder / KNN_FILE).is_file():
        return None
    meta = json.loads((folder / FUSION_FILE).read_text(encoding="utf-8"))
    with np.load(folder / KNN_FILE, allow_pickle=False) as d:
        features = d["features"]
    return Fusion(
        weights=meta["weights"],
        train_features=features,
        train_tags=tuple(tuple(t) for t in meta["train_tags"]),
        use_fused=bool(meta["use_fused"]),
        mapper_version=meta["mapper_version"],
        tag2vec_version=meta["tag2vec_version"],
        encoder_id=meta["encoder_id"],
    )


def fusion_mismatch(fusion: Fusion, mapper_version: str, tag2vec_version: str, encoder_id: str) -> str:
    """Why ``fusion`` cannot serve these models ("" when it can)."""
    found = {"mapper": fusion.mapper_version, "Tag2Vec": fusion.tag2vec_version, "encoder": fusion.encoder_id}
    wanted = {"mapper": mapper_version, "Tag2Vec": tag2vec_version, "encoder": encoder_id}
    stale = [f"{k} {found[k]} (now {wanted[k]})" for k in found if found[k] != wanted[k]]
    return f"fusion was fitted for {', '.join(stale)}: run `reeltag fusion fit --labels L`" if stale else ""


def knn_truth(fusion: Fusion, keys: Sequence[str]) -> Examples:
    return Examples(fusion.train_features, Truth.from_tags(fusion.train_tags, keys))
