"""The demo hashtag corpus: planted clusters, trend, duplicates, spam and malformed rows."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import numpy as np
import pytest

from reeltag.demo.hashtag_corpus import END, START, TREND_FROM, corpus_lines, new_lines, parse_iso
from reeltag.demo.world import CATEGORIES, NEW_TAGS, TREND_TAGS

TAG = re.compile(r"#\w+")


def parsed(lines: list[str]) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def tags_of(row: dict) -> list[str]:  # type: ignore[type-arg]
    text = row.get("text") if isinstance(row.get("text"), str) else ""
    found = [t.lower() for t in TAG.findall(text)]
    return found + ["#" + t.lower() for t in row.get("hashtags", [])]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], dict[str, int]]:
    return corpus_lines(np.random.default_rng(0), 1000)


def test_counts_and_ids(corpus) -> None:  # type: ignore[no-untyped-def]
    lines, counts = corpus
    assert len(lines) == 1000 == sum(counts.values())
    assert counts["duplicates"] == 30 and counts["spam"] == 10 and counts["malformed"] == 10
    ids = [r["id"] for r in parsed(lines) if "id" in r]
    assert len(ids) == len(set(ids))


def test_every_malformed_kind_is_present(corpus) -> None:  # type: ignore[no-untyped-def]
    lines, _ = corpus
    rows = parsed(lines)
    assert len(lines) - len(rows) == 2  # broken JSON lines
    assert sum("id" not in r for r in rows) == 2
    assert sum(not isinstance(r.get("text"), str) for r in rows) == 2
    assert sum(r.get("text") == "" and "hashtags" not in r for r in rows) == 2
    bad_dates = 0
    for row in rows:
        try:
            datetime.strptime(row["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            bad_dates += 1
    assert bad_dates == 2


def test_category_tags_cluster(corpus) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in parsed(corpus[0]) if len(tags_of(r)) < 20]
    home = {t: c.name for c in CATEGORIES for t in c.tags + c.shifted_tags}
    same = cross = 0
    for row in rows:
        cats = [home[t] for t in set(tags_of(row)) if t in home]
        pairs = [(a, b) for i, a in enumerate(cats) for b in cats[i + 1 :]]
        same += sum(a == b for a, b in pairs)
        cross += sum(a != b for a, b in pairs)
    assert same > 5 * cross > 0


def test_shifted_tags_co_occur_with_main_tags(corpus) -> None:  # type: ignore[no-untyped-def]
    rows = parsed(corpus[0])
    sunset = CATEGORIES[0]
    only_shifted = set(sunset.shifted_tags) - set(sunset.tags)
    both = [r for r in rows if set(tags_of(r)) & only_shifted and set(tags_of(r)) & (set(sunset.tags) - only_shifted)]
    assert len(both) >= 5


def test_trend_tags_appear_only_late(corpus) -> None:  # type: ignore[no-untyped-def]
    cutoff = START + TREND_FROM * (END - START)
    seen = Counter()
    for row in parsed(corpus[0]):
        for tag in set(tags_of(row)) & set(TREND_TAGS.values()):
            assert parse_iso(row["created_at"]) >= cutoff
            seen[tag] += 1
    assert set(seen) == set(TREND_TAGS.values())


def test_duplicates_and_spam(corpus) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in parsed(corpus[0]) if "id" in r and isinstance(r.get("text"), str)]
    by_tags = Counter(tuple(sorted(tags_of(r))) for r in rows if tags_of(r))
    assert sum(n - 1 for n in by_tags.values() if n > 1) >= 30
    spam = [r for r in rows if len(tags_of(r)) >= 30]
    assert len(spam) == 10
    assert all(len(set(tags_of(r))) < len(tags_of(r)) for r in spam)


def test_new_batch_brings_new_tags(corpus) -> None:  # type: ignore[no-untyped-def]
    old = {t for r in parsed(corpus[0]) for t in tags_of(r)}
    fresh = parsed(new_lines(np.random.default_rng(1), 200))
    new = {t for r in fresh for t in tags_of(r)}
    assert set(NEW_TAGS.values()) <= new and not set(NEW_TAGS.values()) & old
    assert all(r["id"].startswith("n") and r["created_at"] >= "2025-01-01" for r in fresh)


def test_same_seed_same_lines() -> None:
    assert corpus_lines(np.random.default_rng(3), 300) == corpus_lines(np.random.default_rng(3), 300)
