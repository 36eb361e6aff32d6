"""The always-valid look of an ``ab-online`` day (:mod:`reeltag.ab.sequential`) on the experiment's data accumulated
over its window: from ``[ab.online] start`` (else the experiment's first stored request) or, when later, the newest
move of a registry alias one of its arms serves (champion, challenger: the alias history), so a look always judges
the versions serving now, up to the end of the day. Split: the success delta (per-user ratio of means, delta-method
variance) by the normal-mixture SPRT with ``sequential_tau2``; interleaving: the treatment's win share by the
beta-binomial mixture with ``sequential_k``; both at ``sequential_alpha``. The look number is the day's index in
the window (1 = its first day)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from reeltag.ab.cuped import ratio_difference
from reeltag.ab.event_log import Log, first_served, read_log
from reeltag.ab.events import EventStore
from reeltag.ab.online_stats import WinShare, win_share
from reeltag.ab.sequential import AlwaysValid, normal_mixture, win_share_sequence
from reeltag.ab.serving import arms, utc
from reeltag.config import AbOnlineSection
from reeltag.project import Project
from reeltag.registry.history import read_history

MIN_USERS = 2  # per arm, for a split look's variance


@dataclass(frozen=True, kw_only=True)
class Look:
    """One day's always-valid look over the window [since, end of the day)."""

    metric: str  # success_delta (split: treatment − control) | win_share (interleave: the treatment's)
    look: int  # the day's index in the window: 1, 2, …
    since: str  # the window's start, UTC ISO 8601
    queries: int  # in the window
    estimate: float
    p_value: float  # always-valid p of "no difference" (a share of ½)
    ci_low: float  # the confidence sequence at this look
    ci_high: float
    alpha: float

    @property
    def null(self) -> float:
        return 0.5 if self.metric == "win_share" else 0.0


def success_by_user(log: Log) -> tuple[Counter[str], Counter[str]]:
    """Per user: queries with a success (a click or play at a position <= top) and queries."""
    num, den = Counter[str](), Counter[str]()
    for user, engaged in zip(log.users, log.counts.engaged_top):
        num[user] += int(engaged > 0)
        den[user] += 1
    return num, den


def interleaving_wins(log: Log, names: tuple[str, str]) -> WinShare:
    """A query is won by the team whose drafted results got more distinct clicks or plays (a tie: nobody's)."""
    if log.teams != names:
        raise ValueError(f"the log counts clicks for teams {log.teams}, not the experiment's arms {names}")
    control, treatment = log.team_clicks[:, 0], log.team_clicks[:, 1]
    wins, losses = int((treatment > control).sum()), int((control > treatment).sum())
    return win_share(wins, losses, len(log.users) - wins - losses)


def window_start(project: Project, store: EventStore, cfg: AbOnlineSection) -> float | None:
    """The window's start (epoch seconds), or None before the experiment's first request."""
    first = first_served(store, cfg.name)
    if first is None:
        return None
    moved = [_epoch(m.at) for m in read_history(project, "reranker") if m.alias in arms(cfg)]
    return max([first, *moved, *([utc(cfg.start).timestamp()] if cfg.start else [])])


def _epoch(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def look_of_day(project: Project, store: EventStore, day: date) -> Look | None:
    """The look of ``day`` (None: the window has not started by the end of it)."""
    cfg = project.settings.ab.online
    since, until = window_start(project, store, cfg), datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + 86_400
    if since is None or since >= until:
        return None
    log = read_log(store, cfg.name, since, until, cfg.top, teams=arms(cfg))
    number = (day - datetime.fromtimestamp(since, UTC).date()).days + 1
    found = _split_look(log, cfg, number) if cfg.method == "split" else _share_look(log, cfg, number)
    if found is None:
        return None
    return Look(
        metric="success_delta" if cfg.method == "split" else "win_share",
        since=datetime.fromtimestamp(since, UTC).isoformat(),
        queries=len(log.users),
        **{k: getattr(found, k) for k in ("look", "estimate", "p_value", "ci_low", "ci_high", "alpha")},
    )


def _split_look(log: Log, cfg: AbOnlineSection, number: int) -> AlwaysValid | None:
    num, den = success_by_user(log)
    first = dict(zip(log.users, log.variants))
    per_arm = [[u for u, v in first.items() if v == name] for name in arms(cfg)]
    if min(len(users) for users in per_arm) < MIN_USERS:
        return None
    control, treatment = ((np.array([num[u] for u in us], float), np.array([den[u] for u in us], float)) for us in per_arm)
    delta, variance = ratio_difference(control, treatment)
    return normal_mixture(delta, variance, tau2=cfg.sequential_tau2, alpha=cfg.sequential_alpha, look=number)


def _share_look(log: Log, cfg: AbOnlineSection, number: int) -> AlwaysValid:
    w = interleaving_wins(log, arms(cfg))
    return win_share_sequence(w.wins, w.losses, k=cfg.sequential_k, alpha=cfg.sequential_alpha, look=number)
