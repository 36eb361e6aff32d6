"""Every schedule in one place: one served deployment per flow, its cron read from ``settings.schedules``.

Defaults (UTC): ingest hourly (validation chained after it), validate daily, Tag2Vec weekly (a new champion
chains mapper → rerank → report), mapper hourly check (content-hash caching: no work until labels change),
rerank monthly (report chained), report daily, encoder adaptation on demand, the online A/B day (ab-online) daily,
the review loop's check every 10 minutes (finetune-mapper once ``review.decisions_per_finetune`` new decisions
accumulated). Change them in ``reeltag.toml`` (``[schedules]``), with
``REELTAG_SCHEDULES__<FLOW>`` env vars, or ``reeltag serve --cron NAME=EXPR``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim
from prefect import Flow, serve
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from reeltag.config import Settings

FLOWS: dict[str, str] = {
    "ingest-corpus": "flows.ingest_corpus:ingest_corpus",
    "validate-data": "flows.validate_data:validate_data",
    "retrain-tag2vec": "flows.retrain_tag2vec:retrain_tag2vec",
    "finetune-mapper": "flows.finetune_mapper:finetune_mapper",
    "tune-rerank": "flows.tune_rerank:tune_rerank",
    "poc-report": "flows.poc_report:poc_report",
    "adapt-encoder": "flows.adapt_encoder:adapt_encoder",
    "ab-online": "flows.ab_online:ab_online",
    "tune-tag2vec": "flows.tune_tag2vec:tune_tag2vec",
    "review-loop": "flows.review_loop:review_loop",
    "upgrade-encoder": "flows.upgrade_encoder:upgrade_encoder",
}


@dataclass(frozen=True, kw_only=True)
class ScheduleRow:
    flow: str
    cron: str
    timezone: str
    next_runs: tuple[str, ...]


def load_flow(name: str) -> Flow[..., Any]:
    if name not in FLOWS:
        raise KeyError(f"unknown flow {name!r}; flows: {', '.join(FLOWS)}")
    module, attr = FLOWS[name].split(":")
    return getattr(importlib.import_module(module), attr)


def cron_of(settings: Settings, name: str) -> str:
    return str(getattr(settings.schedules, name.replace("-", "_")))


def next_runs(cron: str, tz: str, n: int = 3, now: datetime | None = None) -> tuple[str, ...]:
    """The next ``n`` times (ISO, UTC) a cron expression fires; none when unscheduled."""
    if not cron:
        return ()
    start = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0)
    it = CronSim(cron, start)
    return tuple(next(it).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ") for _ in range(n))


def schedule_table(settings: Settings, n: int = 3) -> list[ScheduleRow]:
    tz = settings.schedules.timezone
    return [
        ScheduleRow(flow=name, cron=cron_of(settings, name), timezone=tz, next_runs=next_runs(cron_of(settings, name), tz, n))
        for name in FLOWS
    ]


def deployment_parameters(settings: Settings) -> dict[str, Any]:
    return {"root": str(settings.root), "tracking": {"enabled": settings.tracking.enabled, "trigger": "scheduled"}}


def build_deployments(settings: Settings) -> list[Any]:
    """One ``RunnerDeployment`` per flow, named ``<flow>-scheduled``, with its cron (if any)."""
    tz, params = settings.schedules.timezone, deployment_parameters(settings)
    return [
        load_flow(name).to_deployment(
            f"{name}-scheduled",
            schedules=[Cron(cron_of(settings, name), timezone=tz)] if cron_of(settings, name) else [],
            parameters=params,
            tags=["reeltag"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for name in FLOWS
    ]


def serve_all(settings: Settings, limit: int = 1) -> None:
    """Serve every deployment from this process until interrupted (Ctrl-C); runs one flow at a time by default."""
    serve(*build_deployments(settings), limit=limit, print_starting_message=True)
