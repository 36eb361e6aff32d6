"""The ingestion engine: new posts of one post file → Parquet parts of the corpus store, de-duplicated.

One :class:`Ingestion` holds the state of one ingest call (ids and content hashes already stored, the next
``seq``, counters). Each file is read from its watermark on; every ``part_rows`` kept posts a part is written, then
its quarantine records, then the watermark, so a crash never loses or doubles posts. The caller holds the
store's lock (``store.locked``) for the whole call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from reeltag import quarantine
from reeltag.corpus import store
from reeltag.corpus.posts import Post, Rejected, iter_lines, iter_raw, read_header, to_post
from reeltag.corpus.tags import TagRules

Advance = Callable[[int], None]


@dataclass(kw_only=True)
class Ingestion:
    """Mutable state of one ingest call (ids and content hashes already stored, counters)."""

    folder: Path
    quarantine: Path
    rules: TagRules
    max_tags: int
    part_rows: int
    seen_ids: set[str]
    seen_hashes: set[str]
    next_seq: int
    counts: Counter[str] = field(default_factory=Counter)
    rejected_tags: Counter[str] = field(default_factory=Counter)
    parts: list[str] = field(default_factory=list)

    def take(self, post: Post) -> bool:
        """Keep a post unless its id or content was seen; count why not."""
        if post.id in self.seen_ids:
            self.counts["duplicates_by_id"] += 1
            return False
        if post.content_hash in self.seen_hashes:
            self.counts["duplicates_by_content"] += 1
            return False
        self.seen_ids.add(post.id)
        self.seen_hashes.add(post.content_hash)
        return True

    def flush(self, batch: list[Post]) -> None:
        part = store.write_part(self.folder, batch, self.next_seq)
        if part is not None:
            self.parts.append(part.name)
            self.next_seq += len(batch)
            self.counts["added"] += len(batch)
        batch.clear()


def start_ingestion(folder: Path, quarantine_folder: Path, rules: TagRules, max_tags: int, part_rows: int) -> Ingestion:
    """The state of a new ingest call over the store in ``folder`` (what it already holds)."""
    table = store.read_table(folder, ["id", "content_hash", "seq"])
    seqs = table.column("seq").to_pylist()
    return Ingestion(
        folder=folder,
        quarantine=quarantine_folder,
        rules=rules,
        max_tags=max_tags,
        part_rows=part_rows,
        seen_ids=set(table.column("id").to_pylist()),
        seen_hashes=set(table.column("content_hash").to_pylist()),
        next_seq=max(seqs) + 1 if seqs else 0,
    )


def ingest_file(state: Ingestion, marks: dict, path: Path, fmt: str, source: str, advance: Advance) -> None:
    """Ingest ``path`` (format ``fmt``) from its watermark under ``source``; ``marks`` is updated and saved."""
    key, digest = str(path.resolve()), store.PrefixDigest(path)
    mark = store.valid_mark(marks.get(source, {}).get(key), path, digest)
    header = read_header(path) if fmt == "csv" else None
    batch: list[Post] = []
    rejected: list[quarantine.QuarantineRecord] = []
    offset, lines = (mark.offset, mark.lines) if mark else (0, 0)
    commit = partial(_commit, state, marks=marks, batch=batch, rejected=rejected, source=source, key=key)
    for line, item in iter_raw(path, fmt, iter_lines(path, offset, lines + 1), header):  # type: ignore[arg-type]
        advance(line.end - offset)
        offset, lines = line.end, line.number
        state.counts["lines_read"] += 1
        _route(state, item, source, path, batch, rejected)
        if len(batch) >= state.part_rows:
            commit(mark=store.Watermark(offset, lines, digest.at(offset)))
    commit(mark=store.Watermark(offset, lines, digest.at(offset)))


def _route(state: Ingestion, item: object, source: str, path: Path, batch: list[Post], rejected: list) -> None:
    if isinstance(item, Rejected):
        rejected.append(
            quarantine.QuarantineRecord(kind="posts", item=str(path.parent / item.location), reason=item.reason, source=source)
        )
        return
    if item is None:
        return
    post = to_post(item, source, state.rules, state.max_tags, state.rejected_tags)  # type: ignore[arg-type]
    if isinstance(post, Rejected):
        rejected.append(
            quarantine.QuarantineRecord(kind="posts", item=str(path.parent / post.location), reason=post.reason, source=source)
        )
    elif post is None:
        state.counts["without_hashtags"] += 1
    elif state.take(post):
        batch.append(post)


def _commit(
    state: Ingestion, *, marks: dict, batch: list[Post], rejected: list, source: str, key: str, mark: store.Watermark
) -> None:
    """Part first, then quarantine records, then the watermark: a crash never loses or doubles posts."""
    state.flush(batch)
    state.counts["quarantined"] += quarantine.record(state.quarantine, rejected)
    rejected.clear()
    marks.setdefault(source, {})[key] = mark
    store.save_watermarks(state.folder, marks)
