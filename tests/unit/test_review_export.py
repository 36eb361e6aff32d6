"""Export of decided items to company labels, its provenance, and the report's staff-review figures."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from review_items import review_item

from reeltag.io import sha256_file
from reeltag.mapper.labels import labels_provenance
from reeltag.report.staff_review import staff_review
from reeltag.review import queue as q
from reeltag.review.export import export_labels
from reeltag.review.store import NewEvent, NewItem, ReviewStore


def item(name: str, control: bool = False) -> NewItem:
    return review_item(
        f"/v/{name}.mp4", name * 8, split="test", control=control, suggestions=(("cat", 0.9), ("dog", 0.5), ("sun", 0.4))
    )


def review(store: ReviewStore, plan: list[tuple[list[NewEvent], float]]) -> None:
    lease = q.Lease(queue="default", reviewer="ann", lease_s=60.0, order="newest")
    for events, seconds in plan:
        held = q.lease_next(store, lease)
        assert held is not None
        for event in events:
            if event.kind in ("accept", "reject") and held.control:
                continue
            q.act(store, lease, held.id, event)
        q.submit(store, lease, held.id, seconds)


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore(tmp_path / "review.db").create()
    s.add_items("default", [item("a"), item("b"), item("c", control=True), item("d")], now=1.0)
    return s


def test_export_holds_exactly_the_decisions_with_provenance(store: ReviewStore, tmp_path: Path) -> None:
    accept, reject = (lambda r: NewEvent(kind="accept", rank=r)), (lambda r: NewEvent(kind="reject", rank=r))
    # newest first: d, c (control), b; a stays pending
    review(
        store,
        [
            ([accept(1), reject(2), NewEvent(kind="add", tag="beach")], 3.0),
            ([NewEvent(kind="add", tag="cat"), NewEvent(kind="add", tag="sun")], 20.0),
            ([reject(1), reject(2), reject(3)], 5.0),
        ],
    )
    out = tmp_path / "inbox" / "labels.csv"
    result = export_labels(store, out)
    rows = list(csv.DictReader(out.open()))
    assert rows == [
        {"video": "/v/c.mp4", "tags": "#cat #sun", "split": "test"},
        {"video": "/v/d.mp4", "tags": "#cat #beach", "split": "test"},
    ]
    assert (result.rows, result.without_tags, result.pending) == (2, 1, 1)
    tags = labels_provenance(out, sha256_file(out))
    assert tags == {"labels_source": "review", "review_db_hash": result.review_db_hash}
    assert labels_provenance(out, "another content") == {"labels_source": "file"}
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def accept(rank: int) -> NewEvent:
    return NewEvent(kind="accept", rank=rank)


def test_staff_review_measures_acceptance_and_time_saved(store: ReviewStore) -> None:
    review(
        store,
        [
            ([accept(1), accept(2)], 4.0),
            ([NewEvent(kind="add", tag="kite")], 30.0),
            ([accept(1)], 6.0),
            ([accept(1), NewEvent(kind="add", tag="kite")], 8.0),
        ],
    )
    found = staff_review(store, min_items=3, seed=0)
    assert found is not None and found.items_reviewed == 4 and found.control == 1 and found.enough
    assert [(a.rank, a.shown, a.accepted) for a in found.by_rank] == [(1, 3, 3), (2, 3, 1), (3, 3, 0)]
    assert found.precision_at["p_at_1"] == 1.0 and found.precision_at["p_at_3"] == pytest.approx(4 / 9)
    assert found.missed_tags == (("kite", 1),) and found.suggested_by == ("mapper v1 (random encoder weights)",)
    assert found.median_seconds_with == 6.0 and found.median_seconds_without == 30.0
    assert found.minutes_saved_per_1000 == pytest.approx(24.0 * 1000 / 60)
    low, high = found.minutes_saved_ci  # type: ignore[misc]
    assert low <= found.minutes_saved_per_1000 <= high
    assert staff_review(store, min_items=10).enough is False  # type: ignore[union-attr]


def test_videos_under_the_labels_folder_are_written_relative(store: ReviewStore, tmp_path: Path) -> None:
    from reeltag.review.export import labels_csv

    inside = replace(store.items()[0], video=str(tmp_path / "inbox" / "videos" / "a.mp4"))
    text = labels_csv([(inside, ["cat"]), (store.items()[1], ["dog"])], tmp_path / "inbox")
    assert text.splitlines()[1:] == ["videos/a.mp4,#cat,test", "/v/b.mp4,#dog,test"]


def test_no_store_no_evidence(tmp_path: Path) -> None:
    assert staff_review(ReviewStore(tmp_path / "missing.db"), min_items=1) is None
