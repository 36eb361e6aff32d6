"""Demo hashtag corpus with planted clusters, a time trend, near-duplicates, spam and malformed rows.

Files written under ``<out>/corpus/``:

* ``posts.jsonl`` -- one JSON object per line: ``id``, ``created_at`` (ISO-8601 UTC, ``...Z``), ``text`` and,
  for about half the posts, ``hashtags`` (list, without '#'). Posts run from 2024-01-01 to 2024-12-31.
* ``posts_new.jsonl`` -- a later, clean batch (January 2025, ids ``nNNNNNN``) that brings brand-new tags.

What is planted (tags below with '#'):

* **clusters** -- each post is about one category and carries 2-4 of its tags (popular ones more often),
  from company A's vocabulary (70 %) or company B's shifted one (30 %), plus with 30 % one tag of the other
  vocabulary, so both vocabularies of a category co-occur; general tags (``GENERAL_TAGS``) with 40 %;
  one tag of another category with 8 % (cross-category noise); one tag in 5 % of posts changes case.
* **trend** -- ``TREND_TAGS`` (one per trend category) only in the last 30 % of the time range (and later).
* **near-duplicates** -- ~3 %: a copy of an earlier post, same tags, tiny text change, new id, minutes later.
* **spam** -- ~1 %: 30-40 tags with repeats (category, general and spam tags; never trend or new tags).
* **malformed** -- ~1 % (at least 5), cycling: a broken JSON line, a missing ``id``, a non-string ``text``,
  an unparseable ``created_at``, an empty ``text`` without ``hashtags``.
* **new tags** -- ``NEW_TAGS`` appear only in ``posts_new.jsonl``, with 60 % of their category's posts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from reeltag.demo.plans import draw_tags
from reeltag.demo.world import CATEGORIES, GENERAL_TAGS, NEW_TAGS, TREND_TAGS
from reeltag.io import write_text_atomic

START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
NEW_START, NEW_END = END, datetime(2025, 2, 1, tzinfo=UTC)
TREND_FROM = 0.7  # fraction of [START, END) after which trend tags appear
SPAM_TAGS: tuple[str, ...] = ("#follow4follow", "#like4like", "#followme", "#giveaway")
MALFORMED_KINDS: tuple[str, ...] = ("broken_json", "missing_id", "non_string_text", "bad_date", "empty_text")
PHRASES: dict[str, tuple[str, ...]] = {
    "sunset": ("What a view tonight", "Chasing the light", "Sky on fire"),
    "ocean": ("Salt in the air", "Best day at the beach", "Waves all day"),
    "forest": ("Lost in the woods", "Trail run this morning", "So green out here"),
    "fitness": ("New personal best", "No days off", "Leg day done"),
    "party": ("What a night", "Dancing till sunrise", "Weekend mode on"),
    "winter": ("It is freezing out", "First snow of the year", "Cozy inside"),
    "food": ("Dinner is served", "Tried a new recipe", "Could eat this every day"),
    "love": ("Forever with you", "Best day of our lives", "Date night"),
}
GENERIC_PHRASES: tuple[str, ...] = ("Check this out", "Good vibes", "Had to share", "Throwback")


@dataclass(frozen=True, kw_only=True)
class CorpusSummary:
    """What :func:`write_corpus` wrote: line counts by kind and the two files."""

    n_lines: int
    n_clean: int
    n_duplicates: int
    n_spam: int
    n_malformed: int
    n_new: int
    posts: Path
    posts_new: Path


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def draw_times(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> list[datetime]:
    """``n`` sorted whole-second times in [start, end)."""
    seconds = np.sort(rng.integers(0, int((end - start).total_seconds()), size=n))
    return [start + timedelta(seconds=int(s)) for s in seconds]


def post_tags(rng: np.random.Generator, cat: int, when: datetime, new_tags: bool) -> list[str]:
    """The planted tags of one clean post about category ``cat`` posted at ``when``."""
    category = CATEGORIES[cat]
    shifted = rng.random() < 0.3
    tags = draw_tags(rng, category.shifted_tags if shifted else category.tags)
    extras = [
        (0.3, category.tags if shifted else category.shifted_tags),
        (0.4, GENERAL_TAGS),
        (0.08, CATEGORIES[(cat + 1 + int(rng.integers(len(CATEGORIES) - 1))) % len(CATEGORIES)].tags),
    ]
    for p, pool in extras:
        if rng.random() < p:
            tags.append(pool[int(rng.integers(len(pool)))])
    if category.name in TREND_TAGS and when >= START + TREND_FROM * (END - START) and rng.random() < 0.5:
        tags.append(TREND_TAGS[category.name])
    if new_tags and category.name in NEW_TAGS and rng.random() < 0.6:
        tags.append(NEW_TAGS[category.name])
    return _shuffle(rng, tags)


def _shuffle(rng: np.random.Generator, tags: list[str]) -> list[str]:
    unique = list(dict.fromkeys(tags))
    out = [unique[int(i)] for i in rng.permutation(len(unique))]
    if out and rng.random() < 0.05:
        out[0] = out[0].upper() if rng.random() < 0.5 else "#" + out[0][1:].capitalize()
    return out


def post_row(rng: np.random.Generator, phrase: str, tags: list[str], when: datetime) -> dict[str, object]:
    """A post as users export it: tags in the text, in a ``hashtags`` list, or both."""
    mode = rng.choice(["text", "both", "field"], p=[0.5, 0.3, 0.2])
    text = phrase if mode == "field" else f"{phrase} {' '.join(tags)}"
    row: dict[str, object] = {"created_at": iso(when), "text": text}
    if mode != "text":
        row["hashtags"] = [t.lstrip("#") for t in tags]
    return row


def clean_post(rng: np.random.Generator, when: datetime, new_tags: bool = False) -> dict[str, object]:
    cat = int(rng.choice(len(CATEGORIES), p=_popularity()))
    phrases = PHRASES[CATEGORIES[cat].name] + GENERIC_PHRASES
    phrase = phrases[int(rng.integers(len(phrases)))]
    return post_row(rng, phrase, post_tags(rng, cat, when, new_tags), when)


def _popularity() -> np.ndarray:
    weights = 1.0 / np.sqrt(np.arange(1, len(CATEGORIES) + 1))
    return weights / weights.sum()


def near_duplicate(rng: np.random.Generator, row: dict[str, object]) -> dict[str, object]:
    """Same tags, a tiny text change, a few minutes later."""
    copy = dict(row)
    later = parse_iso(str(row["created_at"])) + timedelta(minutes=int(rng.integers(1, 90)))
    copy["created_at"] = iso(min(later, END - timedelta(seconds=1)))
    edits = ("!", " !!", " (repost)", " 🔁")
    copy["text"] = str(row["text"]) + edits[int(rng.integers(len(edits)))]
    return copy


def spam_row(rng: np.random.Generator, when: datetime) -> dict[str, object]:
    pool = sorted({t for c in CATEGORIES for t in c.tags} | set(GENERAL_TAGS) | set(SPAM_TAGS))
    tags = [pool[int(i)] for i in rng.integers(len(pool), size=int(rng.integers(30, 41)))]
    tags += [SPAM_TAGS[0]] * 3
    return {"created_at": iso(when), "text": "FOLLOW ME for more!!! " + " ".join(tags)}


def malformed_line(kind: str, when: datetime, pid: str) -> str:
    """One bad line of ``kind`` (see ``MALFORMED_KINDS``)."""
    good = {"id": pid, "created_at": iso(when), "text": "Nice day #sunset #sky"}
    if kind == "broken_json":
        return json.dumps(good)[:-12]
    bad: dict[str, object] = dict(good)
    if kind == "missing_id":
        del bad["id"]
    elif kind == "non_string_text":
        bad["text"] = 12345
    elif kind == "bad_date":
        bad["created_at"] = "2024-13-45T99:61:00Z"
    else:
        bad["text"] = ""
    return json.dumps(bad, ensure_ascii=False)


def corpus_lines(rng: np.random.Generator, n_posts: int) -> tuple[list[str], dict[str, int]]:
    """All lines of ``posts.jsonl`` and how many of each kind."""
    n_dup, n_spam = round(0.03 * n_posts), round(0.01 * n_posts)
    n_bad = max(5, round(0.01 * n_posts))
    n_clean = n_posts - n_dup - n_spam - n_bad
    rows = [clean_post(rng, when) for when in draw_times(rng, n_clean, START, END)]
    rows += [near_duplicate(rng, rows[int(i)]) for i in rng.integers(n_clean, size=n_dup)]
    rows += [spam_row(rng, when) for when in draw_times(rng, n_spam, START, END)]
    rows.sort(key=lambda r: str(r["created_at"]))
    lines = [json.dumps({"id": f"p{i:06d}", **r}, ensure_ascii=False) for i, r in enumerate(rows)]
    positions = sorted(rng.choice(len(rows), size=n_bad, replace=False).tolist())
    for k in reversed(range(n_bad)):  # from the back, so earlier positions stay valid
        when = parse_iso(str(rows[positions[k]]["created_at"]))
        lines.insert(positions[k], malformed_line(MALFORMED_KINDS[k % len(MALFORMED_KINDS)], when, f"bad{k:04d}"))
    return lines, {"clean": n_clean, "duplicates": n_dup, "spam": n_spam, "malformed": n_bad}


def new_lines(rng: np.random.Generator, n_new: int) -> list[str]:
    rows = [clean_post(rng, when, new_tags=True) for when in draw_times(rng, n_new, NEW_START, NEW_END)]
    return [json.dumps({"id": f"n{i:06d}", **r}, ensure_ascii=False) for i, r in enumerate(rows)]


def write_corpus(root: Path, rng: np.random.Generator, n_posts: int, n_new: int) -> CorpusSummary:
    """Write ``corpus/posts.jsonl`` (about ``n_posts`` lines) and ``corpus/posts_new.jsonl``."""
    lines, counts = corpus_lines(rng, n_posts)
    fresh = new_lines(rng, n_new)
    posts = write_text_atomic(root / "corpus" / "posts.jsonl", "\n".join(lines) + "\n")
    posts_new = write_text_atomic(root / "corpus" / "posts_new.jsonl", "\n".join(fresh) + "\n")
    return CorpusSummary(
        n_lines=len(lines),
        n_clean=counts["clean"],
        n_duplicates=counts["duplicates"],
        n_spam=counts["spam"],
        n_malformed=counts["malformed"],
        n_new=len(fresh),
        posts=posts,
        posts_new=posts_new,
    )
