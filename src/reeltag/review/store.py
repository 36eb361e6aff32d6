"""The review store (the one writer of ``data/review/review.db``): items, suggestions, vocabulary, events and
the reviewer names browsers have claimed.

SQLite in WAL mode with ``synchronous=FULL``: a write returns only after it is durable, so an acknowledged event
survives a killed server. The ``events`` table is append-only (triggers refuse UPDATE and DELETE; undo is an
event). Items carry the mutable queue state (status, lease); every change to it happens in the same
``BEGIN IMMEDIATE`` transaction as the event that causes it, so two reviewers never decide one item twice.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reeltag import durable_sqlite
from reeltag.corpus.tags import stem
from reeltag.errors import NotFound, ReeltagError

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, queue TEXT NOT NULL, video TEXT NOT NULL, video_sha256 TEXT NOT NULL, split TEXT NOT NULL,
  added_at REAL NOT NULL, control INTEGER NOT NULL, margin REAL NOT NULL, codec TEXT NOT NULL, playable INTEGER NOT NULL,
  strip TEXT, mapper_version TEXT, tag2vec_version TEXT, encoder_id TEXT, encoder_weights TEXT,
  status TEXT NOT NULL DEFAULT 'pending', leased_by TEXT, lease_until REAL,
  UNIQUE (queue, video_sha256));
CREATE INDEX IF NOT EXISTS items_next ON items (queue, status, margin);
CREATE TABLE IF NOT EXISTS suggestions (
  item_id INTEGER NOT NULL REFERENCES items(id), rank INTEGER NOT NULL, tag TEXT NOT NULL, score REAL NOT NULL,
  PRIMARY KEY (item_id, rank));
CREATE TABLE IF NOT EXISTS vocab (tag TEXT PRIMARY KEY, count INTEGER NOT NULL, stem TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS vocab_stem ON vocab (stem);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL REFERENCES items(id), reviewer TEXT NOT NULL,
  kind TEXT NOT NULL, tag TEXT, rank INTEGER, seconds REAL, undoes INTEGER, simulated INTEGER NOT NULL DEFAULT 0,
  at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id, id);
CREATE TABLE IF NOT EXISTS reviewers (name TEXT PRIMARY KEY, browser TEXT NOT NULL, claimed_at REAL NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
"""
ORDERS = {"uncertain": "margin ASC, id ASC", "newest": "added_at DESC, id DESC"}
ITEM_COLUMNS = (
    "id, queue, video, video_sha256, split, added_at, control, margin, codec, playable, strip, mapper_version, "
    "tag2vec_version, encoder_id, encoder_weights, status, leased_by, lease_until"
)


class ReviewConflict(ReeltagError):
    """The item is leased to another reviewer or already decided (HTTP 409)."""


@dataclass(frozen=True, kw_only=True)
class NewItem:
    """A video to enqueue with the champion's suggestions, best first: ``(tag, score)``."""

    video: str
    video_sha256: str
    split: str
    control: bool
    suggestions: tuple[tuple[str, float], ...]
    codec: str
    playable: bool
    strip: str | None
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str

    @property
    def margin(self) -> float:
        """Top-score margin (score 1 − score 2): small means the model is unsure."""
        scores = [s for _, s in self.suggestions]
        return scores[0] - scores[1] if len(scores) > 1 else (scores[0] if scores else 0.0)


@dataclass(frozen=True, kw_only=True)
class Item:
    id: int
    queue: str
    video: str
    video_sha256: str
    split: str
    added_at: float
    control: bool
    margin: float
    codec: str
    playable: bool
    strip: str | None
    mapper_version: str | None
    tag2vec_version: str | None
    encoder_id: str | None
    encoder_weights: str | None
    status: str
    leased_by: str | None
    lease_until: float | None


@dataclass(frozen=True, kw_only=True)
class Event:
    id: int
    item_id: int
    reviewer: str
    kind: str  # accept | reject | add | undo | submit
    tag: str | None
    rank: int | None
    seconds: float | None
    undoes: int | None
    simulated: bool
    at: float


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    kind: str
    tag: str | None = None
    rank: int | None = None
    seconds: float | None = None
    undoes: int | None = None
    simulated: bool = False


