"""finetune-mapper: (re)fit the video → tag-space mapper on company labels, gate it; then the report.

``mode='auto'`` trains from scratch when there is no mapper champion for the current Tag2Vec champion
(its space changed) and fine-tunes the champion otherwise. The fit is cached on the labels file, the videos it
names, the encoder checkpoint, the Tag2Vec champion and the settings: an unchanged hourly check does nothing.
"""

from __future__ import annotations

from typing import Literal

from prefect import flow, task

from flows._common import IO_RETRIES, champion_version, check_served_paths, content_key, encoder_weights_file, inbox, project_for
from flows.poc_report import poc_report
from reeltag.config import ClipSection, MapperSection, TrackingSection, VideoSection
from reeltag.pipelines import mapper as steps
from reeltag.pipelines.features import ExtractSummary, extract_features
from reeltag.pipelines.report_evidence import labelled_videos
from reeltag.project import Project


@task(name="extract-features", cache_key_fn=content_key, **IO_RETRIES)
def features_task(project: Project, labels: str, videos: list[str], encoder: str) -> ExtractSummary:
    """Frames + CLIP features of the labelled videos; cached on their content and the encoder checkpoint."""
    return extract_features(project, [labels]).summary()


@task(name="fit-mapper", cache_key_fn=content_key)
def fit_task(
    project: Project, labels: str, videos: list[str], mode: str, tag2vec: str | None, encoder: str
) -> steps.MapperTrained:
    """Keyed on the REQUESTED mode: the fit it resolves to changes once this task has promoted a champion."""
    step = steps.train_mapper if fit_mode(project, mode) == "train" else steps.finetune_mapper
    return step(project, labels)


def fit_mode(project: Project, mode: str) -> str:
    """'train' unless a mapper champion exists for the current Tag2Vec champion (lineage, not metrics)."""
    if mode != "auto":
        return mode
    mapper = project.tracker.by_alias("mapper", "champion")
    same_space = mapper is not None and mapper.tags.get("depends_on.tag2vec") == champion_version(project, "tag2vec")
    return "finetune" if same_space else "train"


@flow(name="finetune-mapper", validate_parameters=True)
def finetune_mapper(
    root: str = ".",
    labels: str | None = None,
    mode: Literal["auto", "train", "finetune"] = "auto",
    report: bool = True,
    clip: ClipSection | None = None,
    video: VideoSection | None = None,
    mapper: MapperSection | None = None,
    tracking: TrackingSection | None = None,
) -> steps.MapperTrained:
    check_served_paths(root, labels=labels)
    project = project_for(root, clip=clip, video=video, mapper=mapper, tracking=tracking)
    labels = labels or str(inbox(project, "labels.csv"))
    videos, encoder = labelled_videos(labels, project.settings.paths.allow_absolute_manifest_paths), encoder_weights_file(project)
    features_task(project, labels, videos, encoder)
    result = fit_task(project, labels, videos, mode, champion_version(project, "tag2vec"), encoder)
    if report:
        poc_report(root, labels=labels, tracking=tracking)
    return result
