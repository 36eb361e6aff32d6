"""The online A/B event store (``data/ab/events.db``, SQLite WAL; the only writer of it): each experiment
request as served (user, variant, shown docids, teams) and the append-only feedback events that answer it,
de-duplicated by (request, docid, type); refused feedback is counted with its reason. A write is committed
(synchronous = FULL) before the API acknowledges it.

Limits (:class:`Limits`, from ``[ab.online]``): a lock held by another process past ``busy_s`` is
:class:`~reeltag.durable_sqlite.StoreLocked`; rows older than ``retention_s`` are deleted when the store opens and
when it reaches ``max_bytes`` of live data; past the cap new rows are not stored. Both are counted per UTC day in
table ``dropped`` (:meth:`EventStore.dropped`). Each experiment's assignment salt is kept beside the store.
A day's requests with their event counts are read by :mod:`reeltag.ab.event_log`."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reeltag import durable_sqlite

if TYPE_CHECKING:
    from reeltag.project import Project

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, experiment TEXT NOT NULL, user TEXT NOT NULL, variant TEXT NOT NULL,
  served REAL NOT NULL, docids TEXT NOT NULL, teams TEXT, simulated INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS requests_by_experiment ON requests (experiment, served);
CREATE INDEX IF NOT EXISTS requests_by_served ON requests (served);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL REFERENCES requests (request_id), docid TEXT NOT NULL,
  type TEXT NOT NULL, position INTEGER NOT NULL, ts REAL NOT NULL, received REAL NOT NULL,
  UNIQUE (request_id, docid, type));
CREATE INDEX IF NOT EXISTS events_by_request ON events (request_id, type, position);
CREATE TABLE IF NOT EXISTS refusals (
  id INTEGER PRIMARY KEY, received REAL NOT NULL, request_id TEXT, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dropped (
  day TEXT NOT NULL, reason TEXT NOT NULL, rows_of TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, reason, rows_of));
"""
PRUNE = (  # (table, rows older than :cutoff); events go with their request
    ("events", "DELETE FROM events WHERE request_id IN (SELECT request_id FROM requests WHERE served < :cutoff)"),
    ("requests", "DELETE FROM requests WHERE served < :cutoff"),
    ("refusals", "DELETE FROM refusals WHERE received < :cutoff"),
)
T = TypeVar("T")


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
    dropped: int = 0  # events not stored: the store is at its cap


@dataclass(frozen=True, kw_only=True)
class Limits:
    busy_s: float = durable_sqlite.DEFAULT_BUSY_S  # wait for another writer's lock, seconds
    max_bytes: int | None = None  # live data past which new rows are dropped (None: no cap)
    retention_s: float | None = None  # rows older than this are deleted (None: kept)


