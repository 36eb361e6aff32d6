"""ab-online: yesterday's (or ``day``'s) online search experiment from the event store, judged with its always-valid
look and logged to ``reeltag/ab``; the champion guardrail (a harmful champion arm → the reranker rolled back); a
Markdown summary artifact."""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from flows._common import IO_RETRIES, NO_CACHING, project_for
from reeltag.ab.guardrail import GuardrailCheck, check_guardrail
from reeltag.ab.online_day import OnlineSummary, run_ab_online
from reeltag.config import TrackingSection


@task(name="summarise-online-day", **IO_RETRIES, **NO_CACHING)
def summarise_task(root: str, day: date | None, tracking: TrackingSection | None) -> OnlineSummary:
    """Reads the event store and writes one MLflow run (retried only on a locked store or flaky I/O)."""
    return run_ab_online(project_for(root, tracking=tracking), day)


@task(name="guard-champion", **NO_CACHING)
def guardrail_task(root: str, summary: OnlineSummary, tracking: TrackingSection | None) -> GuardrailCheck:
    """The champion guardrail at the day's look; a breach rolls the reranker back (not retried: an alias move)."""
    return check_guardrail(project_for(root, tracking=tracking), summary, by=f"flow ab-online: {flow_run.name}")


@flow(name="ab-online", validate_parameters=True)
def ab_online(root: str = ".", day: date | None = None, tracking: TrackingSection | None = None) -> OnlineSummary:
    summary = summarise_task(root, day, tracking)
    guard = guardrail_task(root, summary, tracking)
    rows = "\n".join(f"| {v} | {m['queries']:.0f} | {m['success']:.3f} | {m['ctr']:.3f} |" for v, m in summary.variants.items())
    create_markdown_artifact(
        f"| variant | queries | success | CTR@10 |\n|---|---|---|---|\n{rows}\n\n**{summary.verdict}**\n\n{guard.line}",
        key="ab-online",
        description=f"{summary.experiment} {summary.day}: {summary.verdict}; guardrail {guard.verdict}",
    )
    return summary
