"""The online A/B event store (``data/ab/events.db``, SQLite WAL; the only writer of it): each experiment
request as served (user, variant, shown docids, teams) and the append-only feedback events that answer it,
de-duplicated by (request, docid, type); refused feedback is counted with its reason. A write is committed
(synchronous = FULL) before the API acknowledges it."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag import durable_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, experiment TEXT NOT NULL, user TEXT NOT NULL, variant TEXT NOT NULL,
  served REAL NOT NULL, docids TEXT NOT NULL, teams TEXT, simulated INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS requests_by_experiment ON requests (experiment, served);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL REFERENCES requests (request_id), docid TEXT NOT NULL,
  type TEXT NOT NULL, position INTEGER NOT NULL, ts REAL NOT NULL, received REAL NOT NULL,
  UNIQUE (request_id, docid, type));
CREATE INDEX IF NOT EXISTS events_by_request ON events (request_id, type, position);
CREATE TABLE IF NOT EXISTS refusals (
  id INTEGER PRIMARY KEY, received REAL NOT NULL, request_id TEXT, reason TEXT NOT NULL);
"""


@dataclass(frozen=True, kw_only=True)
class ServedRequest:
    request_id: str
    experiment: str
    user: str
    variant: str
    served: float
    docids: tuple[str, ...]
    teams: tuple[str, ...] | None
    simulated: bool = False


@dataclass(frozen=True, kw_only=True)
class Event:
    docid: str
    type: str
    position: int
    ts: float


@dataclass(frozen=True, kw_only=True)
class Appended:
    accepted: int
    duplicates: tuple[Event, ...]


class EventStore:
    """One SQLite file; a fresh connection per operation, so API threads and the flow can share it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with durable_sqlite.connect(self.path) as con, durable_sqlite.immediate(con):
            yield con

    def create(self) -> EventStore:
        """The folder, the schema and WAL mode (idempotent)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
        finally:
            con.close()
        return self

    def read(self) -> sqlite3.Connection:
        """A read-only connection (the caller closes it)."""
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30.0)

    def record_requests(self, served: Iterable[ServedRequest]) -> None:
        rows = [
            (
                r.request_id,
                r.experiment,
                r.user,
                r.variant,
                r.served,
                json.dumps(r.docids),
                None if r.teams is None else json.dumps(r.teams),
                int(r.simulated),
            )
            for r in served
        ]
        with self._write() as con:
            con.executemany("INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def request(self, request_id: str) -> ServedRequest | None:
        with self.reading() as con:
            row = con.execute("SELECT * FROM requests WHERE request_id = ?", (request_id,)).fetchone()
        if row is None:
            return None
        rid, experiment, user, variant, served, docids, teams, simulated = row
        return ServedRequest(
            request_id=rid,
            experiment=experiment,
            user=user,
            variant=variant,
            served=served,
            docids=tuple(json.loads(docids)),
            teams=None if teams is None else tuple(json.loads(teams)),
            simulated=bool(simulated),
        )

    def append(self, request_id: str, events: Sequence[Event]) -> Appended:
        """Insert the events not stored yet (one transaction); the others come back as duplicates."""
        received, duplicates = time.time(), []
        with self._write() as con:
            for e in events:
                cur = con.execute(
                    "INSERT OR IGNORE INTO events (request_id, docid, type, position, ts, received) VALUES (?, ?, ?, ?, ?, ?)",
                    (request_id, e.docid, e.type, e.position, e.ts, received),
                )
                if cur.rowcount == 0:
                    duplicates.append(e)
        return Appended(accepted=len(events) - len(duplicates), duplicates=tuple(duplicates))

    def import_events(self, rows: Iterable[tuple[str, Event]]) -> None:
        """Bulk-append (request id, event) rows in one transaction (benchmarks, imports); duplicates skipped."""
        received = time.time()
        with self._write() as con:
            con.executemany(
                "INSERT OR IGNORE INTO events (request_id, docid, type, position, ts, received) VALUES (?, ?, ?, ?, ?, ?)",
                ((r, e.docid, e.type, e.position, e.ts, received) for r, e in rows),
            )

    def refuse(self, request_id: str | None, reason: str) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO refusals (received, request_id, reason) VALUES (?, ?, ?)", (time.time(), request_id, reason[:500])
            )

    def counts(self) -> dict[str, int]:
        with self.reading() as con:
            return {
                table: int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("requests", "events", "refusals")
            }

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        con = self.read()
        try:
            yield con
        finally:
            con.close()


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
