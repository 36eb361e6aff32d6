"""finetune-mapper: (re)fit the video → tag-space mapper on company labels, gate it, refit the fusion; the report.

``mode='auto'`` trains from scratch when there is no mapper champion for the current Tag2Vec champion
(its space changed) and fine-tunes the champion otherwise (``reeltag.mapper.fit``). Then ``fusion``
refits the fusion on the same labels when its champion does not fit the mapper, Tag2Vec and encoder in use
(``reeltag.suggest.fusion_fit.refit_fusion``; too few labelled videos is logged, not raised). The steps are cached on
the labels file, the videos it names, the encoder checkpoint, the champions they build on (and the text model) and
the settings: an unchanged hourly check does nothing. Last, ``rescore`` gives the review queue's undecided items
the (new) champion's suggestions (``reeltag.review.rescore``; items already scored by the champions are left alone,
so without a promotion it does nothing), so the review order follows the model.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from flows._cache import ContentInputs, champion_of, encoder_checkpoint, text_model_file, videos_named_by
from flows._common import IO_RETRIES, inbox, project_for
from flows.poc_report import poc_report
from reeltag.config import ClipSection, MapperSection, TrackingSection, VideoSection
from reeltag.mapper.fit import FitMode, fit_mapper
from reeltag.mapper.steps import MapperTrained
from reeltag.project import Project
from reeltag.review.rescore import QueueRescored, rescore_queue
from reeltag.suggest.fusion_fit import FusionRefit, refit_fusion
from reeltag.video.steps import ExtractSummary, extract_features

LABELLED_VIDEOS = {"videos": videos_named_by("labels"), "encoder": encoder_checkpoint}
FEATURES_CACHE = ContentInputs(paths=("labels",), derived=LABELLED_VIDEOS)
FIT_CACHE = ContentInputs(paths=("labels",), derived={**LABELLED_VIDEOS, "tag2vec": champion_of("tag2vec")})
FUSION_CACHE = ContentInputs(
    paths=("labels",),
    derived={**FIT_CACHE.derived, "mapper": champion_of("mapper"), "text_model": text_model_file},
)


@task(name="extract-features", cache_policy=FEATURES_CACHE, **IO_RETRIES)
def features_task(project: Project, labels: str) -> ExtractSummary:
    """Frames + CLIP features of the labelled videos; cached on their content and the encoder checkpoint."""
    return extract_features(project, [labels]).summary()


@task(name="fit-mapper", cache_policy=FIT_CACHE)
def fit_task(project: Project, labels: str, mode: FitMode) -> MapperTrained:
    """Keyed on the REQUESTED mode: the fit it resolves to changes once this task has promoted a champion."""
    return fit_mapper(project, labels, mode)


@task(name="fit-fusion", cache_policy=FUSION_CACHE)
def fusion_task(project: Project, labels: str) -> FusionRefit:
    """Refit the fusion when its champion does not fit the models in use; logs what it did or why not, in one line."""
    refit = refit_fusion(project, labels)
    get_run_logger().info(refit.note)
    return refit


@task(name="rescore-review-queue")
def rescore_task(project: Project) -> QueueRescored:
    """The undecided review items get the champion's suggestions; logs how many, in one line."""
    rescored = rescore_queue(project)
    get_run_logger().info(rescored.note)
    return rescored


@flow(name="finetune-mapper", validate_parameters=True)
def finetune_mapper(
    root: str = ".",
    labels: str | None = None,
    mode: FitMode = "auto",
    report: bool = True,
    fusion: bool = True,
    clip: ClipSection | None = None,
    video: VideoSection | None = None,
    mapper: MapperSection | None = None,
    tracking: TrackingSection | None = None,
) -> MapperTrained:
    project = project_for(root, paths={"labels": labels}, clip=clip, video=video, mapper=mapper, tracking=tracking)
    labels = labels or str(inbox(project, "labels.csv"))
    features_task(project, labels)
    result = fit_task(project, labels, mode)
    if fusion:
        fusion_task(project, labels)
    rescore_task(project)
    if report:
        poc_report(root, labels=labels, tracking=tracking)
    return result
