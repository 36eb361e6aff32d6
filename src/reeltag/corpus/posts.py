"""Read posts from JSONL, CSV or plain text, streaming, from a byte offset (pure stdlib + tag rules).

Every line becomes a :class:`Post`, a :class:`Rejected` (bad row, with the reason; it goes to quarantine)
or nothing (a post without hashtags, counted as skipped). Files are read line by line from a watermark
offset, so a big file is never held in memory and a grown file is read only from where the last run stopped.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Literal

from reeltag.corpus.tags import TagRules, extract_hashtags, normalise_tags, repair_text, split_tag_field
from reeltag.errors import BadInput
from reeltag.io import parse_json_line, sha256_text

Format = Literal["jsonl", "csv", "txt"]
TEXT_COLUMNS = ("text", "tweet", "content", "caption")
MAX_LINE_CHARS = 100_000  # longer lines are not posts (a 10 MB line of tags would stall tag normalisation)
MAX_LINE_BYTES = 4 * MAX_LINE_CHARS + 2  # more bytes than this are more than MAX_LINE_CHARS characters in any UTF-8
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, kw_only=True)
class Line:
    number: int  # 1-based line number in the file
    end: int  # byte offset just after this line
    text: str | None  # None when the bytes are not valid UTF-8 (or the line is overlong)
    overlong: int = 0  # bytes of a line over MAX_LINE_BYTES (not read into memory; its text is None), else 0


@dataclass(frozen=True, kw_only=True)
class RawPost:
    location: str  # "file:line"
    id: Any
    created_at: Any
    text: Any
    hashtags: Any
    derived_id: bool = False  # plain text has no id: "<source>:<file>:<line>" is used


@dataclass(frozen=True, kw_only=True)
class Post:
    id: str
    created_at: str | None  # ISO-8601 UTC or None when the source has no time
    source: str
    raw_tags: tuple[str, ...]
    tags: tuple[str, ...]
    content_hash: str
    location: str


@dataclass(frozen=True)
class Rejected:
    location: str
    reason: str


def detect_format(path: Path, fmt: str = "auto") -> Format:
    """``auto`` picks by extension (.jsonl/.json/.ndjson, .csv/.tsv, anything else: plain text)."""
    if fmt != "auto":
        if fmt not in ("jsonl", "csv", "txt"):
            raise ValueError(f"unknown format {fmt!r}: use auto, jsonl, csv or txt")
        return fmt  # type: ignore[return-value]
    suffix = path.suffix.lower()
    return "jsonl" if suffix in (".jsonl", ".json", ".ndjson") else "csv" if suffix in (".csv", ".tsv") else "txt"


def iter_lines(path: Path, start: int = 0, first_line: int = 1) -> Iterator[Line]:
    """Lines from byte offset ``start``; undecodable lines come back with ``text=None``. At most MAX_LINE_BYTES
    of a line are held in memory (a 100 MB line was read whole before its length was checked)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        offset, number = start, first_line
        while raw := fh.readline(MAX_LINE_BYTES):
            rest = _skip_rest_of_line(fh) if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n") else 0
            offset += len(raw) + rest
            yield (
                Line(number=number, end=offset, text=None, overlong=len(raw) + rest)
                if rest
                else Line(number=number, end=offset, text=_decode(raw))
            )
            number += 1


def _skip_rest_of_line(fh: BinaryIO) -> int:
    """Read past the rest of an overlong line, a MiB at a time; how many bytes were skipped."""
    skipped = 0
    while chunk := fh.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None


