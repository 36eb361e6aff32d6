"""The corpus store: Parquet parts under ``data/corpus/`` plus a watermark file per project.

Each ingestion batch is one part ``posts-<first seq>-<hash>.parquet`` written atomically; the watermark
(byte offset per source and file) is written after the part, so a crash in between only means the next run
re-reads rows that de-duplication then drops.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from reeltag.corpus.posts import Post
from reeltag.errors import ReeltagError
from reeltag.io import atomic_path, sha256_file, sha256_json, write_json_atomic

SCHEMA = pa.schema([
    ("id", pa.string()),
    ("created_at", pa.string()),
    ("source", pa.string()),
    ("raw_tags", pa.list_(pa.string())),
    ("tags", pa.list_(pa.string())),
    ("content_hash", pa.string()),
    ("seq", pa.int64()),
])
WATERMARKS = "watermarks.json"


@dataclass(frozen=True)
class Watermark:
    """How far one file of one source was read."""

    offset: int
    lines: int
    prefix_sha: str  # sha256 of the bytes before ``offset`` (first MiB): detects a rewritten file


def parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("posts-*.parquet"))


def read_table(folder: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """Every stored post (optionally only some columns), in ingestion order."""
    files = parts(folder)
    if not files:
        return SCHEMA.empty_table().select(list(columns or SCHEMA.names))
    table = pa.concat_tables(pq.read_table(f, columns=list(columns) if columns else None) for f in files)
    return table.sort_by("seq") if "seq" in table.column_names else table


def write_part(folder: Path, posts: Sequence[Post], first_seq: int) -> Path | None:
    """Write one batch of new posts atomically; returns the part path (None for an empty batch)."""
    if not posts:
        return None
    columns = {
        "id": [p.id for p in posts], "created_at": [p.created_at for p in posts], "source": [p.source for p in posts],
        "raw_tags": [list(p.raw_tags) for p in posts], "tags": [list(p.tags) for p in posts],
        "content_hash": [p.content_hash for p in posts], "seq": list(range(first_seq, first_seq + len(posts))),
    }
    table = pa.table(columns, schema=SCHEMA)
    target = folder / f"posts-{first_seq:010d}-{sha256_json(columns['id'])[:8]}.parquet"
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    return target


def corpus_hash(folder: Path) -> str:
    """Content hash of the whole store (hash of its parts' hashes)."""
    return sha256_json([sha256_file(f) for f in parts(folder)])[:16]


def load_watermarks(folder: Path) -> dict[str, dict[str, Watermark]]:
    path = folder / WATERMARKS
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {source: {key: Watermark(**mark) for key, mark in files.items()} for source, files in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:  # written atomically, so only outside damage gets here
        raise ReeltagError(f"{path} is damaged ({type(exc).__name__}: {exc}); delete it and ingest again: every file "
                           "is then read from the start and de-duplication drops the posts already stored") from exc


def save_watermarks(folder: Path, marks: dict[str, dict[str, Watermark]]) -> None:
    data = {source: {key: asdict(mark) for key, mark in files.items()} for source, files in marks.items()}
    write_json_atomic(folder / WATERMARKS, data)
