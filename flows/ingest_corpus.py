"""ingest-corpus: new posts (files given, or everything in ``data/inbox/posts``) → corpus store, then validate-data,
then the Tag2Vec drift check; an alarm runs retrain-tag2vec (trigger ``drift``; the weekly cron stays a floor)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prefect import flow, task

from flows._common import IO_RETRIES, NO_CACHING, inbox, project_for
from flows.retrain_tag2vec import retrain_tag2vec
from flows.validate_data import validate_data
from reeltag.config import CorpusSection, TrackingSection
from reeltag.corpus.steps import IngestSummary, ingest_posts
from reeltag.project import Project
from reeltag.tag2vec.monitor import DriftResult, check_tag2vec_drift


@task(name="ingest-posts", **IO_RETRIES, **NO_CACHING)
def ingest_task(project: Project, files: list[str], source_name: str | None) -> IngestSummary:
    """Incremental by itself (watermark per file, dedupe by id and content): a re-run adds nothing."""
    return ingest_posts(project, [Path(f) for f in files], source_name=source_name)


@task(name="check-drift", **IO_RETRIES, **NO_CACHING)
def drift_task(project: Project) -> DriftResult:
    """The posts the Tag2Vec champion has not seen against its training window (logged to ``reeltag/drift``)."""
    return check_tag2vec_drift(project)


def inbox_files(project: Project) -> list[str]:
    return sorted(str(p) for p in inbox(project, "posts").glob("*") if p.suffix in {".jsonl", ".json", ".csv", ".txt"})


@flow(name="ingest-corpus", validate_parameters=True)
def ingest_corpus(
    root: str = ".",
    files: list[str] | None = None,
    source_name: str | None = None,
    corpus: CorpusSection | None = None,
    tracking: TrackingSection | None = None,
    retrain_chain: Literal["new-champion", "always", "never"] = "new-champion",
) -> IngestSummary:
    """Ingest, validate (a contract failure fails this flow too), check drift; retrain Tag2Vec on an alarm
    (``retrain_chain``: when the mapper, rerank and report flows follow it, as in retrain-tag2vec)."""
    project = project_for(root, paths={"files": files}, corpus=corpus, tracking=tracking)
    summary = ingest_task(project, files if files is not None else inbox_files(project), source_name)
    validate_data(root, corpus=corpus, tracking=tracking)
    drift = drift_task(project)
    if drift.alarm and project.settings.drift.trigger:  # the drift check's decision, not a metric
        retrain_tag2vec(
            root, chain=retrain_chain, corpus=corpus, tracking=project.settings.tracking.model_copy(update={"trigger": "drift"})
        )
    return summary
