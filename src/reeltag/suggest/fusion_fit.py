"""Fusion steps: ``fit_fusion`` fits the ranker of the mapper, visual kNN, text and label-prior scores on
out-of-fold scores of the labels' train + validation videos (:mod:`reeltag.suggest.out_of_fold`), measures every
branch and the fusion on the test videos and registers it (:mod:`reeltag.suggest.fusion_model`);
``refit_fusion`` fits it only when its champion does not fit the models in use (the finetune-mapper flow);
``branch_scores`` is what ``suggest`` ranks with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.corpus.steps import tag_rules
from reeltag.errors import TooFewVideos
from reeltag.mapper.data import (
    build_dataset,
    check_labels,
    label_normaliser,
    load_champion,
    load_champion_space,
    load_project_encoder,
    load_version,
    require_encoder,
    require_splits,
    space_champion,
    tag_index,
)
from reeltag.mapper.evaluate import Examples, cosine_scores, knn_scores, ranking_metrics
from reeltag.mapper.frequency_bands import biases, frequency_slices, heldout_pairs
from reeltag.mapper.nearest import TagIndex
from reeltag.project import Project
from reeltag.ranking import fuse
from reeltag.suggest.fusion import BRANCHES, FEATURES, fit_ranker, label_prior
from reeltag.suggest.fusion_model import FusionFitted, champion_fusion_mismatch, register_fusion
from reeltag.suggest.out_of_fold import joined, out_of_fold
from reeltag.text.branch import encoder_branch, split_encoder, text_branch
from reeltag.text.sources import table_texts
from reeltag.text.steps import load_project_text_model
from reeltag.text.words import TextInput, read_text


def fit_fusion(
    project: Project,
    labels: str | Path,
    space: Any = None,
    encoder: Any = None,
    on_progress: Callable[[int], None] | None = None,
    *,
    mapper_version: str | None = None,
) -> FusionFitted:
    """Fit the fusion ranker on out-of-fold scores of the non-test videos of ``labels``, measure every branch and
    the fusion on its test videos, and register it through the one registration-and-gate step (GO: it does not
    lose to the mapper alone). ``mapper_version``: fit it for that mapper (a candidate encoder's, made with the
    ``[clip]`` encoder of ``project``) instead of the champion; a GO is then held back (no alias) until the encoder's
    set is promoted (:func:`reeltag.registry.serving_set.promote_set` moves it with the encoder)."""
    space = space or load_champion_space(project)
    champion = _mapper(project, space, mapper_version)
    encoder = encoder or load_project_encoder(project)
    require_encoder(champion, encoder.model_id)
    index, normalise = tag_index(space), label_normaliser(project, space)
    data = build_dataset(project, check_labels(project, labels, normalise), index, encoder, on_progress)
    require_splits(data, ("train", "val", "test"))
    _require_folds(data, project.settings.text.fusion_folds)
    texts, text_model = (
        table_texts(Path(labels), project.settings.paths.allow_absolute_manifest_paths),
        load_project_text_model(project),
    )
    inputs = {split: [_text_input(project, texts.get(str(r.video))) for r in data.rows[split]] for split in data.rows}
    fit_set, test_set = _fit_branches(
        project, data=data, champion=champion, index=index, inputs=inputs, text_model=text_model, normalise=normalise
    )
    settings = project.settings.text
    fitted = fit_ranker(
        fit_set.scores, joined([data.splits["train"], data.splits["val"]]).truth, fit_set.scales, settings.fusion_l2
    )
    truth = data.splits["test"].truth
    ranked = {name: s for name, s in test_set.scores.items() if name in BRANCHES}
    ranked["fused"] = fuse(test_set.scores, fitted.weights, test_set.scales)
    test = {name: ranking_metrics(s, truth) for name, s in ranked.items()}
    pairs = heldout_pairs(data.splits["train"].truth, truth, candidates=len(index.keys), bands=project.settings.slices)
    return register_fusion(
        project,
        fitted,
        test=test,
        data=data,
        used={"fit": _used(fit_set), "test": _used(test_set)},
        champion=champion,
        space=space,
        text=text_model is not None,
        slices=frequency_slices(ranked["fused"], ranked["mapper"], pairs),
        bias=biases(ranked | {"prior": test_set.scores["prior"]}, pairs),
        hold=_hold(project, champion.info.version),
    )


def _mapper(project: Project, space: Any, version: str | None) -> Any:
    if version is None:
        return load_champion(project, space, required=True)
    return load_version(project, project.tracker.version("mapper", version), space)


def _hold(project: Project, mapper_version: str) -> str | None:
    """Why a GO of a fusion fitted for ``mapper_version`` is not promoted now (None: that mapper is the champion)."""
    champion = project.tracker.by_alias("mapper", "champion")
    if champion is not None and champion.version == mapper_version:
        return None
    return f"fitted for mapper v{mapper_version}, not the champion: it moves with its encoder's set (reeltag promote encoder)"


def _require_folds(data: Any, folds: int) -> None:
    """Every out-of-fold fold needs a video of its own."""
    fit_on = len(data.rows["train"]) + len(data.rows["val"])
    if fit_on < folds:
        raise TooFewVideos(
            f"{data.labels.source}: {fit_on} usable train + val videos, fewer than the fusion's {folds} folds "
            "([text] fusion_folds): label more videos"
        )


@dataclass(frozen=True, kw_only=True)
class FusionRefit:
    fitted: FusionFitted | None  # None when nothing was fitted
    note: str  # one line: the fitted version and its gate's verdict, or why nothing was fitted


def refit_fusion(project: Project, labels: str | Path) -> FusionRefit:
    """Fit the fusion on ``labels`` when the champion fusion cannot serve the models in use
    (:func:`champion_fusion_mismatch`). What the data lacks (a mapper champion for the Tag2Vec champion, enough
    labelled videos) is said in the note, not raised."""
    if space_champion(project) is None:
        return FusionRefit(fitted=None, note="fusion not fitted: no mapper champion for the Tag2Vec champion")
    stale = champion_fusion_mismatch(project)
    if not stale:
        return FusionRefit(fitted=None, note="fusion not refitted: its champion fits the mapper, Tag2Vec and encoder in use")
    try:
        fitted = fit_fusion(project, labels)
    except TooFewVideos as short:
        return FusionRefit(fitted=None, note=f"fusion not fitted ({stale}): {short}")
    text = "" if fitted.text_model else " without a text model (`reeltag text train`)"
    use = "champion" if fitted.use_fused else "not used"
    return FusionRefit(
        fitted=fitted,
        note=f"fusion v{fitted.version} fitted for mapper v{fitted.mapper_version}{text}: {fitted.decision}, {use} ({stale})",
    )


def _fit_branches(
    project: Project,
    *,
    data: Any,
    champion: Any,
    index: TagIndex,
    inputs: dict[str, list[TextInput]],
    text_model: Any,
    normalise: Callable[[str], str | None],
) -> tuple[Branches, Branches]:
    """Out-of-fold branches of the train + val videos (what the ranker is fitted on) and the test videos' branches."""
    from reeltag.mapper.train import predict

    fit_on = joined([data.splits["train"], data.splits["val"]])
    oof = out_of_fold(fit_on, champion.args, index, project.settings.mapper, project.settings.text.fusion_folds)
    fit_set = branch_scores(
        {"mapper": oof.mapper, "knn": oof.knn, "prior": oof.prior}, index, inputs["train"] + inputs["val"], text_model, normalise
    )
    test = data.splits["test"]
    mapped = predict(champion.model, test.features)
    visual = visual_scores(mapped, test.features, data.splits["train"], index)
    return fit_set, branch_scores(visual, index, inputs["test"], text_model, normalise)


