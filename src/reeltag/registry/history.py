"""The alias history (``data/registry/history.db``, SQLite WAL; the only writer of it): one append-only row per
alias change (champion, challenger, rollback) with who and why: the gate's run and trigger, a person's
``reeltag promote --reason``, a guardrail rollback. A row is committed (synchronous = FULL) while the registry's
alias lock is still held, so the rows are in the order the aliases moved; rows are never updated or deleted
(triggers refuse it). Written only through :mod:`reeltag.registry.policy`; read by ``reeltag history``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reeltag import durable_sqlite
from reeltag.tracking.naming import registered_model_name

if TYPE_CHECKING:
    from reeltag.project import Project
    from reeltag.tracking.records import AliasMove

SCHEMA = """
CREATE TABLE IF NOT EXISTS moves (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, model TEXT NOT NULL, alias TEXT NOT NULL,
  version TEXT, previous TEXT, action TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, run_id TEXT);
CREATE INDEX IF NOT EXISTS moves_by_model ON moves (model, seq);
CREATE TRIGGER IF NOT EXISTS moves_no_update BEFORE UPDATE ON moves BEGIN SELECT RAISE(ABORT, 'append-only'); END;
CREATE TRIGGER IF NOT EXISTS moves_no_delete BEFORE DELETE ON moves BEGIN SELECT RAISE(ABORT, 'append-only'); END;
"""
COLUMNS = ("seq", "at", "model", "alias", "version", "previous", "action", "by", "reason", "run_id")


@dataclass(frozen=True, kw_only=True)
class Why:
    """Who moved the aliases and why."""

    action: str  # gate (a GO promoted it) | manual (reeltag promote) | rollback (a guardrail breach)
    by: str  # the trigger and run of a gate (``scheduled: rerank-scheduled-…``), a user, a flow
    reason: str
    run_id: str | None = None  # the MLflow run that decided it


@dataclass(frozen=True, kw_only=True)
class Moved:
    """One alias change as recorded."""

    seq: int
    at: str  # UTC, ISO 8601
    model: str  # reeltag.<model>
    alias: str
    version: str | None  # None: the alias was removed
    previous: str | None
    action: str
    by: str
    reason: str
    run_id: str | None


def record(project: Project, move: AliasMove, why: Why) -> None:
    """Append one row per alias the move changed (one durable transaction)."""
    path = project.paths.alias_history
    path.parent.mkdir(parents=True, exist_ok=True)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows = [(at, move.model, c.alias, c.version, c.previous, why.action, why.by, why.reason, why.run_id) for c in move.changes]
    with durable_sqlite.connect(path) as con:
        con.execute("PRAGMA journal_mode = WAL")
        con.executescript(SCHEMA)
        with durable_sqlite.immediate(con):
            con.executemany(f"INSERT INTO moves ({', '.join(COLUMNS[1:])}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def read_history(project: Project, model: str | None) -> tuple[Moved, ...]:
    """Every recorded alias change of ``reeltag.<model>`` (``None``: of every model), oldest first (none before the
    first move)."""
    path = project.paths.alias_history
    where, args = ("", ()) if model is None else (" WHERE model = ?", (registered_model_name(model),))
    if not path.is_file():
        return ()
    with durable_sqlite.locks_named(path, durable_sqlite.DEFAULT_BUSY_S):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=durable_sqlite.DEFAULT_BUSY_S)
        try:
            rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM moves{where} ORDER BY seq", args).fetchall()
        finally:
            con.close()
    return tuple(Moved(**dict(zip(COLUMNS, row))) for row in rows)
