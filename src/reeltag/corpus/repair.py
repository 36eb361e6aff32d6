"""``reeltag corpus repair``: make a damaged corpus store whole again (dedupe, renumber, rebuild watermarks).

A store damaged by ingests that overlapped before the store lock existed holds the same post id twice and
reuses seq values, and lost a source's watermark. Repair, under the store lock:

1. keeps the first row of every post id and of every content hash (in seq order, then part order), the rule
   ingestion itself applies, and renumbers seq 0..n-1; the new parts are written before the old ones are
   removed, so a crash in between leaves duplicates that a second repair removes, never a loss;
2. keeps each watermark whose file still starts with the bytes it was read from and drops the others (those
   files are read again from the start next time, and de-duplication drops what is stored);
3. rebuilds the watermark of every post file named: it covers the file's lines up to the first post that is
   neither stored by id nor by content, so the next ingest reads on from there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from reeltag.corpus import store
from reeltag.corpus.posts import Post, RawPost, detect_format, iter_lines, iter_raw, read_header, to_post
from reeltag.corpus.steps import tag_rules
from reeltag.errors import ReeltagError
from reeltag.project import Project


@dataclass(frozen=True, kw_only=True)
class RepairSummary:
    rows_before: int
    duplicates_by_id: int
    duplicates_by_content: int
    renumbered: bool  # whether parts were rewritten (False: the rows were already unique and numbered 0..n-1)
    parts_before: int
    parts_after: int
    watermarks_kept: int
    watermarks_dropped: tuple[str, ...]  # files whose watermark did not match them: read from the start next time
    watermarks_rebuilt: dict[str, int]  # file → byte offset its rebuilt watermark covers
    total_posts: int
    corpus_hash: str


@dataclass(frozen=True, kw_only=True)
class _Deduped:
    table: pa.Table
    by_id: int
    by_content: int
    renumber: bool


def repair_corpus(
    project: Project, files: Sequence[Path] = (), fmt: str = "auto", source_name: str | None = None
) -> RepairSummary:
    """Dedupe and renumber the store, check its watermarks, rebuild those of ``files``."""
    missing = [str(p) for p in files if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"post files not found: {', '.join(missing)}")
    folder = project.paths.corpus
    with store.locked(folder):
        old_parts, table = store.parts(folder), store.read_table(folder)
        deduped = _dedupe(table)
        if deduped.renumber:
            _replace_parts(folder, old_parts, deduped.table, project.settings.corpus.part_rows)
        marks, dropped = _checked_marks(folder)
        kept = sum(map(len, marks.values()))
        rebuilt = {str(p): _rebuild(project, marks, deduped.table, Path(p), fmt, source_name) for p in files}
        store.save_watermarks(folder, marks)
        return RepairSummary(
            rows_before=len(table),
            duplicates_by_id=deduped.by_id,
            duplicates_by_content=deduped.by_content,
            renumbered=deduped.renumber,
            parts_before=len(old_parts),
            parts_after=len(store.parts(folder)),
            watermarks_kept=kept,
            watermarks_dropped=dropped,
            watermarks_rebuilt=rebuilt,
            total_posts=len(deduped.table),
            corpus_hash=store.corpus_hash(folder),
        )


def _dedupe(table: pa.Table) -> _Deduped:
    seen_ids: set[str] = set()
    seen_hashes: set[str] = set()
    keep, by_id, by_content = [], 0, 0
    for pid, digest in zip(table.column("id").to_pylist(), table.column("content_hash").to_pylist(), strict=True):
        duplicate_id, duplicate_content = pid in seen_ids, digest in seen_hashes
        by_id += duplicate_id
        by_content += duplicate_content and not duplicate_id
        keep.append(not (duplicate_id or duplicate_content))
        seen_ids.add(pid)
        seen_hashes.add(digest)
    kept = table.filter(pa.array(keep, pa.bool_()))
    numbered = kept.column("seq").to_pylist() == list(range(len(kept)))
    kept = kept.set_column(kept.schema.get_field_index("seq"), "seq", pa.array(range(len(kept)), pa.int64()))
    return _Deduped(table=kept, by_id=by_id, by_content=by_content, renumber=not numbered or len(kept) < len(table))


def _replace_parts(folder: Path, old_parts: list[Path], table: pa.Table, part_rows: int) -> None:
    """New parts first, then the old ones go (a part with the same name and rows was just rewritten)."""
    written = {store.write_table_part(folder, table.slice(start, part_rows)) for start in range(0, len(table), part_rows)}
    for part in old_parts:
        if part not in written:
            part.unlink()


def _checked_marks(folder: Path) -> tuple[dict[str, dict[str, store.Watermark]], tuple[str, ...]]:
    try:
        marks = store.load_watermarks(folder)
    except ReeltagError:  # a damaged watermark file: every file is then read again from the start
        return {}, (str(folder / store.WATERMARKS),)
    dropped = []
    for files in marks.values():
        for key, mark in list(files.items()):
            path = Path(key)
            if not path.is_file() or store.valid_mark(mark, path, store.PrefixDigest(path)) is None:
                dropped.append(key)
                del files[key]
    return marks, tuple(dropped)


def _rebuild(project: Project, marks: dict, table: pa.Table, path: Path, fmt: str, source_name: str | None) -> int:
    """Set the watermark of ``path`` to the end of its longest stored prefix; returns that byte offset."""
    ids, hashes = set(table.column("id").to_pylist()), set(table.column("content_hash").to_pylist())
    kind = detect_format(path, fmt)
    source, rules, corpus = source_name or path.stem, tag_rules(project.settings.corpus), project.settings.corpus
    header = read_header(path) if kind == "csv" else None
    offset = lines = 0
    for line, item in iter_raw(path, kind, iter_lines(path), header):
        post = to_post(item, source, rules, corpus.max_tags_per_post, Counter()) if isinstance(item, RawPost) else None
        if isinstance(post, Post) and post.id not in ids and post.content_hash not in hashes:
            break  # not stored: the next ingest reads on from here
        offset, lines = line.end, line.number
    marks.setdefault(source, {})[str(path.resolve())] = store.Watermark(offset, lines, store.PrefixDigest(path).at(offset))
    return offset
