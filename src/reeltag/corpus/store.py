"""The corpus store: Parquet parts under ``data/corpus/`` plus a watermark file per project.

Each ingestion batch is one part ``posts-<first seq>-<hash>.parquet`` written atomically; the watermark
(byte offset per source and file) is written after the part, so a crash in between only means the next run
re-reads rows that de-duplication then drops. A step that reads the store and then writes it (ingest, validate,
repair) holds :func:`locked` throughout, so two of them never build on the same snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from reeltag.corpus.posts import Post
from reeltag.errors import ReeltagError
from reeltag.io import atomic_path, sha256_file, sha256_json, write_json_atomic

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("created_at", pa.string()),
        ("source", pa.string()),
        ("raw_tags", pa.list_(pa.string())),
        ("tags", pa.list_(pa.string())),
        ("content_hash", pa.string()),
        ("seq", pa.int64()),
    ]
)
WATERMARKS = "watermarks.json"
LOCK = ".corpus.lock"
LOCK_WAIT_S = 3600.0  # an ingest of a big file may hold the lock for minutes; flock is freed if its holder dies
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Watermark:
    """How far one file of one source was read."""

    offset: int
    lines: int
    prefix_sha: str  # sha256 of all the bytes before ``offset``: detects a rewritten file


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the store's lock. Two ingests that each read the stored ids and the next seq, then append parts and
    write the whole watermark dict, otherwise store the same posts twice, reuse seqs and drop a watermark."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK))
    try:
        lock.acquire(timeout=LOCK_WAIT_S)
    except Timeout as exc:
        raise ReeltagError(
            f"the corpus store {folder} stayed locked by another ingest, validate or repair for "
            f"{LOCK_WAIT_S:.0f} s; wait for it to finish and run this again"
        ) from exc
    try:
        yield
    finally:
        lock.release()


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
        "id": [p.id for p in posts],
        "created_at": [p.created_at for p in posts],
        "source": [p.source for p in posts],
        "raw_tags": [list(p.raw_tags) for p in posts],
        "tags": [list(p.tags) for p in posts],
        "content_hash": [p.content_hash for p in posts],
        "seq": list(range(first_seq, first_seq + len(posts))),
    }
    return write_table_part(folder, pa.table(columns, schema=SCHEMA))


def write_table_part(folder: Path, table: pa.Table) -> Path:
    """Write rows already in :data:`SCHEMA` (with their seqs) as one part, atomically."""
    ids, first_seq = table.column("id").to_pylist(), table.column("seq")[0].as_py()
    target = folder / f"posts-{first_seq:010d}-{sha256_json(ids)[:8]}.parquet"
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
        raise ReeltagError(
            f"{path} is damaged ({type(exc).__name__}: {exc}); delete it and ingest again: every file "
            "is then read from the start and de-duplication drops the posts already stored"
        ) from exc


def save_watermarks(folder: Path, marks: dict[str, dict[str, Watermark]]) -> None:
    data = {source: {key: asdict(mark) for key, mark in files.items()} for source, files in marks.items()}
    write_json_atomic(folder / WATERMARKS, data)


class PrefixDigest:
    """sha256 of a file's first ``offset`` bytes, extended as reading moves on, so each byte is hashed once.

    The whole prefix counts: a regenerated export that differs only after its first MiB must not resume
    mid-line (and lose the post inserted there)."""

    def __init__(self, path: Path):
        self._path, self._sha, self._offset = path, hashlib.sha256(), 0

    def at(self, offset: int) -> str:
        if offset < self._offset:
            self._sha, self._offset = hashlib.sha256(), 0
        with open(self._path, "rb") as fh:
            fh.seek(self._offset)
            while self._offset < offset and (chunk := fh.read(min(offset - self._offset, _CHUNK))):
                self._sha.update(chunk)
                self._offset += len(chunk)
        return self._sha.hexdigest()


def valid_mark(mark: Watermark | None, path: Path, digest: PrefixDigest) -> Watermark | None:
    """The watermark when the file still starts with the bytes read last time (it may have grown).

    Watermarks written before the whole prefix was hashed (first MiB only) do not match for bigger files:
    those are read again from the start once and de-duplication drops what is stored."""
    if mark is None or path.stat().st_size < mark.offset:
        return None
    return mark if digest.at(mark.offset) == mark.prefix_sha else None
