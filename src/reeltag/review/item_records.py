"""The review store's records (items, suggestions' scorings, picks, events) and the reads that build them.

Pure reads inside a caller's connection; every write lives in :mod:`reeltag.review.store`, the one writer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reeltag.errors import NotFound

ITEM_COLUMNS = (
    "id, queue, video, video_sha256, split, added_at, control, margin, codec, playable, strip, mapper_version, "
    "tag2vec_version, encoder_id, encoder_weights, status, leased_by, lease_until, fusion_version"
)


@dataclass(frozen=True, kw_only=True)
class NewItem:
    """A video to enqueue with the champion's suggestions, best first: ``(tag, score)``."""

    video: str
    video_sha256: str
    split: str
    control: bool
    suggestions: tuple[tuple[str, float], ...]
    codec: str
    playable: bool
    strip: str | None
    mapper_version: str
    tag2vec_version: str
    encoder_id: str
    encoder_weights: str
    feature: tuple[float, ...] = ()  # the video's pooled CLIP feature: the 'diverse' and 'gain' orders' space
    fusion_version: str = ""  # the fusion that ranked the suggestions; "" = the mapper alone

    @property
    def scores(self) -> Scores:
        return Scores(
            suggestions=self.suggestions,
            mapper_version=self.mapper_version,
            tag2vec_version=self.tag2vec_version,
            fusion_version=self.fusion_version,
        )

    @property
    def margin(self) -> float:
        return self.scores.margin


@dataclass(frozen=True, kw_only=True)
class Scores:
    """One model's suggestions for an item, best first: ``(tag, score)``, and the versions they came from."""

    suggestions: tuple[tuple[str, float], ...]
    mapper_version: str | None
    tag2vec_version: str | None
    fusion_version: str | None = ""  # the fusion that ranked them; "" = the mapper alone, None = not recorded (older store)

    @property
    def versions(self) -> tuple[str | None, str | None, str | None]:
        """(mapper, Tag2Vec, fusion): an item is stale when these are not the champions'."""
        return (self.mapper_version, self.tag2vec_version, self.fusion_version)

    @property
    def margin(self) -> float:
        """Top-score margin (score 1 − score 2): small means the model is unsure."""
        scores = [s for _, s in self.suggestions]
        return scores[0] - scores[1] if len(scores) > 1 else (scores[0] if scores else 0.0)


@dataclass(frozen=True, kw_only=True)
class Scoring:
    """A row of the item's suggestion history: what a model version suggested and when."""

    id: int
    item_id: int
    scores: Scores
    at: float


@dataclass(frozen=True, kw_only=True)
class Pick:
    """Why an item was handed to a reviewer (``uncertain``, ``new region``, ``random``, ``newest``) and the mapper
    version whose suggestions they were shown."""

    item_id: int
    reviewer: str
    reason: str
    mapper_version: str | None
    at: float


@dataclass(frozen=True, kw_only=True)
class Item:
    id: int
    queue: str
    video: str
    video_sha256: str
    split: str
    added_at: float
    control: bool
    margin: float
    codec: str
    playable: bool
    strip: str | None
    mapper_version: str | None
    tag2vec_version: str | None
    encoder_id: str | None
    encoder_weights: str | None
    status: str
    leased_by: str | None
    lease_until: float | None
    fusion_version: str | None = ""  # None: scored before the store recorded it

    @property
    def versions(self) -> tuple[str | None, str | None, str | None]:
        return (self.mapper_version, self.tag2vec_version, self.fusion_version)


@dataclass(frozen=True, kw_only=True)
class Event:
    id: int
    item_id: int
    reviewer: str
    kind: str  # accept | reject | add | undo | submit
    tag: str | None
    rank: int | None
    seconds: float | None
    undoes: int | None
    simulated: bool
    at: float


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    kind: str
    tag: str | None = None
    rank: int | None = None
    seconds: float | None = None
    undoes: int | None = None
    simulated: bool = False


def read_events(con: sqlite3.Connection, where: str, args: Sequence[object]) -> tuple[Event, ...]:
    rows = con.execute(
        f"SELECT id, item_id, reviewer, kind, tag, rank, seconds, undoes, simulated, at FROM events WHERE {where} ORDER BY id",
        tuple(args),
    ).fetchall()
    return tuple(_event(r) for r in rows)


def read_item(con: sqlite3.Connection, item_id: int, queue: str | None) -> Item:
    row = con.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None or (queue is not None and row[1] != queue):
        raise NotFound(f"item {item_id} is not in queue {queue!r}" if queue else f"no review item {item_id}")
    return to_item(row)


def to_item(row: Sequence[Any]) -> Item:  # a row of ITEM_COLUMNS: SQLite hands back untyped values
    (id_, queue, video, sha, split, added, control, margin, codec, playable, strip, mv, tv, eid, ew, status, by, until, fv) = row
    return Item(
        id=int(id_),
        queue=str(queue),
        video=str(video),
        video_sha256=str(sha),
        split=str(split),
        added_at=float(added),
        control=bool(control),
        margin=float(margin),
        codec=str(codec),
        playable=bool(playable),
        strip=strip,
        mapper_version=mv,
        tag2vec_version=tv,
        encoder_id=eid,
        encoder_weights=ew,
        status=str(status),
        leased_by=by,
        lease_until=until,
        fusion_version=fv,
    )


def _event(row: Sequence[Any]) -> Event:
    id_, item_id, reviewer, kind, tag, rank, seconds, undoes, simulated, at = row
    return Event(
        id=int(id_),
        item_id=int(item_id),
        reviewer=str(reviewer),
        kind=str(kind),
        tag=tag,
        rank=rank,
        seconds=seconds,
        undoes=undoes,
        simulated=bool(simulated),
        at=float(at),
    )


def read_picks(con: sqlite3.Connection, item_id: int) -> tuple[Pick, ...]:
    rows = con.execute(
        "SELECT item_id, reviewer, reason, mapper_version, at FROM picks WHERE item_id = ? ORDER BY id", (item_id,)
    ).fetchall()
    return tuple(Pick(item_id=int(i), reviewer=str(r), reason=str(w), mapper_version=v, at=float(a)) for i, r, w, v, a in rows)


def read_scorings(con: sqlite3.Connection, item_id: int) -> tuple[Scoring, ...]:
    rows = con.execute(
        "SELECT id, item_id, mapper_version, tag2vec_version, fusion_version, suggestions, at FROM scorings "
        "WHERE item_id = ? ORDER BY id",
        (item_id,),
    ).fetchall()
    return tuple(
        Scoring(
            id=int(id_),
            item_id=int(item),
            scores=Scores(
                suggestions=tuple((str(t), float(x)) for t, x in json.loads(sugg)),
                mapper_version=mv,
                tag2vec_version=tv,
                fusion_version=fv,
            ),
            at=float(at),
        )
        for id_, item, mv, tv, fv, sugg, at in rows
    )
