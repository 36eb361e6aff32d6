"""Re-scoring the queue after a promotion: undecided items get the new champion's scores (so the order changes),
their history names the version of every set of suggestions, a held item keeps what its reviewer was shown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from review_items import review_item

from reeltag.review import queue as q
from reeltag.review.rescore import rescore_items, rescore_queue
from reeltag.review.store import Item, ReviewStore, Scores

V2 = ("2", "1", "")  # mapper v2 (the new champion) on Tag2Vec v1, no fusion
NEW_MARGIN = {"a": 0.4, "b": 0.3, "c": 0.02, "d": 0.01}  # v2 is sure of a and b, unsure of c and d


def v2_scores(items: Sequence[Item], fusion: str = "") -> dict[int, Scores]:
    """Mapper v2's suggestions (ranked by ``fusion``, "" = the mapper alone): a new top tag, margins as in NEW_MARGIN."""
    return {
        i.id: Scores(
            suggestions=(("sunset", 0.8), ("beach", 0.8 - NEW_MARGIN[Path(i.video).stem])),
            mapper_version="2",
            tag2vec_version="1",
            fusion_version=fusion,
        )
        for i in items
    }


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore(tmp_path / "review.db").create()
    margins = {"a": 0.01, "b": 0.02, "c": 0.3, "d": 0.4}  # mapper v1: unsure of a and b
    s.add_items(
        "default",
        [review_item(f"/v/{n}.mp4", n * 8, suggestions=(("cat", 0.6), ("dog", 0.6 - m))) for n, m in margins.items()],
        now=1.0,
    )
    return s


def lease(who: str) -> q.Lease:
    return q.Lease(queue="default", reviewer=who, lease_s=60.0)


def test_after_a_promotion_undecided_items_are_rescored_and_the_order_follows(store: ReviewStore) -> None:
    decided = q.lease_next(store, lease("ann"), now=100.0)  # a (v1's most uncertain), decided
    assert decided is not None and decided.video == "/v/a.mp4"
    q.submit(store, lease("ann"), decided.id, 2.0, now=101.0)
    held = q.lease_next(store, lease("bob"), now=102.0)  # b, held by bob while the new champion arrives
    assert held is not None and held.video == "/v/b.mp4"

    done = rescore_items(store, "default", v2_scores, versions=V2, now=103.0)
    assert (done.rescored, done.kept_leased, done.current) == (2, 1, 0)

    by_name = {Path(i.video).stem: i for i in store.items("default")}
    for name in ("c", "d"):  # the undecided, unheld items: v2's suggestions, scores and margin
        assert store.suggestions(by_name[name].id)[0][1:] == ("sunset", 0.8)
        assert by_name[name].margin == pytest.approx(NEW_MARGIN[name]) and by_name[name].mapper_version == "2"
        history = [(s.scores.mapper_version, s.scores.suggestions[0][0]) for s in store.scorings(by_name[name].id)]
        assert history == [("1", "cat"), ("2", "sunset")]  # the history names the version of each suggestion set
    for name in ("a", "b"):  # decided, and held: unchanged, v1
        assert store.suggestions(by_name[name].id)[0][1] == "cat" and by_name[name].mapper_version == "1"
        assert [s.scores.mapper_version for s in store.scorings(by_name[name].id)] == ["1"]
    assert [(p.reviewer, p.mapper_version) for p in store.picks(held.id)] == [("bob", "1")]  # what bob was shown

    nxt = q.lease_next(store, lease("cy"), now=104.0)  # v1's order would give c (0.3) before d (0.4); v2's gives d
    assert nxt is not None and nxt.video == "/v/d.mp4" and store.picks(nxt.id)[-1].mapper_version == "2"


def test_rescoring_again_changes_nothing_and_a_freed_item_is_rescored_later(store: ReviewStore) -> None:
    held = q.lease_next(store, lease("bob"), now=100.0)
    assert held is not None
    rescore_items(store, "default", v2_scores, versions=V2, now=101.0)
    again = rescore_items(store, "default", v2_scores, versions=V2, now=102.0)  # bob still holds his item
    assert (again.rescored, again.kept_leased, again.current) == (0, 1, 3)
    later = rescore_items(store, "default", v2_scores, versions=V2, now=100.0 + 61.0)  # his lease expired
    assert (later.rescored, later.kept_leased, later.current) == (1, 0, 3)
    assert store.item(held.id).mapper_version == "2"


def test_no_review_store_is_a_no_op(tmp_path: Path) -> None:
    from reeltag.project import Project

    (tmp_path / "reeltag.toml").write_text("", encoding="utf-8")
    done = rescore_queue(Project.open(tmp_path))
    assert done.rescored == 0 and done.mapper_version is None and "no review store" in done.note


def test_a_new_fusion_champion_alone_rescores_the_undecided_items(store: ReviewStore) -> None:
    """Same mapper and Tag2Vec, a fusion now ranks: the undecided items are stale, re-scored, the history names it."""
    rescore_items(store, "default", v2_scores, versions=V2, now=100.0)  # all on mapper v2 alone
    assert rescore_items(store, "default", v2_scores, versions=V2, now=101.0).rescored == 0

    fused = rescore_items(store, "default", lambda items: v2_scores(items, fusion="3"), versions=("2", "1", "3"), now=102.0)
    assert (fused.rescored, fused.current, fused.fusion_version) == (4, 0, "3") and "fusion v3" in fused.note
    for item in store.items("default"):
        assert item.fusion_version == "3"
        assert [s.scores.versions for s in store.scorings(item.id)] == [("1", "1", ""), ("2", "1", ""), ("2", "1", "3")]
    back = rescore_items(store, "default", v2_scores, versions=V2, now=103.0)  # the fusion no longer fits: mapper alone
    assert back.rescored == 4 and all(i.fusion_version == "" for i in store.items("default"))


def test_a_store_made_before_the_fusion_column_gets_it_and_its_items_are_rescored(tmp_path: Path) -> None:
    import sqlite3

    from reeltag.review import store as store_module

    old_schema = store_module.SCHEMA.replace(" fusion_version TEXT,", "").replace(", fusion_version TEXT)", ")")
    assert "fusion_version" not in old_schema
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.executescript(old_schema)
        con.execute(
            "INSERT INTO items (queue, video, video_sha256, split, added_at, control, margin, codec, playable, "
            "mapper_version, tag2vec_version) VALUES ('default', '/v/a.mp4', 'aa', '', 1.0, 0, 0.1, 'h264', 1, '2', '1')"
        )
    old = ReviewStore(path).require()
    (item,) = old.items("default")
    assert item.fusion_version is None  # not recorded: re-scored once, then current
    assert rescore_items(old, "default", v2_scores, versions=V2, now=5.0).rescored == 1
    assert rescore_items(old, "default", v2_scores, versions=V2, now=6.0).rescored == 0