def read_header(path: Path) -> list[str]:
    """The CSV header (first line)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        try:
            return next(csv.reader(fh), [])
        except csv.Error as exc:  # e.g. a first line over csv's 128 KiB field limit: not a header
            raise BadInput(f"{path}:1: unreadable CSV header ({exc})") from None


def iter_raw(
    path: Path, fmt: Format, lines: Iterator[Line], header: list[str] | None = None
) -> Iterator[tuple[Line, RawPost | Rejected | None]]:
    """Raw rows of one file (the CSV header line itself yields ``None``)."""
    for line in lines:
        where = f"{path.name}:{line.number}"
        if line.overlong:
            yield line, Rejected(where, f"line of {line.overlong:,} bytes (a post has at most {MAX_LINE_CHARS:,} characters)")
        elif line.text is None:
            yield line, Rejected(where, "invalid UTF-8 bytes")
        elif len(line.text) > MAX_LINE_CHARS:
            yield line, Rejected(where, f"line of {len(line.text):,} characters (a post has at most {MAX_LINE_CHARS:,})")
        elif not line.text.strip() or (fmt == "csv" and line.number == 1):
            yield line, None
        else:
            yield line, _parse_line(fmt, line.text, where, header or [])


def _parse_line(fmt: Format, text: str, where: str, header: list[str]) -> RawPost | Rejected:
    if fmt == "txt":
        return RawPost(location=where, id=where, created_at=None, text=text, hashtags=None, derived_id=True)
    if fmt == "csv":
        return _parse_csv(text, where, header)
    obj, problem = parse_json_line(text)
    if problem:
        return Rejected(where, problem)
    if not isinstance(obj, dict):
        return Rejected(where, "not a JSON object")
    return RawPost(
        location=where, id=obj.get("id"), created_at=obj.get("created_at"), text=obj.get("text"), hashtags=obj.get("hashtags")
    )


def _parse_csv(text: str, where: str, header: list[str]) -> RawPost | Rejected:
    row = next(csv.reader([text]), [])
    if len(row) != len(header):
        return Rejected(where, f"CSV row has {len(row)} fields, header has {len(header)}")
    record = dict(zip(header, row))
    body = next((record[c] for c in TEXT_COLUMNS if c in record), None)
    return RawPost(
        location=where,
        id=record.get("id") or None,
        created_at=record.get("created_at") or None,
        text=body,
        hashtags=record.get("hashtags") or None,
    )


def parse_time(value: Any) -> str | None:
    """ISO-8601 → UTC ISO string; ``None`` stays ``None``; anything unparseable raises ValueError."""
    if value is None or value == "":
        return None
    when = datetime.fromisoformat(str(value).strip())
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_post(raw: RawPost, source: str, rules: TagRules, max_tags: int, rejected_tags: Counter[str]) -> Post | Rejected | None:
    """Check one raw row and normalise its tags; ``None`` when it simply carries no hashtag."""
    problem = _problem(raw)
    if problem:
        return Rejected(raw.location, problem)
    try:
        created = parse_time(raw.created_at)
    except (ValueError, TypeError):
        return Rejected(raw.location, f"unparseable created_at {str(raw.created_at)[:40]!r}")
    text = repair_text(raw.text or "")
    raw_tags = split_tag_field(raw.hashtags) if raw.hashtags else extract_hashtags(text)
    if not raw_tags:
        return None
    tags, reasons = normalise_tags(raw_tags, rules, max_tags)
    rejected_tags.update(reasons)
    pid = f"{source}:{raw.id}" if raw.derived_id else str(raw.id)
    return Post(
        id=pid,
        created_at=created,
        source=source,
        raw_tags=tuple(raw_tags),
        tags=tuple(tags),
        content_hash=content_hash(text, tags, rules),
        location=raw.location,
    )


def _problem(raw: RawPost) -> str:
    if raw.id is None or str(raw.id).strip() == "":
        return "missing id"
    if isinstance(raw.id, bool) or not isinstance(raw.id, (str, int)):
        return f"id is a {type(raw.id).__name__}, not a string or integer"
    if raw.hashtags is not None and not isinstance(raw.hashtags, (str, list)):
        return f"hashtags is a {type(raw.hashtags).__name__}, not a string or list"
    if raw.text is not None and not isinstance(raw.text, str):
        return f"text is a {type(raw.text).__name__}, not a string"
    if not (raw.text or "").strip() and not raw.hashtags:
        return "empty post: no text and no hashtags"
    return ""


def content_hash(text: str, tags: list[str], rules: TagRules) -> str:
    """Hash of the post's words (minus stop-tags, punctuation, emoji, case) and its sorted tags.

    Near-duplicates (same tags, a ``!`` or ``(repost)`` added) share it.
    """
    words = [w for w in _WORDS.findall(text.lower()) if w not in rules.stop_tags]
    return sha256_text(" ".join(words) + "|" + " ".join(sorted(tags)))[:20]
