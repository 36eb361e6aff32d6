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
class Log:
    """One experiment's served requests in a time range and the events answering them, as arrays."""

    request_ids: tuple[str, ...]
    users: tuple[str, ...]
    variants: tuple[str, ...]
    shown: tuple[int, ...]
    teams: tuple[tuple[str, ...] | None, ...]
    simulated: tuple[bool, ...]
    event_query: tuple[int, ...]  # index into the requests above
    event_type: tuple[str, ...]
    event_position: tuple[int, ...]


def read_log(store: EventStore, experiment: str, since: float, until: float) -> Log:
    """Requests served in [since, until) and all their events."""
    with store.reading() as con:
        reqs = con.execute(
            "SELECT request_id, user, variant, docids, teams, simulated FROM requests "
            "WHERE experiment = ? AND served >= ? AND served < ? ORDER BY served",
            (experiment, since, until),
        ).fetchall()
        events = con.execute(
            "SELECT e.request_id, e.type, e.position FROM events e JOIN requests r USING (request_id) "
            "WHERE r.experiment = ? AND r.served >= ? AND r.served < ?",
            (experiment, since, until),
        ).fetchall()
    index = {r[0]: i for i, r in enumerate(reqs)}
    return Log(
        request_ids=tuple(r[0] for r in reqs),
        users=tuple(r[1] for r in reqs),
        variants=tuple(r[2] for r in reqs),
        shown=tuple(len(json.loads(r[3])) for r in reqs),
        teams=tuple(None if r[4] is None else tuple(json.loads(r[4])) for r in reqs),
        simulated=tuple(bool(r[5]) for r in reqs),
        event_query=tuple(index[e[0]] for e in events),
        event_type=tuple(e[1] for e in events),
        event_position=tuple(e[2] for e in events),
    )
