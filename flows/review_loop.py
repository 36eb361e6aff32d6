"""review-loop: the closed loop's trigger. Every few minutes (``schedules.review_loop``) it counts the review queue's
decided items; once ``review.decisions_per_finetune`` new ones accumulated since the last fine-tune it started, it
exports them as company labels (``data/inbox/labels.csv``, like ``reeltag review export``), runs ``finetune-mapper``
on them (which re-scores the queue after a promotion) and records the count in the review store.

A check on a schedule rather than a Prefect automation: the review server is core code, which never imports
Prefect, so a decision cannot emit a Prefect event; the store already holds the count, and a check is one query.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from flows._common import IO_RETRIES, NO_CACHING, project_for
from flows.finetune_mapper import finetune_mapper
from reeltag.config import TrackingSection
from reeltag.project import Project
from reeltag.review.export import LabelsExport
from reeltag.review.trigger import FinetuneDue, FinetuneRecorded, export_for_finetune, finetune_due, record_finetune


@task(name="count-decisions", **IO_RETRIES, **NO_CACHING)
def due_task(project: Project) -> FinetuneDue:
    """New decided items since the last fine-tune against ``review.decisions_per_finetune``; logs it in one line."""
    due = finetune_due(project)
    get_run_logger().info(due.note)
    return due


@task(name="export-review-labels", **IO_RETRIES, **NO_CACHING)
def export_task(project: Project) -> LabelsExport:
    return export_for_finetune(project)


@task(name="record-finetune", **IO_RETRIES, **NO_CACHING)
def record_task(project: Project, due: FinetuneDue, labels: LabelsExport, mapper_run: str) -> FinetuneRecorded:
    return record_finetune(project, due, labels_sha256=labels.labels_sha256, mapper_run=mapper_run)


@flow(name="review-loop", validate_parameters=True)
def review_loop(root: str = ".", report: bool = True, tracking: TrackingSection | None = None) -> FinetuneDue:
    project = project_for(root, tracking=tracking)
    due = due_task(project)
    if due.due:
        labels = export_task(project)
        trained = finetune_mapper(root, labels=labels.out, report=report, tracking=tracking)
        record_task(project, due, labels, trained.run_id)
    return due
