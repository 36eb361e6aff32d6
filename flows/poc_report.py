"""poc-report: the go/no-go report (HTML + decision.json) from what MLflow holds; a Markdown summary artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows._common import IO_RETRIES, NO_CACHING, inbox, project_for
from reeltag.config import GatesSection, TrackingSection
from reeltag.project import Project
from reeltag.report.steps import ReportResult, build_report


@task(name="build-report", **IO_RETRIES, **NO_CACHING)
def report_task(project: Project, labels: str | None, search: str | None, out: str | None) -> ReportResult:
    """Reads MLflow and the stores, writes the files atomically, logs them to ``reeltag/report``."""
    return build_report(project, labels=labels, search=search, out=out)


def _if_present(path: Path) -> str | None:
    """Scheduled runs re-measure on the inbox's labels and search set when they are there."""
    return str(path) if path.exists() else None


@flow(name="poc-report", validate_parameters=True)
def poc_report(
    root: str = ".",
    labels: str | None = None,
    search: str | None = None,
    out: str | None = None,
    gates: GatesSection | None = None,
    tracking: TrackingSection | None = None,
) -> ReportResult:
    project = project_for(root, paths={"labels": labels, "search": search, "out": out}, gates=gates, tracking=tracking)
    labels = labels or _if_present(inbox(project, "labels.csv"))
    result = report_task(project, labels, search or _if_present(inbox(project, "search")), out)
    create_markdown_artifact(result.markdown, key="poc-report", description=f"PoC verdict: {result.verdict}")
    return result
