"""Each ``review.order`` on seeded features: which free item comes next, the reason recorded, control share kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from review_items import review_item

from reeltag.review import queue as q
from reeltag.review.store import NewItem, ReviewStore

# two tight clusters in CLIP space (A: 6 items, B: 2 items), seeded; margins chosen per item
RNG = np.random.default_rng(28)
CENTRES = {"A": RNG.normal(size=16), "B": RNG.normal(size=16)}


def item(name: str, region: str, margin: float, control: bool = False) -> NewItem:
    feature = CENTRES[region] + 0.05 * RNG.normal(size=16)
    return review_item(
        f"/v/{name}.mp4",
        name * 8,
        control=control,
        suggestions=(("cat", 0.6), ("dog", 0.6 - margin)),
        feature=tuple(map(float, feature)),
    )


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    s = ReviewStore(tmp_path / "review.db").create()
    names = [("a1", "A", 0.01), ("a2", "A", 0.02), ("a3", "A", 0.03), ("a4", "A", 0.04), ("a5", "A", 0.05)]
    names += [("a6", "A", 0.06), ("b1", "B", 0.5), ("b2", "B", 0.4)]
    s.add_items("default", [item(n, r, m) for n, r, m in names], now=100.0)
    return s


def take(store: ReviewStore, order: str, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Lease and decide ``n`` items in ``order``: (video name, recorded pick reason) in serving order."""
    lease = q.Lease(queue="default", reviewer="ann", lease_s=60.0, order=order, seed=seed)
    out = []
    for step in range(n):
        got = q.lease_next(store, lease, now=1000.0 + step)
        assert got is not None
        q.submit(store, lease, got.id, 1.0, now=1000.0 + step)
        out.append((Path(got.video).stem, store.picks(got.id)[-1].reason))
    return out


def test_uncertain_serves_lowest_margin_first(store: ReviewStore) -> None:
    assert take(store, "uncertain", 3) == [("a1", "uncertain"), ("a2", "uncertain"), ("a3", "uncertain")]


def test_newest_serves_the_latest_added(store: ReviewStore) -> None:
    assert take(store, "newest", 2) == [("b2", "newest"), ("b1", "newest")]


def test_random_is_seeded_and_differs_by_seed(store: ReviewStore, tmp_path: Path) -> None:
    first = take(store, "random", 8, seed=1)
    assert {r for _, r in first} == {"random"} and len({n for n, _ in first}) == 8
    other = ReviewStore(tmp_path / "again.db").create()
    other.add_items("default", [item(n, "A", 0.1) for n, _ in sorted(first)], now=100.0)
    assert [n for n, _ in take(other, "random", 8, seed=1)] == [n for n, _ in first]  # same seed, same draw
    third = ReviewStore(tmp_path / "seed2.db").create()
    third.add_items("default", [item(n, "A", 0.1) for n, _ in sorted(first)], now=100.0)
    assert [n for n, _ in take(third, "random", 8, seed=2)] != [n for n, _ in first]


def test_diverse_reaches_the_small_region_second(store: ReviewStore) -> None:
    served = take(store, "diverse", 2)
    assert served[0][0].startswith("a") and served[1][0].startswith("b")  # k-center: the far cluster next
    assert {r for _, r in served} == {"new region"}


def test_gain_takes_the_most_uncertain_of_the_least_covered_region(store: ReviewStore) -> None:
    served = take(store, "gain", 4)
    names = [n for n, _ in served]
    # 8 items → round(√8) = 3 regions (k-center splits the dense cluster A in two): the first three picks cover one
    # region each ("new region"), each that region's most uncertain item, so cluster B's b2 (not b1) comes early
    assert "b2" in names[:3] and "b1" not in names[:3] and names[0] == "a1"
    assert [r for _, r in served[:3]] == ["new region"] * 3
    # then every region is covered once: the most uncertain item left, now "uncertain"
    assert served[3][1] == "uncertain"


def test_uncertain_alone_stays_in_the_dense_region(store: ReviewStore) -> None:
    """The contrast gain exists for: by margin only, the first six picks never leave region A."""
    assert all(n.startswith("a") for n, _ in take(store, "uncertain", 6))


def test_items_without_features_fall_back_to_uncertain(tmp_path: Path) -> None:
    s = ReviewStore(tmp_path / "review.db").create()
    s.add_items(
        "default",
        [review_item(f"/v/{n}.mp4", n * 8, suggestions=(("cat", 0.6), ("dog", m))) for n, m in (("x", 0.1), ("y", 0.5))],
    )
    assert take(s, "gain", 1) == [("y", "uncertain")]


def test_features_of_another_encoder_count_as_missing(store: ReviewStore) -> None:
    odd = review_item("/v/odd.mp4", "o" * 8, suggestions=(("cat", 0.6), ("dog", 0.6)), feature=(1.0, 0.0, 0.0))
    store.add_items("default", [odd], now=200.0)  # margin 0, but a 3-d feature among 16-d ones: served last
    served = take(store, "gain", 9)
    assert served[-1] == ("odd", "uncertain") and len({n for n, _ in served}) == 9


@pytest.mark.parametrize("order", ["uncertain", "newest", "random", "diverse", "gain"])
def test_control_items_keep_their_share_in_every_order(tmp_path: Path, order: str) -> None:
    s = ReviewStore(tmp_path / "review.db").create()
    regions = "AAAAAAAABB"
    items = [item(f"i{k}", regions[k], 0.01 * (k + 1), control=k in (8, 9)) for k in range(10)]  # share 20 %
    s.add_items("default", items, now=100.0)
    served = [n for n, _ in take(s, order, 10)]
    controls = [pos for pos, n in enumerate(served, 1) if n in ("i8", "i9")]
    assert controls == [3, 8]  # round(share × place): every 1/share-th place, whatever the order


def test_pick_records_the_mapper_version_shown(store: ReviewStore) -> None:
    lease = q.Lease(queue="default", reviewer="ann", lease_s=60.0)
    got = q.lease_next(store, lease, now=1000.0)
    assert got is not None
    again = q.lease_next(store, lease, now=1001.0)  # a reload keeps the item and records no second pick
    assert again is not None and again.id == got.id
    assert [(p.reviewer, p.reason, p.mapper_version) for p in store.picks(got.id)] == [("ann", "uncertain", "1")]
