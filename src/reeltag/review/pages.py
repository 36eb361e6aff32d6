"""Server-rendered review pages (Jinja2, autoescaped): the page, the item panel, tag options, errors.

Every user string reaches the HTML through Jinja's autoescaping; nothing is marked safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from reeltag.review.state import ItemState, fold
from reeltag.review.store import Item, ReviewStore


@dataclass(frozen=True, kw_only=True)
class Panel:
    """What the item panel shows."""

    item: Item | None
    chips: tuple[tuple[int, str, float, str], ...]  # (rank, tag, score, state)
    added: tuple[str, ...]
    done: int
    left: int
    queue: str
    reviewer: str
    message: str = ""
    reason: str = ""  # why the item was picked (the latest pick: uncertain, new region, random, newest)
    shown_version: str | None = None  # the mapper version whose suggestions are shown


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("reeltag.review", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def build_panel(store: ReviewStore, item: Item | None, queue: str, reviewer: str, message: str = "") -> Panel:
    """The panel of ``item`` (None: the queue is done) with its chips' states and the queue's progress."""
    done, left = store.progress(queue)
    if item is None:
        return Panel(item=None, chips=(), added=(), done=done, left=left, queue=queue, reviewer=reviewer, message=message)
    state = fold(store.events(item.id))
    suggestions = () if item.control else store.suggestions(item.id)
    picks = store.picks(item.id)
    return Panel(
        reason=picks[-1].reason if picks else "",
        shown_version=item.mapper_version,
        item=item,
        chips=_chips(suggestions, state),
        added=state.added,
        done=done,
        left=left,
        queue=queue,
        reviewer=reviewer,
        message=message,
    )


def _chips(suggestions: tuple[tuple[int, str, float], ...], state: ItemState) -> tuple[tuple[int, str, float, str], ...]:
    return tuple((rank, tag, score, state.chips.get(rank, "pending")) for rank, tag, score in suggestions)
