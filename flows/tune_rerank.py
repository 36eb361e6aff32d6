"""tune-rerank: tune CLIPRerank (α × normalisation × pooling, cross-validated over topics), gate it; then the report."""

from __future__ import annotations

from prefect import flow, task

from flows._cache import ContentInputs, encoder_checkpoint, search_set_content
from flows._common import inbox, project_for
from flows.poc_report import poc_report
from reeltag.config import ClipSection, RerankSection, TrackingSection, VideoSection
from reeltag.project import Project
from reeltag.rerank.formats import search_set
from reeltag.rerank.steps import TuneResult
from reeltag.rerank.steps import tune_rerank as tune_step

TUNE_CACHE = ContentInputs(derived={"search_set": search_set_content("search"), "encoder": encoder_checkpoint})


@task(name="tune-rerank", cache_policy=TUNE_CACHE)
def tune_task(project: Project, search: str) -> TuneResult:
    """Cached on the search set's content (run, topics, qrels, manifest, videos), the encoder and the settings."""
    files = search_set(search)
    return tune_step(project, files["run_path"], files["topics_path"], files["qrels_path"], files["manifest_path"])


@flow(name="tune-rerank", validate_parameters=True)
def tune_rerank(
    root: str = ".",
    search: str | None = None,
    report: bool = True,
    clip: ClipSection | None = None,
    video: VideoSection | None = None,
    rerank: RerankSection | None = None,
    tracking: TrackingSection | None = None,
) -> TuneResult:
    project = project_for(root, paths={"search": search}, clip=clip, video=video, rerank=rerank, tracking=tracking)
    search = search or str(inbox(project, "search"))
    result = tune_task(project, search)
    if report:
        poc_report(root, search=search, tracking=tracking)
    return result
