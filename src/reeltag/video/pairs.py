"""(video, text) pairs for encoder adaptation (pure stdlib).

Accepted ``--pairs`` files (CSV, TSV or JSONL; video paths relative to the file's folder):

* the demo's ``segments.jsonl``: ``video, start_s, end_s, caption`` -- frames are sampled inside the segment;
* simple pairs: ``video`` (or ``path``) and ``text`` (or ``caption``, or ``tags`` such as ``#sunset #sky``,
  turned into ``sunset sky``), optional ``start_s``/``end_s``.

Rows without a video or a text, with bad times, or with a path that escapes the folder are returned as
rejected with the reason (the caller quarantines them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reeltag.video.inputs import PATH_KEYS, Rejected, manifest_path, manifest_rows

TEXT_KEYS = ("text", "caption", "tags")


@dataclass(frozen=True, kw_only=True)
class Pair:
    video: Path
    text: str
    start_s: float | None = None
    end_s: float | None = None

    @property
    def window(self) -> tuple[float, float] | None:
        return None if self.start_s is None or self.end_s is None else (self.start_s, self.end_s)


@dataclass(frozen=True)
class PairSet:
    pairs: tuple[Pair, ...]
    rejected: tuple[Rejected, ...]


def read_pairs(path: str | Path, allow_absolute: bool = False) -> PairSet:
    """Pairs of a CSV/TSV/JSONL file; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pairs file not found: {path}")
    pairs: list[Pair] = []
    rejected: list[Rejected] = []
    for line_no, row in manifest_rows(path):
        found = _pair(path.parent, row, allow_absolute)
        if isinstance(found, Pair):
            pairs.append(found)
        else:
            rejected.append(Rejected(f"{path}:{line_no}", found))
    return PairSet(tuple(pairs), tuple(rejected))


def _pair(base: Path, row: dict[str, object], allow_absolute: bool) -> Pair | str:
    video = next((str(row[k]).strip() for k in PATH_KEYS if row.get(k)), "")
    key = next((k for k in TEXT_KEYS if str(row.get(k) or "").strip()), "")
    if not video or not key:
        return "needs a video path and a text (text, caption or tags)"
    path, reason = manifest_path(base, video, allow_absolute)
    if reason:
        return reason
    text = str(row[key]).strip()
    text = " ".join(t.lstrip("#") for t in text.replace(",", " ").split()) if key == "tags" else text
    return _timed(path, text, row.get("start_s"), row.get("end_s"))


def _timed(path: Path, text: str, start: object, end: object) -> Pair | str:
    if start in (None, "") and end in (None, ""):
        return Pair(video=path, text=text)
    try:
        start_s, end_s = float(str(start)), float(str(end))
    except ValueError:
        return f"bad start_s/end_s: {start!r}, {end!r}"
    if not 0.0 <= start_s < end_s:
        return f"bad segment times: start_s={start_s} end_s={end_s}"
    return Pair(video=path, text=text, start_s=start_s, end_s=end_s)


def split_by_video(pairs: Sequence[Pair], holdout: float) -> tuple[tuple[Pair, ...], tuple[Pair, ...]]:
    """(train, held-out): whole videos go to one side, chosen by a hash of their file name (stable).

    At least one video is held out when ``holdout`` > 0 and there are two or more videos.
    """
    videos = sorted({p.video.name for p in pairs}, key=_rank)
    n_out = min(len(videos) - 1, max(1, round(holdout * len(videos)))) if holdout > 0 else 0
    held = set(videos[:n_out])
    return tuple(p for p in pairs if p.video.name not in held), tuple(p for p in pairs if p.video.name in held)


def _rank(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()
