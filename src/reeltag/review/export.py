"""Export decided review items as company labels (``video,tags,split``), atomically, with their provenance.

A decided item's tags are its accepted suggestions (by rank) and the tags the reviewer added. Beside the CSV,
``<labels>.provenance.json`` says the labels came from staff review and holds a content hash of the review
store; the mapper steps read it (:func:`reeltag.mapper.labels.labels_provenance`) and tag their runs ``reeltag.labels_source=review``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reeltag.io import sha256_json, sha256_text, write_json_atomic, write_text_atomic
from reeltag.mapper.labels import PROVENANCE_SUFFIX as SUFFIX
from reeltag.review.state import ItemState, states_by_item
from reeltag.review.store import Item, ReviewStore


@dataclass(frozen=True, kw_only=True)
class LabelsExport:
    out: str
    provenance: str
    rows: int  # decided items written (with at least one tag)
    without_tags: int  # decided items with no tag (not written: the labels contract would refuse them)
    pending: int
    review_db_hash: str
    labels_sha256: str


def label_rows(
    items: tuple[Item, ...], states: dict[int, ItemState], suggested: dict[int, dict[int, str]]
) -> list[tuple[Item, list[str]]]:
    """Each decided item with its tags: accepted suggestions by rank, then added tags, each once."""
    rows = []
    for item in items:
        state = states.get(item.id)
        if item.status == "decided" and state is not None and state.submitted:
            accepted = [suggested.get(item.id, {}).get(rank, "") for rank in state.accepted_ranks()]
            rows.append((item, list(dict.fromkeys(t for t in [*accepted, *state.added] if t))))
    return rows


def labels_csv(rows: list[tuple[Item, list[str]]], folder: Path) -> str:
    """The CSV text; a video under ``folder`` (the labels file's) is written relative to it, others absolute."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["video", "tags", "split"])
    for item, tags in rows:
        writer.writerow([_relative(Path(item.video), folder), " ".join(f"#{t}" for t in tags), item.split])
    return buf.getvalue()


def _relative(video: Path, folder: Path) -> str:
    base = folder.resolve()
    return video.relative_to(base).as_posix() if video.is_relative_to(base) else str(video)


def export_labels(store: ReviewStore, out: str | Path, queue: str | None = None) -> LabelsExport:
    """Write the labels CSV and its provenance file (each by rename: a reader never sees half a file)."""
    out = Path(out)
    items, events = store.require().items(queue), store.events()
    suggested = {i.id: {rank: tag for rank, tag, _ in store.suggestions(i.id)} for i in items}
    rows = label_rows(items, states_by_item(events), suggested)
    written = [(item, tags) for item, tags in rows if tags]
    text = labels_csv(written, out.parent)
    db_hash = sha256_json(
        [[e.id, e.item_id, e.reviewer, e.kind, e.tag, e.rank, e.seconds, e.undoes] for e in events]
        + [[i.id, i.video_sha256, i.queue] for i in items]
    )[:16]
    provenance = {
        "labels_source": "review",
        "review_db_hash": db_hash,
        "labels_sha256": sha256_text(text),
        "review_db": str(store.path),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    side = write_json_atomic(out.with_name(out.name + SUFFIX), provenance)
    write_text_atomic(out, text)
    pending = sum(i.status != "decided" for i in items)
    return LabelsExport(
        out=str(out),
        provenance=str(side),
        rows=len(written),
        without_tags=len(rows) - len(written),
        pending=pending,
        review_db_hash=db_hash,
        labels_sha256=provenance["labels_sha256"],
    )
