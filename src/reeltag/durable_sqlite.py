"""SQLite for the append-only stores (review events, online A/B events): connections whose commits are durable
when they return (``synchronous = FULL``) and one ``BEGIN IMMEDIATE`` write transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path, *, check_same_thread: bool = True) -> Iterator[sqlite3.Connection]:
    """An autocommit connection (transactions are explicit) that waits up to 30 s for a lock; closed on exit."""
    con = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread)
    try:
        con.execute("PRAGMA busy_timeout = 30000")
        con.execute("PRAGMA synchronous = FULL")
        yield con
    finally:
        con.close()


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