def _used(branches: "Branches") -> int:
    return sum(1 for note in branches.notes if not note)


@dataclass(frozen=True, kw_only=True, eq=False)
class Branches:
    scores: dict[str, np.ndarray]  # feature (mapper, knn, text, [encoder,] prior) → (videos, candidates)
    scales: dict[str, np.ndarray]  # branch → per-video factor of its z-scores (the text branch's confidence)
    notes: tuple[str, ...]  # per video: why its text was not used ("" when it was)


def visual_scores(mapped: np.ndarray, features: np.ndarray, reference: Examples, index: TagIndex) -> dict[str, np.ndarray]:
    """The mapper's cosines, kNN votes of the ``reference`` videos and their labels' tag popularity."""
    n = len(index.keys)
    prior = np.broadcast_to(label_prior(reference.truth, n), (len(features), n))
    return {
        "mapper": cosine_scores(mapped, index.vectors),
        "knn": knn_scores(reference.features, reference.truth, features, n),
        "prior": np.array(prior),
    }


def branch_scores(
    visual: dict[str, np.ndarray],
    index: TagIndex,
    texts: Sequence[TextInput],
    text_model: Any,
    normalise: Callable[[str], str | None],
) -> Branches:
    """The visual scores plus the text branch's, its confidence and notes; with an encoder text model, its
    encoder part is a branch of its own (``encoder``) and the text branch scores with the words alone."""
    words, scorer = split_encoder(text_model)
    model, method = words if words is not None else (None, None)
    text = text_branch(model, method, texts, index.keys, normalise, index.vectors)
    scores, scales, notes = {**visual, "text": text.scores}, {"text": text.confidence}, text.notes
    if scorer is not None:
        encoded = encoder_branch(scorer, text_model[1], texts, index.keys, normalise)
        scores["encoder"], scales["encoder"] = encoded.scores, encoded.confidence
        notes = tuple("" if t.words else n for t, n in zip(texts, notes))  # the encoder read its words
    return Branches(scores={b: scores[b] for b in FEATURES if b in scores}, scales=scales, notes=notes)


def _text_input(project: Project, text: str | None) -> TextInput:
    s = project.settings
    return read_text(text, tag_rules(s.corpus), s.corpus.max_tags_per_post, s.text.max_chars)


def fit_text_and_fusion(project: Project, posts: str | Path, labels: str | Path) -> FusionFitted:
    """The demo's step after the mapper: the text model on the posts, then the fusion on the labels."""
    from reeltag.text.steps import train_text_model

    train_text_model(project, [Path(posts)])
    return fit_fusion(project, labels)
