"""The text of each video named by a labels file or manifest: its ``title``, ``description`` and ``text``
columns, joined (pure stdlib; paths resolved like the manifest reader resolves them)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reeltag.video.inputs import (
    MANIFEST_SUFFIXES,
    PATH_KEYS,
    manifest_path,
    manifest_rows,
)

TEXT_KEYS = ("title", "description", "text")


def row_text(row: dict[str, object]) -> str:
    """The row's title, description and text (those present, non-empty), one per line."""
    return "\n".join(str(row[k]).strip() for k in TEXT_KEYS if isinstance(row.get(k), str) and str(row[k]).strip())


def table_texts(table: Path, allow_absolute: bool = True) -> dict[str, str]:
    """Resolved video path → text for every row of ``table`` that has both (others are left out)."""
    out: dict[str, str] = {}
    for _, row in manifest_rows(table):
        value = next((str(row[k]).strip() for k in PATH_KEYS if row.get(k)), "")
        text = row_text(row)
        path, reason = manifest_path(table.parent, value, allow_absolute) if value else (Path(), "no path")
        if text and not reason:
            out[str(path)] = text
    return out


def input_texts(inputs: Iterable[str | Path], allow_absolute: bool = True) -> dict[str, str]:
    """Texts of the videos in every manifest among ``inputs`` (files and folders carry none)."""
    out: dict[str, str] = {}
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            out.update(table_texts(path, allow_absolute))
    return out
