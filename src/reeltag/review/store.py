"""The review store (the one writer of ``data/review/review.db``): items, suggestions, vocabulary, events and
the reviewer names browsers have claimed.

SQLite in WAL mode with ``synchronous=FULL``: a write returns only after it is durable, so an acknowledged event
survives a killed server. The ``events`` table is append-only (triggers refuse UPDATE and DELETE; undo is an
event). Items carry the mutable queue state (status, lease); every change to it happens in the same
``BEGIN IMMEDIATE`` transaction as the event that causes it, so two reviewers never decide one item twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from reeltag import durable_sqlite
from reeltag.corpus.tags import stem
from reeltag.errors import NotFound, ReeltagError
from reeltag.review.item_records import (
    ITEM_COLUMNS,
    Event,
    Item,
    NewEvent,
    NewItem,
    Pick,
    Scores,
    Scoring,
    read_events,
    read_item,
    read_picks,
    read_scorings,
    to_item,
)

__all__ = [
    "ITEM_COLUMNS",
    "Event",
    "Item",
    "NewEvent",
    "NewItem",
    "Pick",
    "ReviewConflict",
    "ReviewStore",
    "Scores",
    "Scoring",
    "insert_event",
    "insert_pick",
    "read_events",
    "read_item",
    "set_lease",
    "set_status",
    "to_item",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY, queue TEXT NOT NULL, video TEXT NOT NULL, video_sha256 TEXT NOT NULL, split TEXT NOT NULL,
  added_at REAL NOT NULL, control INTEGER NOT NULL, margin REAL NOT NULL, codec TEXT NOT NULL, playable INTEGER NOT NULL,
  strip TEXT, mapper_version TEXT, tag2vec_version TEXT, encoder_id TEXT, encoder_weights TEXT,
  status TEXT NOT NULL DEFAULT 'pending', leased_by TEXT, lease_until REAL, fusion_version TEXT,
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
CREATE TABLE IF NOT EXISTS item_features (item_id INTEGER PRIMARY KEY REFERENCES items(id), vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS picks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL REFERENCES items(id), reviewer TEXT NOT NULL,
  reason TEXT NOT NULL, mapper_version TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS picks_item ON picks (item_id, id);
CREATE TABLE IF NOT EXISTS scorings (
  id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL REFERENCES items(id), mapper_version TEXT,
  tag2vec_version TEXT, margin REAL NOT NULL, suggestions TEXT NOT NULL, at REAL NOT NULL, fusion_version TEXT);
CREATE INDEX IF NOT EXISTS scorings_item ON scorings (item_id, id);
CREATE TABLE IF NOT EXISTS finetunes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, decided INTEGER NOT NULL, labels_sha256 TEXT NOT NULL,
  mapper_run TEXT, at REAL NOT NULL);
"""
APPEND_ONLY = ("events", "picks", "scorings", "finetunes")
TRIGGERS = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {t}_append_only_{op.lower()} BEFORE {op} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'review {t} are append-only'); END;\n"
    for t in APPEND_ONLY
    for op in ("UPDATE", "DELETE")
)
ADDED_COLUMNS = (("items", "fusion_version TEXT"), ("scorings", "fusion_version TEXT"))  # to a store made before them


