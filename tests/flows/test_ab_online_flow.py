"""The ab-online flow on an event store filled directly: one reeltag/ab run for the day, with the SRM guardrail
blocking a verdict when the users per variant are 45/55."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.project import Project

pytestmark = pytest.mark.flow


def _fill(root: Path, engine_users: int, champion_users: int) -> None:
    store = EventStore(Project.open(root).paths.ab_events_db).create()
    users = [("engine", f"e{i}") for i in range(engine_users)] + [("champion", f"c{i}") for i in range(champion_users)]
    store.record_requests(
        ServedRequest(
            request_id=f"r-{u}", experiment="flowtest", user=u, variant=v, served=time.time(), docids=("a", "b", "c"), teams=None
        )
        for v, u in users
    )
    clicks = [(f"r-{u}", Event(docid="a", type="click", position=1, ts=time.time())) for v, u in users if v == "champion"]
    store.import_events(
        clicks + [(f"r-e{i}", Event(docid="b", type="click", position=2, ts=time.time())) for i in range(0, engine_users, 2)]
    )


def test_ab_online_flow_logs_the_day_and_srm_blocks_a_45_55_split(tmp_root: Path, monkeypatch) -> None:
    from flows.ab_online import ab_online

    monkeypatch.setenv("REELTAG_AB__ONLINE__NAME", "flowtest")
    _fill(tmp_root, 900, 1100)
    summary = ab_online(str(tmp_root), day=datetime.now(UTC).date())
    assert summary.srm.mismatch and summary.verdict == "NO-GO" and any("srm_ok" in r for r in summary.reasons)
    assert summary.variants["champion"]["success"] == 1.0 and summary.variants["engine"]["success"] == 0.5
    run = Project.open(tmp_root).tracker.run_data(summary.run_id)
    assert run["metrics"]["online/champion/success"] == 1.0 and run["metrics"]["delta/success"] == 0.5
    assert run["metrics"]["always_valid/look"] == 1 and run["metrics"]["always_valid/ci_low"] > 0  # the day's look
    assert run["metrics"]["guardrail/rolled_back"] == 0.0 and run["tags"]["reeltag.guardrail"] == "KEEP"
