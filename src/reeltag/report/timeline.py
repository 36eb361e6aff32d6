"""The serving timeline of the go/no-go report: which version of the reranker and of the mapper served under each
serving alias (``champion``, ``challenger``) from when until when, read from the registry's append-only alias
history (:mod:`reeltag.registry.history`), so "what served on day D" has an answer MLflow's aliases alone cannot
give (they hold only the current version)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reeltag.registry.history import read_history

if TYPE_CHECKING:
    from reeltag.project import Project

SERVED_MODELS = ("reranker", "mapper")
SERVING_ALIASES = ("champion", "challenger")


@dataclass(frozen=True, kw_only=True)
class Served:
    """One stretch of a serving alias: ``version`` held it from ``since`` until ``until`` (None: it still does)."""

    model: str  # tag2vec, mapper, reranker, … (not the registered name)
    alias: str
    version: str | None  # None: the alias was removed (nothing served under it)
    previous: str | None
    since: str  # UTC ISO 8601, as recorded
    until: str | None
    action: str  # gate | manual | rollback
    by: str
    reason: str
    seq: int  # the history's row number (the order the aliases moved)


def serving_timeline(project: Project, models: tuple[str, ...] = SERVED_MODELS) -> tuple[Served, ...]:
    """Per model, each serving alias's stretches in the order they began (oldest first)."""
    out: list[Served] = []
    for model in models:
        moves = [m for m in read_history(project, model) if m.alias in SERVING_ALIASES]
        for i, m in enumerate(moves):
            later = next((n.at for n in moves[i + 1 :] if n.alias == m.alias), None)
            out.append(
                Served(
                    model=model,
                    alias=m.alias,
                    version=m.version,
                    previous=m.previous,
                    since=m.at,
                    until=later,
                    action=m.action,
                    by=m.by,
                    reason=m.reason,
                    seq=m.seq,
                )
            )
    return tuple(out)