class ReviewConflict(ReeltagError):
    """The item is leased to another reviewer or already decided (HTTP 409)."""


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
            con.executescript(SCHEMA + TRIGGERS)
            _add_columns(con)
        return self

    def require(self) -> ReviewStore:
        """The existing store, its schema brought up to date; :class:`NotFound` when there is none."""
        if not self.path.is_file():
            raise NotFound(f"no review store at {self.path}: add videos first with `reeltag review add VIDEOS`")
        return self.create()

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

    def picks(self, item_id: int) -> tuple[Pick, ...]:
        """Why and with which model version the item was handed out, oldest first."""
        with self._connect() as con:
            return read_picks(con, item_id)

    def scorings(self, item_id: int) -> tuple[Scoring, ...]:
        """Every set of suggestions the item was given (at ``review add``, then at each re-scoring), oldest first."""
        with self._connect() as con:
            return read_scorings(con, item_id)

    def rescore(self, rescored: Mapping[int, Scores], now: float | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Replace the suggestions of the items in ``rescored`` that are still pending and unleased at ``now``
        (a reviewer holding one keeps what they were shown). → (rescored ids, kept ids); one transaction."""
        done: list[int] = []
        now = time.time() if now is None else now
        with self.transaction() as con:
            for item_id, scores in rescored.items():
                item = read_item(con, item_id, None)
                if item.status == "pending" and (item.leased_by is None or (item.lease_until or 0.0) < now):
                    _replace_suggestions(con, item_id, scores, now)
                    done.append(item_id)
        return tuple(done), tuple(i for i in rescored if i not in done)

    def record_finetune(self, queue: str, *, decided: int, labels_sha256: str, mapper_run: str | None) -> None:
        """Append that a fine-tune was given ``queue``'s labels while it had ``decided`` decided items."""
        with self.transaction() as con:
            con.execute(
                "INSERT INTO finetunes (queue, decided, labels_sha256, mapper_run, at) VALUES (?, ?, ?, ?, ?)",
                (queue, decided, labels_sha256, mapper_run, time.time()),
            )

    def decided_at_last_finetune(self, queue: str) -> int:
        """Decided items ``queue`` had when the last recorded fine-tune was given its labels; 0 when none was."""
        with self._connect() as con:
            row = con.execute("SELECT decided FROM finetunes WHERE queue = ? ORDER BY id DESC LIMIT 1", (queue,)).fetchone()
        return int(row[0]) if row else 0

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


def _add_columns(con: sqlite3.Connection) -> None:
    for table, column in ADDED_COLUMNS:
        if column.split()[0] not in {row[1] for row in con.execute(f"PRAGMA table_info({table})")}:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def _insert_item(con: sqlite3.Connection, queue: str, item: NewItem, now: float) -> int:
    cur = con.execute(
        "INSERT OR IGNORE INTO items (queue, video, video_sha256, split, added_at, control, margin, codec, playable, strip, "
        "mapper_version, tag2vec_version, encoder_id, encoder_weights, fusion_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            item.fusion_version,
        ),
    )
    if cur.rowcount == 0:
        return 0
    item_id = int(cur.lastrowid or 0)
    if item.feature:
        con.execute("INSERT INTO item_features (item_id, vector) VALUES (?, ?)", (item_id, _blob(item.feature)))
    _write_suggestions(con, item_id, item.scores, now)
    return 1


def insert_pick(con: sqlite3.Connection, pick: Pick) -> None:
    """Record why ``pick.item_id`` was handed to ``pick.reviewer`` and the model version shown, in the caller's
    transaction."""
    con.execute(
        "INSERT INTO picks (item_id, reviewer, reason, mapper_version, at) VALUES (?, ?, ?, ?, ?)",
        (pick.item_id, pick.reviewer, pick.reason, pick.mapper_version, pick.at),
    )


def read_features(con: sqlite3.Connection, queue: str) -> dict[int, np.ndarray]:
    """The pooled CLIP feature of each item of ``queue`` that has one."""
    rows = con.execute(
        "SELECT f.item_id, f.vector FROM item_features f JOIN items i ON i.id = f.item_id WHERE i.queue = ?", (queue,)
    )
    return {int(i): np.frombuffer(v, dtype=np.float32) for i, v in rows}


def _blob(feature: Sequence[float]) -> bytes:
    return np.asarray(feature, dtype=np.float32).tobytes()


def _replace_suggestions(con: sqlite3.Connection, item_id: int, scores: Scores, now: float) -> None:
    con.execute("DELETE FROM suggestions WHERE item_id = ?", (item_id,))
    con.execute(
        "UPDATE items SET margin = ?, mapper_version = ?, tag2vec_version = ?, fusion_version = ? WHERE id = ?",
        (scores.margin, scores.mapper_version, scores.tag2vec_version, scores.fusion_version, item_id),
    )
    _write_suggestions(con, item_id, scores, now)


def _write_suggestions(con: sqlite3.Connection, item_id: int, scores: Scores, now: float) -> None:
    con.executemany(
        "INSERT INTO suggestions (item_id, rank, tag, score) VALUES (?, ?, ?, ?)",
        [(item_id, rank, tag, score) for rank, (tag, score) in enumerate(scores.suggestions, 1)],
    )
    con.execute(
        "INSERT INTO scorings (item_id, mapper_version, tag2vec_version, fusion_version, margin, suggestions, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            item_id,
            scores.mapper_version,
            scores.tag2vec_version,
            scores.fusion_version,
            scores.margin,
            json.dumps(scores.suggestions),
            now,
        ),
    )