class ReviewStore:
    """One SQLite file; a fresh connection per operation, so threads and processes can share it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with durable_sqlite.connect(self.path, check_same_thread=False) as con:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on any error); the commit is durable when it returns."""
        with self._connect() as con, durable_sqlite.immediate(con):
            yield con

    def create(self) -> ReviewStore:
        """Create the folder, the schema and WAL mode (idempotent)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
        return self

    def require(self) -> ReviewStore:
        if not self.path.is_file():
            raise NotFound(f"no review store at {self.path}: add videos first with `reeltag review add VIDEOS`")
        return self

    def add_items(self, queue: str, items: Sequence[NewItem], now: float | None = None) -> tuple[int, int]:
        """Enqueue ``items``; a video already in the queue (same content hash) is skipped. → (added, skipped)."""
        added, now = 0, time.time() if now is None else now
        with self.transaction() as con:
            for offset, item in enumerate(items):
                added += _insert_item(con, queue, item, now + offset * 1e-6)
        return added, len(items) - added

    def set_vocabulary(self, counts: Sequence[tuple[str, int]]) -> None:
        """The Tag2Vec tags (surface forms) and their training counts, for autocomplete and canonical forms."""
        with self.transaction() as con:
            con.executemany(
                "INSERT OR REPLACE INTO vocab (tag, count, stem) VALUES (?, ?, ?)", [(tag, n, stem(tag)) for tag, n in counts]
            )

    def claim_reviewer(self, name: str, browser: str, now: float | None = None) -> bool:
        """Record ``name`` as claimed by ``browser`` (the id its cookie carries); False when already claimed."""
        with self.transaction() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO reviewers (name, browser, claimed_at) VALUES (?, ?, ?)",
                (name, browser, time.time() if now is None else now),
            )
        return cur.rowcount == 1

    def claimed_by(self, name: str) -> str | None:
        """The browser id that claimed ``name``; None when unclaimed (never, or released)."""
        with self._connect() as con:
            row = con.execute("SELECT browser FROM reviewers WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def release_reviewer(self, name: str) -> bool:
        """Free ``name`` (its browser's cookie no longer carries it); False when it was not claimed."""
        with self.transaction() as con:
            cur = con.execute("DELETE FROM reviewers WHERE name = ?", (name,))
        return cur.rowcount == 1

    def canonical(self, tag: str) -> str:
        """The vocabulary's surface form of a normalised tag (``cats`` → ``cat``), else the tag itself."""
        with self._connect() as con:
            row = con.execute("SELECT tag FROM vocab WHERE stem = ? ORDER BY count DESC LIMIT 1", (stem(tag),)).fetchone()
        return str(row[0]) if row else tag

    def vocabulary(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Tags starting with ``prefix``, most frequent first."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._connect() as con:
            rows = con.execute(
                "SELECT tag FROM vocab WHERE tag LIKE ? ESCAPE '\\' ORDER BY count DESC, tag LIMIT ?", (escaped + "%", limit)
            ).fetchall()
        return tuple(r[0] for r in rows)

    def item(self, item_id: int, queue: str | None = None) -> Item:
        """The item; :class:`NotFound` when it does not exist or belongs to another queue."""
        with self._connect() as con:
            return read_item(con, item_id, queue)

    def suggestions(self, item_id: int) -> tuple[tuple[int, str, float], ...]:
        """``(rank, tag, score)`` by rank (1 = best)."""
        with self._connect() as con:
            rows = con.execute("SELECT rank, tag, score FROM suggestions WHERE item_id = ? ORDER BY rank", (item_id,))
            return tuple((int(r), str(t), float(s)) for r, t, s in rows)

    def events(self, item_id: int | None = None) -> tuple[Event, ...]:
        where, args = ("item_id = ?", (item_id,)) if item_id is not None else ("1 = 1", ())
        with self._connect() as con:
            return read_events(con, where, args)

    def items(self, queue: str | None = None) -> tuple[Item, ...]:
        where, args = ("WHERE queue = ?", (queue,)) if queue is not None else ("", ())
        with self._connect() as con:
            rows = con.execute(f"SELECT {ITEM_COLUMNS} FROM items {where} ORDER BY id", args).fetchall()
        return tuple(to_item(r) for r in rows)

    def progress(self, queue: str) -> tuple[int, int]:
        """(decided, still pending) in ``queue``."""
        with self._connect() as con:
            rows = dict(con.execute("SELECT status, COUNT(*) FROM items WHERE queue = ? GROUP BY status", (queue,)).fetchall())
        return int(rows.get("decided", 0)), int(rows.get("pending", 0))


def insert_event(con: sqlite3.Connection, item_id: int, reviewer: str, event: NewEvent, now: float) -> Event:
    """Append one event inside the caller's transaction."""
    cur = con.execute(
        "INSERT INTO events (item_id, reviewer, kind, tag, rank, seconds, undoes, simulated, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, reviewer, event.kind, event.tag, event.rank, event.seconds, event.undoes, int(event.simulated), now),
    )
    return Event(
        id=int(cur.lastrowid or 0),
        item_id=item_id,
        reviewer=reviewer,
        kind=event.kind,
        tag=event.tag,
        rank=event.rank,
        seconds=event.seconds,
        undoes=event.undoes,
        simulated=event.simulated,
        at=now,
    )


def set_lease(con: sqlite3.Connection, item_id: int, reviewer: str | None, until: float | None) -> None:
    """Lease the item to ``reviewer`` until ``until`` (None, None: release it), inside the caller's transaction."""
    con.execute("UPDATE items SET leased_by = ?, lease_until = ? WHERE id = ?", (reviewer, until, item_id))


def set_status(con: sqlite3.Connection, item_id: int, status: str) -> None:
    """``decided`` (and released) on a submission, ``pending`` when an undo reopens it."""
    con.execute("UPDATE items SET status = ? WHERE id = ?", (status, item_id))
    if status == "decided":
        set_lease(con, item_id, None, None)


def read_events(con: sqlite3.Connection, where: str, args: Sequence[object]) -> tuple[Event, ...]:
    rows = con.execute(
        f"SELECT id, item_id, reviewer, kind, tag, rank, seconds, undoes, simulated, at FROM events WHERE {where} ORDER BY id",
        tuple(args),
    ).fetchall()
    return tuple(_event(r) for r in rows)


def _insert_item(con: sqlite3.Connection, queue: str, item: NewItem, now: float) -> int:
    cur = con.execute(
        "INSERT OR IGNORE INTO items (queue, video, video_sha256, split, added_at, control, margin, codec, playable, strip, "
        "mapper_version, tag2vec_version, encoder_id, encoder_weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            queue,
            item.video,
            item.video_sha256,
            item.split,
            now,
            int(item.control),
            item.margin,
            item.codec,
            int(item.playable),
            item.strip,
            item.mapper_version,
            item.tag2vec_version,
            item.encoder_id,
            item.encoder_weights,
        ),
    )
    if cur.rowcount == 0:
        return 0
    con.executemany(
        "INSERT INTO suggestions (item_id, rank, tag, score) VALUES (?, ?, ?, ?)",
        [(cur.lastrowid, rank, tag, score) for rank, (tag, score) in enumerate(item.suggestions, 1)],
    )
    return 1


def read_item(con: sqlite3.Connection, item_id: int, queue: str | None) -> Item:
    row = con.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None or (queue is not None and row[1] != queue):
        raise NotFound(f"item {item_id} is not in queue {queue!r}" if queue else f"no review item {item_id}")
    return to_item(row)


def to_item(row: Sequence[Any]) -> Item:  # a row of ITEM_COLUMNS: SQLite hands back untyped values
    (id_, queue, video, sha, split, added, control, margin, codec, playable, strip, mv, tv, eid, ew, status, by, until) = row
    return Item(
        id=int(id_),
        queue=str(queue),
        video=str(video),
        video_sha256=str(sha),
        split=str(split),
        added_at=float(added),
        control=bool(control),
        margin=float(margin),
        codec=str(codec),
        playable=bool(playable),
        strip=strip,
        mapper_version=mv,
        tag2vec_version=tv,
        encoder_id=eid,
        encoder_weights=ew,
        status=str(status),
        leased_by=by,
        lease_until=until,
    )


def _event(row: Sequence[Any]) -> Event:
    id_, item_id, reviewer, kind, tag, rank, seconds, undoes, simulated, at = row
    return Event(
        id=int(id_),
        item_id=int(item_id),
        reviewer=str(reviewer),
        kind=str(kind),
        tag=tag,
        rank=rank,
        seconds=seconds,
        undoes=undoes,
        simulated=bool(simulated),
        at=float(at),
    )
