"""``suggest`` with every signal a video has: the champion ``reeltag.fusion`` (mapper, visual kNN, text, label
prior; champion only after its gate said GO or a manual promote) when it matches the models in use, else the
mapper alone; each tag says which branch produced it and each
video why its text was not used (``note``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reeltag.mapper.data import label_normaliser
from reeltag.mapper.nearest import Suggestion, TagIndex, nearest_tags, with_hash
from reeltag.project import Project
from reeltag.ranking import fuse, top_k
from reeltag.suggest.fusion import leading_branch
from reeltag.suggest.fusion_fit import Branches, branch_scores, visual_scores
from reeltag.suggest.fusion_model import Fusion, NoFusion, fusion_mismatch, knn_reference, load_fusion
from reeltag.text.model import TextMethod
from reeltag.text.steps import load_project_text_model
from reeltag.text.words import read_text

if TYPE_CHECKING:
    from reeltag.corpus.tags import TagRules
    from reeltag.tag2vec.space import TagSpace

MAPPER_ALONE = "mapper alone"


@dataclass(frozen=True, kw_only=True)
class Ranked:
    tags: list[list[Suggestion]]
    notes: list[str]
    ranking: str  # "fused (mapper, knn, text weights …)" or "mapper alone: <why>"
    fusion_version: str = ""  # the fusion that ranked; "" = the mapper alone


@dataclass(frozen=True, kw_only=True)
class VisualInputs:
    """What the frames gave, one row per video: the mapper's output, the pooled CLIP feature and the video's name."""

    mapped: np.ndarray
    pooled: np.ndarray
    videos: Sequence[str]


def rank_videos(
    project: Project,
    visual: VisualInputs,
    *,
    index: TagIndex,
    space: TagSpace,
    versions: tuple[str, str],
    k: int,
    min_score: float | None,
    texts: Mapping[str, str],
    fusion: Fusion | NoFusion | None = None,
) -> Ranked:
    """Fused ranking when a usable fusion exists, else the mapper's nearest tags (texts then unused, noted).

    ``fusion``: the one the caller holds (the API's champion, or :class:`NoFusion` with why it has none); None
    loads the champion from the registry."""
    fusion, mapped, pooled, videos = fusion or load_fusion(project), visual.mapped, visual.pooled, visual.videos
    why = _why_not(fusion, versions, str(space.version))
    if why or isinstance(fusion, NoFusion):
        notes = [f"text not used: {why}" if v in texts else "" for v in videos]
        return Ranked(tags=nearest_tags(mapped, index, k, min_score), notes=notes, ranking=f"{MAPPER_ALONE}: {why}")
    s, normalise = project.settings, label_normaliser(project, space)
    inputs = [read_text(texts.get(v), _rules(project), s.corpus.max_tags_per_post, s.text.max_chars) for v in videos]
    scored = visual_scores(mapped, pooled, knn_reference(fusion, index.keys), index)
    text_model = load_project_text_model(project)
    branches = branch_scores(scored, index, inputs, text_model, normalise)
    idx, scores = top_k(fuse(branches.scores, fusion.weights, branches.scales), k)
    tags = [
        [
            Suggestion(tag=with_hash(index.surface[c]), key=index.keys[c], score=float(sc), branch=b)
            for c, sc, b in zip(row_idx, row_sc, _leading(branches, fusion.weights, row, row_idx))
        ]
        for row, (row_idx, row_sc) in enumerate(zip(idx, scores))
    ]
    notes = [f"{note}: visual branches only" if note and v in texts else "" for v, note in zip(videos, branches.notes)]
    weights = ", ".join(f"{b} {w:.2f}" for b, w in fusion.weights.items())
    return Ranked(
        tags=tags,
        notes=notes,
        ranking=f"fused v{fusion.version} ({weights}); text model {text_model_label(text_model)}; "
        "scores are fused z-scores, --min-score unused",
        fusion_version=str(fusion.version),
    )


def text_model_label(text_model: tuple[object, TextMethod] | None) -> str:
    """Which text model scored the text branch: its method and, on the encoder path, the encoder."""
    if text_model is None:
        return "none"
    model, method = text_model
    encoder = getattr(model, "encoder", "")
    return f"{method.label()} with {encoder}" if encoder else f"{method.label()} (word model)"


def _leading(branches: Branches, weights: Mapping[str, float], row: int, columns: np.ndarray) -> list[str]:
    return leading_branch(branches.scores, weights, row, columns.tolist(), branches.scales)


def fusion_in_use(fusion: Fusion | NoFusion, versions: tuple[str, str], tag2vec_version: str) -> str:
    """The version of ``fusion`` when :func:`rank_videos` would rank with it for ``versions`` (mapper, encoder) and
    ``tag2vec_version``; "" when it would rank with the mapper alone."""
    return "" if isinstance(fusion, NoFusion) or _why_not(fusion, versions, tag2vec_version) else str(fusion.version)


def _why_not(fusion: Fusion | NoFusion, versions: tuple[str, str], tag2vec_version: str) -> str:
    if isinstance(fusion, NoFusion):
        return fusion.reason
    return fusion_mismatch(fusion, versions[0], tag2vec_version, versions[1])


def _rules(project: Project) -> TagRules:
    from reeltag.corpus.steps import tag_rules

    return tag_rules(project.settings.corpus)
