"""What an online experiment shows one request (pure): the window, the user's variant, or a team-draft
interleaving of the engine's and the champion's rankings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reeltag.ab.online import assign, coin_flips, team_draft
from reeltag.config import AbOnlineSection

INTERLEAVED = "interleaved"
SIMULATED_PREFIX = "sim-"  # user ids of simulated users (demo and tests); their requests are labelled simulated


@dataclass(frozen=True, kw_only=True)
class Arranged:
    variant: str  # engine, champion, or interleaved
    docids: tuple[str, ...]
    teams: tuple[str, ...] | None


def utc(moment: datetime) -> datetime:
    """A naive datetime read as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def in_window(cfg: AbOnlineSection, moment: datetime) -> bool:
    moment = utc(moment)
    return (cfg.start is None or utc(cfg.start) <= moment) and (cfg.end is None or moment <= utc(cfg.end))


def running(cfg: AbOnlineSection, now: datetime) -> bool:
    return bool(cfg.name) and in_window(cfg, now)


def salt_of(cfg: AbOnlineSection) -> str:
    return cfg.salt or cfg.name


def arrange(cfg: AbOnlineSection, user: str, request_id: str, engine: Sequence[str], champion: Sequence[str]) -> Arranged:
    """``split``: the ranking of the user's variant; ``interleave``: team-draft of both (coins seeded by the request)."""
    if cfg.method == "split":
        variant = assign(salt_of(cfg), user, cfg.variants)
        return Arranged(variant=variant, docids=tuple(engine if variant == "engine" else champion), teams=None)
    mixed = team_draft(("engine", engine), ("champion", champion), coin_flips(salt_of(cfg), request_id))
    return Arranged(variant=INTERLEAVED, docids=mixed.docids, teams=mixed.teams)
