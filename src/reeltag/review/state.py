"""What an item's events amount to (pure): the chips' states, added tags, whether and how fast it was submitted.

Events are folded in order; an ``undo`` event cancels the event it names (an action or a submission), so undo
never changes the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reeltag.review.store import Event

ACTIONS = ("accept", "reject", "add")
CHIP_STATE = {"accept": "accepted", "reject": "rejected"}


@dataclass(frozen=True, kw_only=True)
class ItemState:
    chips: Mapping[int, str]  # suggestion rank → accepted | rejected (absent: undecided)
    added: tuple[str, ...]  # tags the reviewer typed, in order
    submitted: bool
    seconds: float | None  # seconds on the item, from the live submission
    reviewer: str | None  # who submitted it
    simulated: bool
    last_action: int | None  # id of the newest live accept/reject/add event
    last_submit: int | None  # id of the live submission

    def accepted_ranks(self) -> tuple[int, ...]:
        return tuple(sorted(r for r, s in self.chips.items() if s == "accepted"))


def live_events(events: Sequence[Event]) -> tuple[Event, ...]:
    """The events no undo cancelled, undo events left out."""
    undone = {e.undoes for e in events if e.kind == "undo"}
    return tuple(e for e in events if e.kind != "undo" and e.id not in undone)


def fold(events: Sequence[Event]) -> ItemState:
    live = live_events(events)
    chips: dict[int, str] = {}
    added: list[str] = []
    for event in live:
        if event.kind in CHIP_STATE and event.rank is not None:
            chips[event.rank] = CHIP_STATE[event.kind]
        elif event.kind == "add" and event.tag and event.tag not in added:
            added.append(event.tag)
    actions = [e.id for e in live if e.kind in ACTIONS]
    submits = [e for e in live if e.kind == "submit"]
    last = submits[-1] if submits else None
    return ItemState(
        chips=chips,
        added=tuple(added),
        submitted=last is not None,
        seconds=last.seconds if last else None,
        reviewer=last.reviewer if last else None,
        simulated=bool(last and last.simulated),
        last_action=actions[-1] if actions else None,
        last_submit=last.id if last else None,
    )


def states_by_item(events: Sequence[Event]) -> dict[int, ItemState]:
    """Every item's state from the whole log."""
    grouped: dict[int, list[Event]] = {}
    for event in events:
        grouped.setdefault(event.item_id, []).append(event)
    return {item_id: fold(evs) for item_id, evs in grouped.items()}
