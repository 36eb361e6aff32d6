"""Turn command-line inputs (video files, folders, manifests) into a list of videos (pure stdlib).

* a folder: every file below it whose suffix is a video suffix (other files are listed as skipped); a symlink that
  leads out of the folder is refused unless ``allow_absolute``;
* a manifest: ``.csv``/``.tsv`` with a ``path`` (or ``video``/``file``) column and optional ``docid``/``id``,
  or ``.jsonl`` with the same keys; relative paths are resolved against the manifest's folder and must stay
  under it; absolute paths only when ``allow_absolute`` (off by default);
* any other file: a video (a text file given here is then quarantined as "not a video" by the reader).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reeltag.io import parse_json_line
from reeltag.security import resolve_path
from reeltag.textfiles import csv_dict_rows, read_utf8

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".webm", ".mkv", ".avi", ".mov", ".mpg", ".mpeg", ".ts", ".flv", ".wmv"})
MANIFEST_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl"})
PATH_KEYS, ID_KEYS = ("path", "video", "file"), ("docid", "id")


@dataclass(frozen=True)
class VideoInput:
    path: Path
    docid: str | None = None
    source: str = ""  # the manifest line or folder it came from


@dataclass(frozen=True)
class Rejected:
    item: str
    reason: str


@dataclass(frozen=True)
class ResolvedInputs:
    videos: tuple[VideoInput, ...]
    rejected: tuple[Rejected, ...]
    skipped: tuple[str, ...]  # non-video files inside given folders


def resolve_inputs(inputs: Iterable[str | Path], allow_absolute: bool = False) -> ResolvedInputs:
    """Videos named by ``inputs`` in order, each path once."""
    videos: list[VideoInput] = []
    rejected: list[Rejected] = []
    skipped: list[str] = []
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            found, others = _scan_folder(path)
            _keep_contained(path, found, allow_absolute, videos, rejected)
            skipped.extend(others)
        elif path.suffix.lower() in MANIFEST_SUFFIXES:
            _read_manifest(path, allow_absolute, videos, rejected)
        else:
            videos.append(VideoInput(resolve_path(path), None, str(path)))
    return ResolvedInputs(tuple(_unique(videos)), tuple(rejected), tuple(skipped))


def _unique(videos: list[VideoInput]) -> Iterator[VideoInput]:
    seen: set[Path] = set()
    for video in videos:
        if video.path not in seen:
            seen.add(video.path)
            yield video


def _scan_folder(folder: Path) -> tuple[list[VideoInput], list[str]]:
    files = sorted(p for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and not p.name.startswith("."))
    videos = [VideoInput(resolve_path(p), None, str(folder)) for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    return videos, [str(p) for p in files if p.suffix.lower() not in VIDEO_SUFFIXES]


def _keep_contained(
    folder: Path, found: list[VideoInput], allow_absolute: bool, videos: list[VideoInput], rejected: list[Rejected]
) -> None:
    """A folder scan follows the manifests' rule: a symlink out of the folder counts as an absolute path."""
    base = resolve_path(folder)
    for video in found:
        if allow_absolute or video.path.is_relative_to(base):
            videos.append(video)
        else:
            rejected.append(
                Rejected(str(video.path), f"a link in {folder} leads out of it (paths.allow_absolute_manifest_paths)")
            )


def _read_manifest(manifest: Path, allow_absolute: bool, videos: list[VideoInput], rejected: list[Rejected]) -> None:
    if not manifest.is_file():
        rejected.append(Rejected(str(manifest), "manifest not found"))
        return
    for line_no, row in manifest_rows(manifest):
        item = f"{manifest}:{line_no}"
        value = next((str(row[k]).strip() for k in PATH_KEYS if row.get(k)), "")
        docid = next((str(row[k]).strip() for k in ID_KEYS if row.get(k)), None)
        if not value:
            rejected.append(Rejected(item, f"no video path (expected a column {' or '.join(PATH_KEYS)})"))
            continue
        path, reason = manifest_path(manifest.parent, value, allow_absolute)
        if reason:
            rejected.append(Rejected(item, reason))
        else:
            videos.append(VideoInput(path, docid, item))


def manifest_rows(manifest: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """(line number, row with lower-case keys) of a CSV, TSV or JSONL file; bad JSON lines give ``{}``."""
    text = read_utf8(manifest)
    if manifest.suffix.lower() == ".jsonl":
        for line_no, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield line_no, _json_row(line)
        return
    delimiter = "\t" if manifest.suffix.lower() == ".tsv" else ","
    for line_no, row in csv_dict_rows(csv.DictReader(text.splitlines(), delimiter=delimiter), manifest):
        yield line_no, {str(k).strip().lower(): v for k, v in row.items() if k is not None}


def _json_row(line: str) -> dict[str, object]:
    row, _ = parse_json_line(line)
    return row if isinstance(row, dict) else {}


def manifest_path(base: Path, value: str, allow_absolute: bool) -> tuple[Path, str]:
    """``value`` resolved against ``base``, and why it is not allowed ("" when it is)."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return resolve_path(
            path
        ), "" if allow_absolute else "absolute paths are not allowed (paths.allow_absolute_manifest_paths)"
    resolved = resolve_path(base / path)
    if not resolved.is_relative_to(resolve_path(base)):
        return resolved, f"relative path {value!r} escapes the manifest's folder"
    return resolved, ""


def sniff_container(head: bytes) -> str | None:
    """The video container suffix the first bytes of a file announce (``.mp4``, ``.mkv``, …), or None.

    Cheap magic-number check for uploads; a file that passes can still fail to decode (then it is quarantined).
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return ".mp4"  # ISO base media: mp4, m4v, mov, 3gp
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".mkv"  # Matroska / WebM
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return ".avi"
    if head[:3] == b"FLV":
        return ".flv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return ".mpg"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return ".ts"
    return None
