"""SQLite for the append-only stores (review events, online A/B events): connections whose commits are durable
when they return (``synchronous = FULL``) and one ``BEGIN IMMEDIATE`` write transaction; a lock held past the busy
timeout is :class:`StoreLocked`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reeltag.errors import ReeltagError

DEFAULT_BUSY_S = 30.0


class StoreLocked(ReeltagError):
    """Another connection (another process) held the store's lock longer than the busy timeout."""


@contextmanager
def connect(path: Path, *, check_same_thread: bool = True, busy_s: float = DEFAULT_BUSY_S) -> Iterator[sqlite3.Connection]:
    """An autocommit connection (transactions are explicit) that waits up to ``busy_s`` for a lock; closed on exit."""
    with locks_named(path, busy_s):
        con = sqlite3.connect(path, timeout=busy_s, isolation_level=None, check_same_thread=check_same_thread)
        try:
            con.execute(f"PRAGMA busy_timeout = {int(busy_s * 1000)}")
            con.execute("PRAGMA synchronous = FULL")
            yield con
        finally:
            con.close()


@contextmanager
def locks_named(path: Path, busy_s: float) -> Iterator[None]:
    """SQLite's "database is locked" (or busy) inside the block becomes :class:`StoreLocked` naming the file."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise StoreLocked(f"{path.name} is locked by another writer (waited {busy_s:g} s): {exc}") from exc


@contextmanager
def immediate(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error (the write lock is taken at the start)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
