"""The always-valid look of an ab-online day: over the experiment's data accumulated since its window's start (look
number = the day's index in it), restarted by a move of the alias an arm serves."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.looks import look_of_day
from reeltag.project import Project
from reeltag.registry import history
from reeltag.tracking.records import AliasChange, AliasMove

NAME, TODAY = "looks", datetime.now(UTC).date()
SUCCESS = {"engine": 0.6, "champion": 0.3}  # the champion arm is planted worse


def _noon(day: date) -> float:
    """Noon of ``day``, or a second ago when that is still to come."""
    return min(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp(), time.time() - 1)


def _fill(store: EventStore, day: date, users: int, seed: int) -> None:
    """``users`` per arm on ``day``, one query each, a click at position 1 with the arm's success rate."""
    rng, served = np.random.default_rng(seed), _noon(day)
    rows = [(v, f"{v}-{day}-{i}") for v in SUCCESS for i in range(users)]
    store.record_requests(
        ServedRequest(request_id=f"r-{u}", experiment=NAME, user=u, variant=v, served=served, docids=("a", "b"), teams=None)
        for v, u in rows
    )
    store.import_events(
        (f"r-{u}", Event(docid="a", type="click", position=1, ts=served)) for v, u in rows if rng.random() < SUCCESS[v]
    )


@pytest.fixture
def project(tmp_root: Path) -> Project:
    found = Project.open(tmp_root, ab={"online": {"name": NAME}})
    store = EventStore.of(found).create()
    for back in (2, 1, 0):
        _fill(store, TODAY - timedelta(days=back), users=60, seed=back)
    return found


def test_each_day_looks_at_everything_since_the_start_and_counts_its_look(project: Project) -> None:
    store = EventStore.of(project)
    looks = [look_of_day(project, store, TODAY - timedelta(days=back)) for back in (2, 1, 0)]
    assert [x.look for x in looks if x] == [1, 2, 3] and [x.queries for x in looks if x] == [120, 240, 360]
    assert all(x and x.metric == "success_delta" and x.alpha == 0.05 for x in looks)
    last = looks[-1]
    assert last and last.estimate < 0 and last.ci_high < 0 and last.p_value < 0.05  # the planted harm, seen
    assert look_of_day(project, store, TODAY - timedelta(days=3)) is None  # before the first request


def test_the_split_sequence_narrows_with_the_configured_tau2(project: Project, tmp_root: Path) -> None:
    store = EventStore.of(project)
    wide = Project.open(tmp_root, ab={"online": {"name": NAME, "sequential_tau2": 0.25}})
    default, other = look_of_day(project, store, TODAY), look_of_day(wide, store, TODAY)
    assert default and other and default.estimate == other.estimate
    assert default.ci_high - default.ci_low != pytest.approx(other.ci_high - other.ci_low)


def test_a_move_of_the_champion_alias_restarts_the_window(project: Project) -> None:
    moved = AliasMove(
        model="reeltag.reranker", champion="1", rollback=None, changes=(AliasChange(alias="champion", version="1", previous="2"),)
    )
    history.record(project, moved, history.Why(action="rollback", by="test", reason="planted"))
    look = look_of_day(project, EventStore.of(project), TODAY + timedelta(days=1))
    assert look is None  # nothing served since the move: no look (a guardrail cannot fire on the old version's data)
