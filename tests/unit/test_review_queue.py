"""The review store and queue without a server: leases, actions, submit-once, undo as events, append-only log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from review_items import review_item

from reeltag.corpus.tags import TagRules
from reeltag.errors import BadInput, NotFound
from reeltag.review import queue as q
from reeltag.review.state import fold
from reeltag.review.store import NewEvent, NewItem, ReviewConflict, ReviewStore
from reeltag.review.typed import typed_tag


def item(name: str, scores: tuple[float, ...], control: bool = False) -> NewItem:
    tags = tuple(f"{name}{i}" for i in range(len(scores)))
    return review_item(f"/v/{name}.mp4", name * 8, split="train", control=control, suggestions=tuple(zip(tags, scores)))


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore(tmp_path / "review.db").create()
    # margins: a 0.5, b 0.05 (most uncertain), c 0.2; d is a control item
    s.add_items(
        "default",
        [item("a", (0.9, 0.4)), item("b", (0.6, 0.55)), item("c", (0.7, 0.5)), item("d", (0.8, 0.1), control=True)],
        now=100.0,
    )
    s.add_items("other", [item("z", (0.5, 0.1))], now=100.0)
    return s


def lease(reviewer: str, order: str = "uncertain") -> q.Lease:
    return q.Lease(queue="default", reviewer=reviewer, lease_s=60.0, order=order)


def test_uncertain_first_and_two_reviewers_get_different_items(store: ReviewStore) -> None:
    first = q.lease_next(store, lease("ann"), now=1000.0)
    second = q.lease_next(store, lease("bob"), now=1000.0)
    assert first is not None and second is not None
    # b is the most uncertain; the control item d (1 of 4) is due at the second place whatever the order
    assert first.video == "/v/b.mp4" and second.video == "/v/d.mp4"
    again = q.lease_next(store, lease("ann"), now=1001.0)
    assert again is not None and again.id == first.id  # a reload shows the held item


def test_newest_order_and_expired_lease_goes_to_someone_else(store: ReviewStore) -> None:
    store.add_items("default", [item("n", (0.9, 0.1))], now=200.0)
    first = q.lease_next(store, lease("ann", "newest"), now=1000.0)
    assert first is not None and first.video == "/v/n.mp4"
    taken = q.lease_next(store, lease("bob", "newest"), now=1000.0 + 61.0)
    assert taken is not None and taken.id == first.id
    with pytest.raises(ReviewConflict):
        q.submit(store, lease("ann"), first.id, 3.0, now=1062.0)


def test_submit_once_and_state_from_events(store: ReviewStore) -> None:
    got = q.lease_next(store, lease("ann"))
    assert got is not None
    q.act(store, lease("ann"), got.id, NewEvent(kind="accept", rank=1))
    q.act(store, lease("ann"), got.id, NewEvent(kind="reject", rank=2))
    q.act(store, lease("ann"), got.id, NewEvent(kind="add", tag="extra"))
    q.submit(store, lease("ann"), got.id, 4.25)
    state = fold(store.events(got.id))
    assert state.chips == {1: "accepted", 2: "rejected"} and state.added == ("extra",)
    assert state.submitted and state.seconds == 4.25 and state.reviewer == "ann"
    with pytest.raises(ReviewConflict, match="already decided"):
        q.submit(store, lease("ann"), got.id, 1.0)
    assert store.progress("default") == (1, 3)


def test_undo_is_an_event_and_reopens_the_last_submission(store: ReviewStore) -> None:
    got = q.lease_next(store, lease("ann"))
    assert got is not None
    q.act(store, lease("ann"), got.id, NewEvent(kind="accept", rank=1))
    q.act(store, lease("ann"), got.id, NewEvent(kind="reject", rank=1))
    q.undo(store, lease("ann"), got.id)
    assert fold(store.events(got.id)).chips == {1: "accepted"}
    q.submit(store, lease("ann"), got.id, 2.0)
    nxt = q.lease_next(store, lease("ann"))
    assert nxt is not None and nxt.id != got.id
    undone = q.undo(store, lease("ann"), nxt.id)  # nothing on the new item: reopens the submitted one
    assert undone is not None and undone.item_id == got.id
    assert store.item(got.id).status == "pending" and not fold(store.events(got.id)).submitted
    assert q.lease_next(store, lease("ann")).id == got.id  # type: ignore[union-attr]
    kinds = [e.kind for e in store.events()]
    assert kinds == ["accept", "reject", "undo", "submit", "undo"]


def test_events_cannot_be_updated_or_deleted(store: ReviewStore) -> None:
    got = q.lease_next(store, lease("ann"))
    assert got is not None
    q.act(store, lease("ann"), got.id, NewEvent(kind="accept", rank=1))
    con = sqlite3.connect(store.path)
    for sql in ("UPDATE events SET kind = 'reject'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    con.close()
    assert [e.kind for e in store.events()] == ["accept"]


def test_refusals(store: ReviewStore) -> None:
    got = q.lease_next(store, lease("ann"))
    assert got is not None
    with pytest.raises(ReviewConflict, match="leased to another reviewer"):
        q.act(store, lease("bob"), got.id, NewEvent(kind="accept", rank=1))
    with pytest.raises(BadInput, match="no suggestion"):
        q.act(store, lease("ann"), got.id, NewEvent(kind="accept", rank=9))
    with pytest.raises(BadInput, match="unknown action"):
        q.act(store, lease("ann"), got.id, NewEvent(kind="delete"))
    with pytest.raises(BadInput, match="seconds"):
        q.submit(store, lease("ann"), got.id, float("nan"))
    other = store.items("other")[0]
    with pytest.raises(NotFound, match="not in queue"):
        q.act(store, lease("ann"), other.id, NewEvent(kind="add", tag="x"))


def test_control_items_take_typed_tags_only(store: ReviewStore) -> None:
    control = next(i for i in store.items("default") if i.control)
    ann = lease("ann")
    for _ in range(4):  # lease until the control item is held
        held = q.lease_next(store, ann)
        if held is not None and held.id == control.id:
            break
        assert held is not None
        q.submit(store, ann, held.id, 1.0)
    with pytest.raises(BadInput, match="control item"):
        q.act(store, ann, control.id, NewEvent(kind="accept", rank=1))
    q.act(store, ann, control.id, NewEvent(kind="add", tag="typed"))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("<script>alert(1)</script>", "not a word"),
        ("x" * 10_000, "10000 characters"),
        ("a", "2-40 characters"),
        ("   ", "type a tag"),
        ("#repost", "stop-tag"),
    ],
)
def test_typed_tags_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        typed_tag(raw, TagRules(frozenset({"repost"}), 2, 40))


def test_typed_tags_are_normalised_like_the_corpus() -> None:
    assert typed_tag("  #Sunset ", TagRules()) == "sunset"
