"""All schedules in one place: one deployment per flow, cron from settings, next runs computed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from reeltag.config import load_settings

pytestmark = pytest.mark.flow


def test_next_runs_follow_the_cron() -> None:
    from flows.deployments import next_runs

    now = datetime(2026, 11, 21, 6, 10, tzinfo=timezone.utc)
    assert next_runs("0 * * * *", "UTC", 2, now) == ("2026-11-21T07:00Z", "2026-11-21T08:00Z")
    assert next_runs("0 3 * * 1", "UTC", 1, now) == ("2026-11-23T03:00Z",)
    assert next_runs("", "UTC", 3, now) == ()


def test_every_flow_is_deployed_with_its_configured_schedule(tmp_path: Path) -> None:
    from flows.deployments import FLOWS, build_deployments

    settings = load_settings(tmp_path, overrides={"schedules": {"tune_rerank": "*/5 * * * *"}})
    deployments = {d.name: d for d in build_deployments(settings)}
    assert set(deployments) == {f"{name}-scheduled" for name in FLOWS}
    crons = {name: [s.schedule.cron for s in d.schedules] for name, d in deployments.items()}
    assert crons["tune-rerank-scheduled"] == ["*/5 * * * *"]
    assert crons["ingest-corpus-scheduled"] == [settings.schedules.ingest_corpus]
    assert crons["adapt-encoder-scheduled"] == []  # on demand
    assert crons["ab-online-scheduled"] == [settings.schedules.ab_online] == ["15 0 * * *"]
    params = deployments["poc-report-scheduled"].parameters
    assert params["root"] == str(settings.root) and params["tracking"]["trigger"] == "scheduled"
