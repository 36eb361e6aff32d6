"""ingest-corpus: new posts (files given, or everything in ``data/inbox/posts``) → corpus store, then validate-data."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task

from flows._common import IO_RETRIES, NO_CACHING, inbox, project_for
from flows.validate_data import validate_data
from reeltag.config import CorpusSection, TrackingSection
from reeltag.corpus.steps import IngestSummary, ingest_posts
from reeltag.project import Project


@task(name="ingest-posts", **IO_RETRIES, **NO_CACHING)
def ingest_task(project: Project, files: list[str], source_name: str | None) -> IngestSummary:
    """Incremental by itself (watermark per file, dedupe by id and content): a re-run adds nothing."""
    return ingest_posts(project, [Path(f) for f in files], source_name=source_name)


def inbox_files(project: Project) -> list[str]:
    return sorted(str(p) for p in inbox(project, "posts").glob("*") if p.suffix in {".jsonl", ".json", ".csv", ".txt"})


@flow(name="ingest-corpus", validate_parameters=True)
def ingest_corpus(
    root: str = ".",
    files: list[str] | None = None,
    source_name: str | None = None,
    corpus: CorpusSection | None = None,
    tracking: TrackingSection | None = None,
) -> IngestSummary:
    """Ingest, then validate (a contract failure fails this flow too)."""
    project = project_for(root, paths={"files": files}, corpus=corpus, tracking=tracking)
    summary = ingest_task(project, files if files is not None else inbox_files(project), source_name)
    validate_data(root, corpus=corpus, tracking=tracking)
    return summary
