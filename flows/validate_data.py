"""validate-data: run the data contracts on the corpus store; a critical failure fails the flow (and its callers)."""

from __future__ import annotations

from prefect import flow, task

from flows._common import NO_CACHING, project_for
from reeltag.config import CorpusSection, TrackingSection
from reeltag.corpus.steps import ValidateResult, validate_corpus
from reeltag.project import Project


@task(name="validate-corpus", **NO_CACHING)
def validate_task(project: Project) -> ValidateResult:
    """No retries: a contract failure is a verdict on the data, not a transient fault."""
    return validate_corpus(project)


@flow(name="validate-data", validate_parameters=True)
def validate_data(
    root: str = ".", corpus: CorpusSection | None = None, tracking: TrackingSection | None = None
) -> ValidateResult:
    """Contracts on the store; failing rows are quarantined; ContractFailed stops every later step."""
    project = project_for(root, corpus=corpus, tracking=tracking)
    return validate_task(project)
