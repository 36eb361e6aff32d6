"""The ``ab-online`` aggregation (event counts in the store's SQL, then numpy per user) against a straightforward
per-event reference on a small seeded event set, and hand-worked outcome and interleaving-credit cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reeltag.ab.event_log import Log, QueryCounts, read_log
from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.online import assign
from reeltag.ab.online_day import summarise
from reeltag.ab.online_stats import Outcomes, deltas, outcomes, sample_ratio, variant_metrics, win_share
from reeltag.config import AbOnlineSection

TEAMS = ("engine", "champion")


def _served(rng: np.random.Generator, cfg: AbOnlineSection, i: int) -> ServedRequest:
    user, shown = f"u{rng.integers(60)}", int(rng.integers(1, 30))
    interleaved = cfg.method == "interleave"
    return ServedRequest(
        request_id=f"r{i}",
        experiment=cfg.name,
        user=user,
        variant="interleaved" if interleaved else assign(cfg.name, user, cfg.variants),
        served=1000.0 + i,
        docids=tuple(f"d{j}" for j in range(shown)),
        teams=tuple(str(t) for t in rng.choice(TEAMS, shown)) if interleaved else None,
        simulated=bool(i % 7 == 0),
    )


def _seeded_store(path: Path, cfg: AbOnlineSection, seed: int = 3) -> EventStore:
    """300 requests by 60 users, 0-6 events each (click, play or like; repeats are de-duplicated by the store)."""
    rng, store = np.random.default_rng(seed), EventStore(path).create()
    served = [_served(rng, cfg, i) for i in range(300)]
    store.record_requests(served)
    events = []
    for r in served:
        for _ in range(int(rng.integers(0, 7))):
            p = int(rng.integers(1, len(r.docids) + 1))
            kind = str(rng.choice(["click", "play", "like"]))
            events.append((r.request_id, Event(docid=r.docids[p - 1], type=kind, position=p, ts=0.0)))
    store.import_events(events)
    return store


def _reference(store: EventStore, cfg: AbOnlineSection) -> dict:
    """The same summary computed the long way: every stored event read, each query's outcome by a Python loop."""
    with store.reading() as con:
        requests = con.execute("SELECT request_id, user, variant, docids, teams FROM requests ORDER BY served").fetchall()
        events = con.execute("SELECT request_id, type, position FROM events").fetchall()
    by_request: dict[str, list[tuple[str, int]]] = {}
    for rid, kind, position in events:
        by_request.setdefault(rid, []).append((kind, position))
    num = {m: [] for m in ("success", "ctr", "rr", "abandonment")}
    ctr_den, wins, losses = [], 0, 0
    for rid, _, _, docids, teams in requests:
        mine = by_request.get(rid, [])
        engaged = [p for k, p in mine if k in ("click", "play")]
        clicks = [p for k, p in mine if k == "click"]
        num["success"].append(float(any(p <= cfg.top for p in engaged)))
        num["ctr"].append(float(sum(p <= cfg.top for p in clicks)))
        num["rr"].append(1.0 / min(clicks) if clicks else 0.0)
        num["abandonment"].append(float(not engaged))
        ctr_den.append(float(min(len(json.loads(docids)), cfg.top)))
        if teams is not None:
            drafted = json.loads(teams)
            per_team = {t: len({p for p in engaged if drafted[p - 1] == t}) for t in TEAMS}
            wins += per_team["champion"] > per_team["engine"]
            losses += per_team["engine"] > per_team["champion"]
    return _summary_of(requests, num, ctr_den, cfg, (wins, losses))


def _summary_of(requests: list, num: dict, ctr_den: list, cfg: AbOnlineSection, won: tuple[int, int]) -> dict:
    users = np.unique(np.array([r[1] for r in requests], dtype=object), return_inverse=True)[1]
    ones = np.ones(len(requests))
    o = Outcomes(
        user=users,
        num={m: np.array(v) for m, v in num.items()},
        den={"success": ones, "ctr": np.array(ctr_den), "rr": ones, "abandonment": ones},
    )
    variant = np.array([r[2] for r in requests], dtype=object)
    found = {"variants": {v: variant_metrics(o, variant, v) for v in sorted(set(variant))}}
    if cfg.method == "split":
        last = {r[1]: r[2] for r in requests}
        counts = {v: sum(x == v for x in last.values()) for v in TEAMS}
        found |= {"deltas": deltas(o, variant, *TEAMS, cfg.bootstrap, 0), "srm": sample_ratio(counts, cfg.variants, cfg.srm_p)}
    else:
        found["wins"] = win_share(won[0], won[1], len(requests) - sum(won))
    return found


@pytest.mark.parametrize("method", ["split", "interleave"])
def test_the_sql_aggregation_equals_a_per_event_reference(tmp_path: Path, method: str) -> None:
    cfg = AbOnlineSection(name="agg", method=method, bootstrap=200)
    store = _seeded_store(tmp_path / "events.db", cfg)
    fast = summarise(read_log(store, cfg.name, 0.0, 2e10, cfg.top), cfg)
    reference = _reference(store, cfg)
    assert fast["queries"] == 300 and fast["events"] == store.counts()["events"] and fast["simulated"]
    assert {k: fast[k] for k in reference} == reference
    if method == "interleave":
        assert fast["wins"].wins + fast["wins"].losses > 50  # the credit path was exercised, not a table of ties
    else:
        assert {d.metric for d in fast["deltas"]} == {"success", "ctr", "rr", "abandonment"}


def _store_with(tmp_path: Path, docids: int, teams: tuple[str, ...] | None, events: list[tuple[str, str, int]]) -> Log:
    store = EventStore(tmp_path / "events.db").create()
    shown = tuple(f"d{j}" for j in range(1, docids + 1))
    store.record_requests(
        [ServedRequest(request_id="r", experiment="x", user="u", variant="v", served=1.0, docids=shown, teams=teams)]
    )
    store.import_events(("r", Event(docid=d, type=t, position=p, ts=0.0)) for d, t, p in events)
    return read_log(store, "x", 0.0, 2.0, top=10, teams=TEAMS)


def test_counts_of_a_hand_worked_request(tmp_path: Path) -> None:
    # clicks at 2 and 12 (outside the top 10), a play at 5, a like at 1
    log = _store_with(tmp_path, 20, None, [("d2", "click", 2), ("d12", "click", 12), ("d5", "play", 5), ("d1", "like", 1)])
    c: QueryCounts = log.counts
    assert (c.shown[0], c.events[0], c.engaged_top[0], c.clicks_top[0], c.first_click[0], c.engaged[0]) == (20, 4, 2, 1, 2, 3)
    o = outcomes(np.zeros(1, dtype=int), c)
    assert o.num["rr"].tolist() == [0.5] and o.den["ctr"].tolist() == [10.0] and o.num["abandonment"].tolist() == [0.0]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("d2", "click", 2), ("d3", "click", 3)], (0, 2)),  # two champion-drafted results clicked
        ([("d1", "click", 1)], (1, 0)),
        ([("d1", "click", 1), ("d2", "play", 2)], (1, 1)),  # a tie
        ([("d2", "click", 2), ("d2", "play", 2), ("d1", "click", 1)], (1, 1)),  # click + play on one result count once
        ([("d4", "like", 4)], (0, 0)),  # a like is no credit
    ],
)
def test_interleaving_credit_of_hand_worked_clicks(tmp_path: Path, events: list, expected: tuple[int, int]) -> None:
    log = _store_with(tmp_path, 4, ("engine", "champion", "champion", "engine"), events)
    assert tuple(log.team_clicks[0].tolist()) == expected
