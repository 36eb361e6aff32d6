"""What an online experiment shows one request (pure): the window, the user's variant, or a team-draft
interleaving of the two arms' rankings (engine, champion or challenger: see :func:`arms`). ``salt`` is the
experiment's secret assignment salt (``[ab.online] salt``, or the one kept beside the event store): never the name,
which every answer carries, so a client cannot choose its arm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reeltag.ab.online import assign, coin_flips, team_draft
from reeltag.config import AbOnlineSection

INTERLEAVED = "interleaved"


@dataclass(frozen=True, kw_only=True)
class Arranged:
    variant: str  # engine, champion, challenger, or interleaved
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


def arms(cfg: AbOnlineSection) -> tuple[str, str]:
    """(control, treatment): the engine when it is a variant, else the champion, is the control."""
    control = "engine" if "engine" in cfg.variants else "champion"
    return control, next(v for v in cfg.variants if v != control)


def uses_challenger(cfg: AbOnlineSection) -> bool:
    """An experiment is configured and one of its variants is the registry's challenger."""
    return bool(cfg.name) and "challenger" in cfg.variants


def variant_of(cfg: AbOnlineSection, user: str, *, salt: str) -> str:
    """The user's variant (``split``), or ``interleaved``."""
    return assign(salt, user, cfg.variants) if cfg.method == "split" else INTERLEAVED


def rankings_needed(cfg: AbOnlineSection, user: str, *, salt: str) -> tuple[str, ...]:
    """The variants whose rankings :func:`arrange` needs for this user."""
    variant = variant_of(cfg, user, salt=salt)
    return arms(cfg) if variant == INTERLEAVED else (variant,)


def arrange(cfg: AbOnlineSection, user: str, request_id: str, rankings: Mapping[str, Sequence[str]], *, salt: str) -> Arranged:
    """``split``: the ranking of the user's variant; ``interleave``: team-draft of the two arms' rankings (coins
    seeded by the request); ``rankings`` holds (at least) the variants :func:`rankings_needed` names."""
    variant = variant_of(cfg, user, salt=salt)
    if variant != INTERLEAVED:
        return Arranged(variant=variant, docids=tuple(rankings[variant]), teams=None)
    a, b = arms(cfg)
    mixed = team_draft((a, rankings[a]), (b, rankings[b]), coin_flips(salt, request_id))
    return Arranged(variant=INTERLEAVED, docids=mixed.docids, teams=mixed.teams)
