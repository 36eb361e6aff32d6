"""The quarantine: one JSONL file per kind under ``data/quarantine/``; each record says why.

Appends take a file lock, so two writers never interleave half lines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock


@dataclass(frozen=True, kw_only=True)
class QuarantineRecord:
    kind: str  # posts, videos, labels, search…
    item: str  # file path, post id or "file:line"
    reason: str
    source: str = ""


def quarantine_file(folder: Path, kind: str) -> Path:
    return folder / f"{kind}.jsonl"


def record(folder: Path, records: Iterable[QuarantineRecord]) -> int:
    """Append records (grouped by kind); returns how many were written."""
    by_kind: dict[str, list[QuarantineRecord]] = {}
    for rec in records:
        by_kind.setdefault(rec.kind, []).append(rec)
    for kind, items in by_kind.items():
        _append(quarantine_file(folder, kind), items)
    return sum(len(v) for v in by_kind.values())


def _append(path: Path, items: list[QuarantineRecord]) -> None:
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    append_jsonl(path, [{**_asdict(r), "at": stamp} for r in items])


def append_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append JSON lines under a file lock, all or nothing (also the API's feature queue)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    with FileLock(str(path) + ".lock", timeout=60):
        _append_whole(path, lines.encode("utf-8"))


def _append_whole(path: Path, data: bytes) -> None:
    """Append all of ``data`` or nothing: a failed write (a full disk) is cut back, so no torn line is left."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


def _asdict(rec: QuarantineRecord) -> dict[str, Any]:
    return {"kind": rec.kind, "item": rec.item, "reason": rec.reason, "source": rec.source}


def read(folder: Path, kind: str | None = None) -> list[dict[str, Any]]:
    """Every record (of one kind, or all kinds)."""
    files = [quarantine_file(folder, kind)] if kind else sorted(folder.glob("*.jsonl"))
    rows: list[dict[str, Any]] = []
    for path in files:
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            rows.extend(_parse(path, number, line) for number, line in enumerate(lines, 1) if line.strip())
    return rows


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    """One record; a torn or hand-edited line becomes a record saying so (it must not break the report)."""
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        row = None
    if isinstance(row, dict):
        return row
    return {
        "kind": path.stem,
        "item": f"{path.name}:{number}",
        "reason": "unreadable quarantine line (torn or edited)",
        "source": "",
    }


def counts(folder: Path) -> dict[str, int]:
    return {path.stem: len(read(folder, path.stem)) for path in sorted(folder.glob("*.jsonl"))}
