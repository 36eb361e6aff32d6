"""Posts files → (words, tags) pairs for the text model, read like ``reeltag ingest`` reads them (pure stdlib).

The same parser, tag normalisation and content-hash de-duplication as the corpus store; rows the corpus would
quarantine or skip (no hashtag) give nothing. Tags are then shown in their corpus surface form (one stem, one
tag) by :func:`canonical_posts`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from reeltag.corpus.posts import (
    Post,
    RawPost,
    detect_format,
    iter_lines,
    iter_raw,
    read_header,
    to_post,
)
from reeltag.corpus.tags import SurfaceForms, TagRules, repair_text
from reeltag.text.words import text_words

WordsAndTags = tuple[tuple[str, ...], tuple[str, ...]]


def read_text_posts(files: Sequence[Path], rules: TagRules, max_tags: int, seen: set[str] | None = None) -> list[WordsAndTags]:
    """Words (hashtags removed) and normalised tags of every distinct post with a hashtag. ``seen``: content
    hashes of posts read before (their copies are skipped, as ``reeltag ingest`` skips them); updated in place."""
    seen = set() if seen is None else seen
    out: list[WordsAndTags] = []
    for raw, post in _posts(files, rules, max_tags):
        if post.tags and post.content_hash not in seen:
            seen.add(post.content_hash)
            out.append((tuple(text_words(repair_text(raw.text or ""))), post.tags))
    return out


def _posts(files: Sequence[Path], rules: TagRules, max_tags: int) -> Iterator[tuple[RawPost, Post]]:
    ignored: Counter[str] = Counter()
    for path in files:
        fmt = detect_format(path)
        header = read_header(path) if fmt == "csv" else None
        for _, raw in iter_raw(path, fmt, iter_lines(path), header):
            if not isinstance(raw, RawPost):
                continue
            post = to_post(raw, path.name, rules, max_tags, ignored)
            if isinstance(post, Post):
                yield raw, post


def canonical_posts(posts: Sequence[WordsAndTags], surface: SurfaceForms) -> list[WordsAndTags]:
    return [(words, tuple(surface.sentence(tags))) for words, tags in posts]


def tag_vocabulary(posts: Sequence[WordsAndTags], min_count: int) -> tuple[str, ...]:
    """Tags in at least ``min_count`` posts, most frequent first."""
    freq = Counter(t for _, tags in posts for t in set(tags))
    return tuple(sorted((t for t, n in freq.items() if n >= min_count), key=lambda t: (-freq[t], t)))