class EventStore:
    """One SQLite file; a fresh connection per operation, so API threads and the flow can share it."""

    def __init__(self, path: str | Path, limits: Limits = Limits()) -> None:
        self.path, self.limits = Path(path), limits

    @classmethod
    def of(cls, project: Project) -> EventStore:
        """The project's store with the limits of ``[ab.online]``."""
        cfg = project.settings.ab.online
        limits = Limits(
            busy_s=cfg.busy_timeout_s, max_bytes=int(cfg.max_store_mb * 2**20), retention_s=cfg.retention_days * 86_400
        )
        return cls(project.paths.ab_events_db, limits)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with durable_sqlite.connect(self.path, busy_s=self.limits.busy_s) as con, durable_sqlite.immediate(con):
            yield con

    def create(self) -> EventStore:
        """The folder, the schema and WAL mode (idempotent); rows past the retention are deleted."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with durable_sqlite.connect(self.path, busy_s=self.limits.busy_s) as con:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
        if self.limits.retention_s is not None:
            with self._write() as con:
                self._prune(con)
        return self

    def salt(self, experiment: str) -> str:
        """The experiment's assignment salt: 128 random bits made once, kept in ``<name>.salt`` beside the store
        (mode 0600; the first of two racing processes wins)."""
        path = self.path.parent / f"{experiment}.salt"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            draft.write_text(secrets.token_hex(16), encoding="utf-8")
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text(encoding="utf-8").strip()

    def read(self) -> sqlite3.Connection:
        """A read-only connection (the caller closes it)."""
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.limits.busy_s)

    def _stored(self, rows_of: str, count: int, insert: Callable[[sqlite3.Connection], T]) -> T | None:
        """``insert`` in one write transaction; None (the ``count`` rows counted as dropped) when the store is at
        its cap even after the retention."""
        with self._write() as con:
            if self._at_cap(con):
                _count_dropped(con, "cap", rows_of, count)
                return None
            return insert(con)

    def _at_cap(self, con: sqlite3.Connection) -> bool:
        if self.limits.max_bytes is None or _live_bytes(con) < self.limits.max_bytes:
            return False
        self._prune(con)
        return _live_bytes(con) >= self.limits.max_bytes

    def _prune(self, con: sqlite3.Connection) -> None:
        if self.limits.retention_s is None:
            return
        cutoff = time.time() - self.limits.retention_s
        for table, sql in PRUNE:
            _count_dropped(con, "retention", table, con.execute(sql, {"cutoff": cutoff}).rowcount)

    def record_requests(self, served: Sequence[ServedRequest]) -> int:
        """Store the served requests; the number dropped at the cap (0 or all of them)."""
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
        done = self._stored(
            "requests", len(rows), lambda con: con.executemany("INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        )
        return len(rows) if done is None else 0

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
        """Insert the events not stored yet (one transaction); the others come back as duplicates (all of them as
        ``dropped`` when the store is at its cap)."""
        received = time.time()

        def insert(con: sqlite3.Connection) -> list[Event]:
            sql = "INSERT OR IGNORE INTO events (request_id, docid, type, position, ts, received) VALUES (?, ?, ?, ?, ?, ?)"
            return [
                e for e in events if con.execute(sql, (request_id, e.docid, e.type, e.position, e.ts, received)).rowcount == 0
            ]

        duplicates = self._stored("events", len(events), insert)
        if duplicates is None:
            return Appended(accepted=0, duplicates=(), dropped=len(events))
        return Appended(accepted=len(events) - len(duplicates), duplicates=tuple(duplicates))

    def import_events(self, rows: Iterable[tuple[str, Event]]) -> None:
        """Bulk-append (request id, event) rows in one transaction (benchmarks, imports); duplicates skipped."""
        received = time.time()
        with self._write() as con:
            con.executemany(
                "INSERT OR IGNORE INTO events (request_id, docid, type, position, ts, received) VALUES (?, ?, ?, ?, ?, ?)",
                ((r, e.docid, e.type, e.position, e.ts, received) for r, e in rows),
            )

    def refuse(self, request_id: str | None, reason: str) -> int:
        """Count a refused body with its reason; 1 when it was dropped at the cap."""
        row = (time.time(), None if request_id is None else request_id[:256], reason[:500])
        done = self._stored(
            "refusals", 1, lambda con: con.execute("INSERT INTO refusals (received, request_id, reason) VALUES (?, ?, ?)", row)
        )
        return int(done is None)

    def counts(self) -> dict[str, int]:
        with self.reading() as con:
            return {
                table: int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("requests", "events", "refusals")
            }

    def dropped(self, day: str) -> dict[str, int]:
        """Rows dropped on one UTC day (``YYYY-MM-DD``), as ``{"<reason>/<table>": n}`` (reason: cap, retention)."""
        with self.reading() as con:
            rows = con.execute("SELECT reason, rows_of, count FROM dropped WHERE day = ? ORDER BY reason, rows_of", (day,))
            return {f"{reason}/{rows_of}": int(n) for reason, rows_of, n in rows.fetchall()}

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with durable_sqlite.locks_named(self.path, self.limits.busy_s):
            con = self.read()
            try:
                yield con
            finally:
                con.close()


def _live_bytes(con: sqlite3.Connection) -> int:
    """Bytes of the pages in use (deleted rows' pages are free for reuse, so the file's size would overstate it)."""
    pages, free, size = (con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    return int((pages - free) * size)


def _count_dropped(con: sqlite3.Connection, reason: str, rows_of: str, count: int) -> None:
    if count > 0:
        con.execute(
            "INSERT INTO dropped VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count",
            (datetime.now(UTC).date().isoformat(), reason, rows_of, count),
        )
