"""One experiment's requests in a time range, each with the counts of its feedback events, read from the event
store (:mod:`reeltag.ab.events`, its only writer) in one SQL pass: one row per request reaches Python, never the
events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reeltag.ab.events import EventStore


@dataclass(frozen=True, kw_only=True)
class QueryCounts:
    """Per served request: results shown and counts of the feedback events answering it (``top`` is the cut-off
    the ``*_top`` counts were taken at)."""

    top: int
    shown: np.ndarray
    events: np.ndarray  # events of any type
    engaged_top: np.ndarray  # click or play events at a position <= top
    clicks_top: np.ndarray  # click events at a position <= top
    first_click: np.ndarray  # position of the first click; 0 without one
    engaged: np.ndarray  # click or play events at any position


@dataclass(frozen=True, kw_only=True)
class Log:
    """One experiment's requests served in a time range, each with the counts of its feedback events (aggregated
    in SQL: memory grows with the requests, not the events)."""

    request_ids: tuple[str, ...]
    users: tuple[str, ...]
    variants: tuple[str, ...]
    simulated: np.ndarray  # bool per request
    counts: QueryCounts
    teams: tuple[str, str]  # the two interleaved teams that ``team_clicks`` counts for
    team_clicks: np.ndarray  # (requests, 2): distinct positions clicked or played among each team's drafted results


ENGAGED = "e.type IN ('click', 'play')"
_TEAM_CLICKS = (
    "CASE WHEN r.teams IS NULL THEN 0 ELSE (SELECT COUNT(DISTINCT e.position) FROM events e WHERE e.request_id = r.request_id"
    f" AND {ENGAGED} AND CASE WHEN e.position >= 1 THEN json_extract(r.teams, '$[' || (e.position - 1) || ']') END = {{}}) END"
)
LOG_QUERY = f"""
SELECT r.request_id, r.user, r.variant, r.simulated, json_array_length(r.docids),
  (SELECT COUNT(*) FROM events e WHERE e.request_id = r.request_id),
  (SELECT COUNT(*) FROM events e WHERE e.request_id = r.request_id AND {ENGAGED} AND e.position <= :top),
  (SELECT COUNT(*) FROM events e WHERE e.request_id = r.request_id AND e.type = 'click' AND e.position <= :top),
  (SELECT IFNULL(MIN(e.position), 0) FROM events e WHERE e.request_id = r.request_id AND e.type = 'click'),
  (SELECT COUNT(*) FROM events e WHERE e.request_id = r.request_id AND {ENGAGED}),
  {_TEAM_CLICKS.format(":team_a")},
  {_TEAM_CLICKS.format(":team_b")}
FROM requests r WHERE r.experiment = :experiment AND r.served >= :since AND r.served < :until ORDER BY r.served
"""


def read_log(
    store: EventStore, experiment: str, since: float, until: float, top: int = 10, teams: tuple[str, str] = ("engine", "champion")
) -> Log:
    """Requests served in [since, until), each with its event counts (one SQL pass over the covering index)."""
    params = {"experiment": experiment, "since": since, "until": until, "top": top, "team_a": teams[0], "team_b": teams[1]}
    with store.reading() as con:
        rows = con.execute(LOG_QUERY, params).fetchall()
    columns = list(zip(*rows)) or [()] * 13
    number = [np.array(c, dtype=np.int64) for c in columns[4:]]
    counts = QueryCounts(
        top=top,
        shown=number[0],
        events=number[1],
        engaged_top=number[2],
        clicks_top=number[3],
        first_click=number[4],
        engaged=number[5],
    )
    return Log(
        request_ids=tuple(columns[0]),
        users=tuple(columns[1]),
        variants=tuple(columns[2]),
        simulated=np.array(columns[3], dtype=bool),
        counts=counts,
        teams=teams,
        team_clicks=np.stack([number[6], number[7]], axis=1).reshape(len(rows), 2),
    )


def first_served(store: EventStore, experiment: str) -> float | None:
    """When the experiment's first stored request was served (None: it has none)."""
    with store.reading() as con:
        row = con.execute("SELECT MIN(served) FROM requests WHERE experiment = ?", (experiment,)).fetchone()
    return None if row is None or row[0] is None else float(row[0])
