"""Steps of the closed loop's trigger: is a fine-tune due (``review.decisions_per_finetune`` new decided items since
the last one), and recording that one was given the queue's labels.

The count is the review store's own (decided items of ``review.queue``) against the count the store recorded at the
last fine-tune this trigger started (``finetunes``, append-only), so it needs no Prefect event and no clock: the
``review-loop`` flow checks it on a short schedule (see ``docs/review.md``, *The closed loop*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reeltag.review.export import LabelsExport, export_labels
from reeltag.review.store import ReviewStore

if TYPE_CHECKING:
    from reeltag.project import Project


@dataclass(frozen=True, kw_only=True)
class FinetuneDue:
    db: str
    queue: str
    decided: int  # decided items in the queue now
    at_last_finetune: int  # decided items when the last fine-tune was given the labels (0: never)
    new_decisions: int  # decided - at_last_finetune
    threshold: int  # review.decisions_per_finetune
    due: bool
    note: str


@dataclass(frozen=True, kw_only=True)
class FinetuneRecorded:
    queue: str
    decided: int
    mapper_run: str | None


def finetune_due(project: Project) -> FinetuneDue:
    """Whether ``review.decisions_per_finetune`` decided items have accumulated since the last recorded fine-tune."""
    settings, path = project.settings.review, project.paths.review_db
    if not path.is_file():
        return _due(str(path), settings.queue, 0, 0, settings.decisions_per_finetune, "no review store yet")
    store = ReviewStore(path).create()  # idempotent: adds the finetunes table to a store made before it
    decided, _ = store.progress(settings.queue)
    last = store.decided_at_last_finetune(settings.queue)
    return _due(str(path), settings.queue, decided, last, settings.decisions_per_finetune, "")


def export_for_finetune(project: Project) -> LabelsExport:
    """The queue's decided items as company labels in ``data/inbox/labels.csv`` (what ``reeltag review export`` writes)."""
    store = ReviewStore(project.paths.review_db)
    return export_labels(store, project.paths.data / "inbox" / "labels.csv", project.settings.review.queue)


def record_finetune(project: Project, due: FinetuneDue, *, labels_sha256: str, mapper_run: str | None) -> FinetuneRecorded:
    """Record that the fine-tune ``mapper_run`` was given the labels of the ``due.decided`` decided items."""
    ReviewStore(project.paths.review_db).record_finetune(
        due.queue, decided=due.decided, labels_sha256=labels_sha256, mapper_run=mapper_run
    )
    return FinetuneRecorded(queue=due.queue, decided=due.decided, mapper_run=mapper_run)


def _due(db: str, queue: str, decided: int, last: int, threshold: int, why: str) -> FinetuneDue:
    new = decided - last
    due = new >= threshold
    note = why or (
        f"{new} new decision(s) since the last fine-tune (threshold {threshold}): "
        + ("fine-tuning the mapper" if due else "not yet")
    )
    return FinetuneDue(
        db=db,
        queue=queue,
        decided=decided,
        at_last_finetune=last,
        new_decisions=new,
        threshold=threshold,
        due=due and not why,
        note=note,
    )
