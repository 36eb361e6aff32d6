"""Online experiment serving, pure: salted-hash assignment of a user to a variant and team-draft interleaving
(Radlinski, Kurup & Joachims, CIKM 2008); the per-query credit of clicks to teams is counted in the event store's
SQL (``reeltag.ab.event_log.read_log``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SPACE = 2**64


def bucket(salt: str, user: str) -> float:
    """A uniform number in [0, 1) fixed by (salt, user): the same in every process and after restarts."""
    digest = hashlib.blake2b(f"{salt}\x00{user}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / HASH_SPACE


def assign(salt: str, user: str, shares: Mapping[str, float]) -> str:
    """The variant whose slice of [0, 1) (in the order given, sized by share) holds the user's bucket."""
    point, total, edge = bucket(salt, user), float(sum(shares.values())), 0.0
    for variant, share in shares.items():
        edge += share / total
        if point < edge:
            return variant
    return next(reversed(list(shares)))


@dataclass(frozen=True, kw_only=True)
class Interleaving:
    docids: tuple[str, ...]
    teams: tuple[str, ...]  # the team (variant name) each shown docid was drafted for


def coin_flips(salt: str, request_id: str) -> Iterable[bool]:
    """Reproducible coin flips for one request (True: team A picks first in that round)."""
    round_ = 0
    while True:
        yield bucket(f"{salt}\x00coin{round_}", request_id) < 0.5
        round_ += 1


def team_draft(a: tuple[str, Sequence[str]], b: tuple[str, Sequence[str]], coins: Iterable[bool]) -> Interleaving:
    """Team-draft interleaving of rankings a and b, given as (team name, docids): the team with fewer picks
    drafts next (a coin decides ties), taking its highest-ranked docid not yet shown; every docid of either
    ranking is shown once."""
    (name_a, rank_a), (name_b, rank_b) = a, b
    shown: dict[str, str] = {}
    picks = {name_a: 0, name_b: 0}
    flips = iter(coins)
    while True:
        left_a, left_b = _first_unshown(rank_a, shown), _first_unshown(rank_b, shown)
        if left_a is None and left_b is None:
            return Interleaving(docids=tuple(shown), teams=tuple(shown.values()))
        a_turn = picks[name_a] < picks[name_b] or (picks[name_a] == picks[name_b] and next(flips))
        team, docid = (name_a, left_a) if (a_turn and left_a is not None) or left_b is None else (name_b, left_b)
        shown[str(docid)] = team
        picks[team] += 1


def _first_unshown(ranking: Sequence[str], shown: Mapping[str, str]) -> str | None:
    return next((d for d in ranking if d not in shown), None)
