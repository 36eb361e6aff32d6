"""The review queue: leases, actions, submissions and undo, each one ``BEGIN IMMEDIATE`` transaction.

The rules live here; every write goes through :mod:`reeltag.review.store`, the store's one writer module.

An item is leased to one reviewer for ``review.lease_s``; a reviewer keeps the item they hold (a reload shows it
again) and only a free or expired item goes to someone else. Actions and submissions need the lease, and a
submission flips the item to ``decided`` in the same transaction as its event, so each item is decided once.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass

from reeltag.errors import BadInput
from reeltag.review.order import QueueView, choose
from reeltag.review.state import fold, live_events
from reeltag.review.store import (
    ITEM_COLUMNS,
    Event,
    Item,
    NewEvent,
    Pick,
    ReviewConflict,
    ReviewStore,
    insert_event,
    insert_pick,
    read_events,
    read_features,
    read_item,
    set_lease,
    set_status,
    to_item,
)

MAX_SECONDS = 86_400.0


@dataclass(frozen=True, kw_only=True)
class Lease:
    queue: str
    reviewer: str
    lease_s: float
    order: str = "uncertain"
    seed: int = 0  # of the 'random' order's draw


def lease_next(store: ReviewStore, lease: Lease, now: float | None = None) -> Item | None:
    """The item this reviewer holds, else the next free one in ``lease.order`` (why is recorded as a pick, with
    the mapper version shown); None when the queue is done."""
    now = time.time() if now is None else now
    with store.transaction() as con:
        row = con.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE queue = ? AND status = 'pending' AND leased_by = ? "
            "ORDER BY lease_until DESC LIMIT 1",
            (lease.queue, lease.reviewer),
        ).fetchone()
        if row is not None:
            _hold(con, int(row[0]), lease, now)
            return to_item(row)
        return _pick_free(con, lease, now)


def _pick_free(con: sqlite3.Connection, lease: Lease, now: float) -> Item | None:
    view = _view(con, lease, now)
    choice = choose(view, lease.order, lease.seed)
    if choice is None:
        return None
    item = next(i for i in view.free if i.id == choice.item_id)
    _hold(con, item.id, lease, now)
    insert_pick(
        con, Pick(item_id=item.id, reviewer=lease.reviewer, reason=choice.reason, mapper_version=item.mapper_version, at=now)
    )
    return item


def _view(con: sqlite3.Connection, lease: Lease, now: float) -> QueueView:
    rows = con.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE queue = ?", (lease.queue,)).fetchall()
    items = [to_item(r) for r in rows]
    free = [i for i in items if i.status == "pending" and (i.leased_by is None or (i.lease_until or 0.0) < now)]
    taken = {i.id for i in free}
    features = read_features(con, lease.queue) if lease.order in ("diverse", "gain") else {}
    return QueueView(free=free, served=[i for i in items if i.id not in taken], features=features)


def act(store: ReviewStore, lease: Lease, item_id: int, event: NewEvent, now: float | None = None) -> Event:
    """Record an accept/reject (of a suggestion rank) or add (of a normalised tag) on a held item."""
    now = time.time() if now is None else now
    with store.transaction() as con:
        item = _held(con, item_id, lease, now)
        if event.kind in ("accept", "reject"):
            event = NewEvent(
                kind=event.kind, rank=event.rank, tag=_suggested_tag(con, item, event.rank), simulated=event.simulated
            )
        elif event.kind != "add" or not event.tag:
            raise BadInput(f"unknown action {event.kind!r}: expected accept, reject or add")
        _hold(con, item_id, lease, now)
        return insert_event(con, item_id, lease.reviewer, event, now)


def submit(
    store: ReviewStore, lease: Lease, item_id: int, seconds: float, simulated: bool = False, now: float | None = None
) -> Event:
    """Decide the item (once): its live actions are the decision; ``seconds`` were spent on it, page visible."""
    if not (math.isfinite(seconds) and 0.0 <= seconds <= MAX_SECONDS):
        raise BadInput(f"seconds on the item must be between 0 and {MAX_SECONDS:.0f}, got {seconds!r}")
    now = time.time() if now is None else now
    with store.transaction() as con:
        _held(con, item_id, lease, now)
        event = insert_event(con, item_id, lease.reviewer, NewEvent(kind="submit", seconds=seconds, simulated=simulated), now)
        set_status(con, item_id, "decided")
    return event


def undo(store: ReviewStore, lease: Lease, item_id: int | None, now: float | None = None) -> Event | None:
    """Undo the newest action on the held item; with none, reopen this reviewer's last submitted item.

    Returns the undo event (None when there is nothing to undo).
    """
    now = time.time() if now is None else now
    with store.transaction() as con:
        if item_id is not None:
            _held(con, item_id, lease, now)
            last = fold(read_events(con, "item_id = ?", (item_id,))).last_action
            if last is not None:
                return insert_event(con, item_id, lease.reviewer, NewEvent(kind="undo", undoes=last), now)
        return _reopen_last(con, lease, item_id, now)


def _reopen_last(con: sqlite3.Connection, lease: Lease, current: int | None, now: float) -> Event | None:
    mine = read_events(con, "reviewer = ? AND item_id IN (SELECT id FROM items WHERE queue = ?)", (lease.reviewer, lease.queue))
    submits = [e for e in live_events(mine) if e.kind == "submit"]
    if not submits:
        return None
    target = submits[-1].item_id
    if current is not None:
        set_lease(con, current, None, None)
    set_status(con, target, "pending")
    _hold(con, target, lease, now)
    return insert_event(con, target, lease.reviewer, NewEvent(kind="undo", undoes=submits[-1].id), now)


def _held(con: sqlite3.Connection, item_id: int, lease: Lease, now: float) -> Item:
    """The item, when it is pending and leased to this reviewer; 404/409 with the reason otherwise."""
    item = read_item(con, item_id, lease.queue)
    if item.status == "decided":
        raise ReviewConflict(f"item {item_id} is already decided")
    if item.leased_by != lease.reviewer:
        who = "no one" if item.leased_by is None or (item.lease_until or 0) < now else "another reviewer"
        raise ReviewConflict(f"item {item_id} is leased to {who}, not to {lease.reviewer!r}; open the next item")
    return item


def _hold(con: sqlite3.Connection, item_id: int, lease: Lease, now: float) -> None:
    set_lease(con, item_id, lease.reviewer, now + lease.lease_s)


def _suggested_tag(con: sqlite3.Connection, item: Item, rank: int | None) -> str:
    if item.control:
        raise BadInput(f"item {item.id} is a control item: it has no suggestions to accept or reject; type the tags")
    row = con.execute("SELECT tag FROM suggestions WHERE item_id = ? AND rank = ?", (item.id, rank)).fetchone()
    if row is None:
        raise BadInput(f"item {item.id} has no suggestion {rank!r}")
    return str(row[0])
