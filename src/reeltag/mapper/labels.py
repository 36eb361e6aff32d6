"""Company labels (pure): ``video`` (path), ``tags`` (space- or list-separated), optional ``split``.

CSV or JSONL. Tags are normalised by the caller's ``normalise`` function (the corpus rules: ``#Cat``,
``cat`` and ``#cat`` are one tag); a function returning ``None`` drops that tag. Rows that cannot be used
come back as :class:`BadRow` with the reason (for the quarantine); the good rows still load.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reeltag.errors import BadInput
from reeltag.io import parse_json_line
from reeltag.security import resolve_path
from reeltag.textfiles import csv_dict_rows, read_utf8

SPLITS = ("train", "val", "test")
_TAG_SEP = re.compile(r"[\s,;|]+")

Normalise = Callable[[str], str | None]


@dataclass(frozen=True, kw_only=True)
class LabelRow:
    """One labelled video: ``video`` resolved against the label file's folder, tags normalised (ordered, unique)."""

    video: Path
    tags: tuple[str, ...]
    split: str | None
    surface: tuple[str, ...] = ()  # the tags as written (first spelling of each normalised tag)


@dataclass(frozen=True)
class BadRow:
    item: str  # "<file>:<line>"
    reason: str


@dataclass(frozen=True)
class Unreadable:
    reason: str


@dataclass(frozen=True)
class Labels:
    source: Path
    rows: tuple[LabelRow, ...]
    bad: tuple[BadRow, ...]

    def split(self, name: str) -> tuple[LabelRow, ...]:
        return tuple(r for r in self.rows if r.split == name)


def read_labels(path: str | Path, normalise: Normalise, allow_absolute: bool = False) -> Labels:
    """Parse a labels file (``.jsonl``/``.json`` lines, else CSV); raises ``FileNotFoundError`` if it is missing."""
    path = Path(path)
    rows: list[LabelRow] = []
    bad: list[BadRow] = []
    for line, record in label_records(path):
        item = f"{path}:{line}"
        parsed = parse_record(record, path.parent, normalise, allow_absolute)
        (bad.append(BadRow(item, parsed)) if isinstance(parsed, str) else rows.append(parsed))
    return Labels(path, tuple(rows), tuple(bad))


def label_records(path: Path) -> list[tuple[int, Any]]:
    """``(line, record)`` pairs of a labels file; a record is a dict (or :class:`Unreadable`, or whatever a JSON line held)."""
    text = read_utf8(path)
    return list(_jsonl_records(text) if path.suffix.lower() in {".jsonl", ".json", ".ndjson"} else _csv_records(text, path))


def parse_record(record: Any, base: Path, normalise: Normalise, allow_absolute: bool = False) -> LabelRow | str:
    """A :class:`LabelRow`, or the reason (a string) why the record is unusable."""
    if not isinstance(record, dict):
        return record.reason if isinstance(record, Unreadable) else f"not a record: {str(record)[:80]!r}"
    video = record.get("video")
    if not isinstance(video, str) or not video.strip():
        return "missing 'video'"
    resolved = resolve_video(video.strip(), base, allow_absolute)
    if isinstance(resolved, str):
        return resolved
    split = _split(record.get("split"))
    if split is not None and split not in SPLITS:
        return f"unknown split {record.get('split')!r} (known: {', '.join(SPLITS)} or empty)"
    tags, surface = normalise_tags(split_tags(record.get("tags")), normalise)
    if not tags:
        return f"no usable tags after normalisation in {str(record.get('tags'))[:80]!r}"
    return LabelRow(video=resolved, tags=tags, split=split, surface=surface)


def resolve_video(video: str, base: Path, allow_absolute: bool = False) -> Path | str:
    """The video path; relative paths must stay under ``base`` (the label file's folder)."""
    path = Path(video)
    if path.is_absolute():
        return path if allow_absolute else f"absolute video path not allowed: {video}"
    full = resolve_path(base / path)
    if not full.is_relative_to(resolve_path(base)):
        return f"video path leaves the label folder: {video}"
    return full


def labelled_videos(labels: str | Path, allow_absolute: bool = False) -> list[str]:
    """The video files a labels (or pairs) file names, sorted, once each (refused entries keep the reason's text)."""
    base, out = Path(labels).parent, set()
    for _, record in label_records(Path(labels)):
        video = record.get("video") if isinstance(record, dict) else None
        if video:
            out.add(str(resolve_video(str(video), base, allow_absolute)))
    return sorted(out)


def count_test_videos(labels: str | Path) -> int:
    """Rows of the labels file in the 'test' split."""
    return sum(1 for _, r in label_records(Path(labels)) if isinstance(r, dict) and str(r.get("split", "")).strip() == "test")


def split_tags(value: Any) -> list[str]:
    """``"#a #b"``, ``"#a,#b"`` or ``["#a", "#b"]`` → ``["#a", "#b"]``."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [t for v in value if isinstance(v, str) for t in _TAG_SEP.split(v) if t]
    return [t for t in _TAG_SEP.split(str(value)) if t]


def normalise_tags(raw: Iterable[str], normalise: Normalise) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Normalised tags (first occurrence order, unique) and the spelling each was first written with."""
    keys: dict[str, str] = {}
    for tag in raw:
        key = normalise(tag)
        if key and key not in keys:
            keys[key] = tag.lstrip("#")
    return tuple(keys), tuple(keys.values())


def _split(value: Any) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    return text or None


def _csv_records(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"video", "tags"} - set(reader.fieldnames or ())
    if missing:
        raise BadInput(f"labels CSV lacks column(s) {sorted(missing)}; expected video,tags[,split]")
    yield from csv_dict_rows(reader, path)


def _jsonl_records(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record, problem = parse_json_line(line)
        yield number, Unreadable(problem) if problem else record


def assign_splits(
    rows: Iterable[LabelRow], seed: int, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> tuple[LabelRow, ...]:
    """Rows without a split get a seeded one (by a hash of the path, so it is stable across runs)."""
    out = []
    for row in rows:
        if row.split is not None:
            out.append(row)
            continue
        u = int(hashlib.sha256(f"{seed}:{row.video.name}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        split = "test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train"
        out.append(LabelRow(video=row.video, tags=row.tags, split=split, surface=row.surface))
    return tuple(out)


PROVENANCE_SUFFIX = ".provenance.json"  # beside a labels file that `review export` wrote


def labels_provenance(labels: str | Path, labels_sha256: str) -> dict[str, str]:
    """Run tags naming where labels came from: ``review`` (with the store's hash) when the provenance file beside
    them describes exactly this content, else ``file``."""
    side = Path(labels).with_name(Path(labels).name + PROVENANCE_SUFFIX)
    try:
        found = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"labels_source": "file"}
    if not isinstance(found, dict) or found.get("labels_sha256") != labels_sha256:
        return {"labels_source": "file"}
    return {"labels_source": str(found.get("labels_source", "file")), "review_db_hash": str(found.get("review_db_hash", ""))}
