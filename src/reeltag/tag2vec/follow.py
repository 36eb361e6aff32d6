"""Step ``follow_trends``: on dated posts, a Tag2Vec model trained on the months before ``start``, then kept
**frozen**, updated **incrementally** with each month's posts, or **retrained** on everything so far; after each
month, all three are scored on the next month's posts (:mod:`reeltag.tag2vec.following`).

Posts are lines ``…<TAB>text`` ending in a date ``Mon D, YYYY`` (the astha 2013 tweets); tags are read from the
text and normalised like the corpus.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reeltag.corpus.steps import tag_rules
from reeltag.corpus.tags import (
    SurfaceForms,
    extract_hashtags,
    normalise_tags,
    repair_text,
)
from reeltag.errors import BadInput
from reeltag.project import Project
from reeltag.tag2vec.following import PeriodScore, next_period_score

DATE_AT_END = re.compile(r"([A-Z][a-z]{2} \d{1,2}, \d{4})\s*$")
STRATEGIES = ("frozen", "incremental", "retrain")


@dataclass(frozen=True, kw_only=True)
class MonthScores:
    trained_through: str  # the last month the models have seen (YYYY-MM)
    scored_on: str  # the next month
    scores: dict[str, PeriodScore]  # per strategy


@dataclass(frozen=True, kw_only=True)
class TrendFollowing:
    start: str
    base_posts: int
    months: tuple[MonthScores, ...]
    mean_hit_at_k: dict[str, float]
    mean_known_share: dict[str, float]
    k: int


def read_dated_posts(path: Path, project: Project) -> dict[str, list[list[str]]]:
    """Month (YYYY-MM) → the normalised tags of each post with a tag; lines without a date are skipped."""
    rules, most = tag_rules(project.settings.corpus), project.settings.corpus.max_tags_per_post
    months: dict[str, list[list[str]]] = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            found = DATE_AT_END.search(line)
            text = repair_text(line.rstrip("\n").split("\t")[-1])
            tags, _ = normalise_tags(extract_hashtags(text), rules, most)
            if found and tags:
                months[datetime.strptime(found.group(1), "%b %d, %Y").strftime("%Y-%m")].append(tags)
    return dict(months)


def follow_trends(project: Project, path: Path, start: str, end: str | None = None) -> TrendFollowing:
    """Train on the months before ``start``; after each month from ``start`` to ``end``, score the next month."""
    months = read_dated_posts(path, project)
    base = [s for m in sorted(months) if m < start for s in months[m]]
    steps = [m for m in sorted(months) if m >= start and (end is None or m <= end)]
    if not base or len(steps) < 2:
        raise BadInput(f"need posts before {start} and at least two months from it; found months {sorted(months)}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = _walk(project, base, months, steps, Path(tmp))
    k = project.settings.tag2vec.eval_k
    mean = lambda field: {s: sum(getattr(r.scores[s], field) for r in rows) / len(rows) for s in STRATEGIES}
    return TrendFollowing(
        start=start,
        base_posts=len(base),
        months=tuple(rows),
        mean_hit_at_k=mean("hit_at_k"),
        mean_known_share=mean("known_share"),
        k=k,
    )


def _walk(
    project: Project, base: list[list[str]], months: dict[str, list[list[str]]], steps: Sequence[str], workdir: Path
) -> list[MonthScores]:
    from reeltag.tag2vec.train import to_space, train_more, train_new

    cfg, k = project.settings.tag2vec, project.settings.tag2vec.eval_k
    surface = SurfaceForms.fit(base)
    frozen = to_space(train_new([surface.sentence(s) for s in base], cfg, workdir), surface)
    incremental, inc_surface, seen = train_new([surface.sentence(s) for s in base], cfg, workdir), surface, list(base)
    rows = []
    for month, following in itertools.pairwise(steps):
        seen += months[month]
        inc_surface = SurfaceForms.fit(months[month], keep=inc_surface)
        incremental = train_more(incremental, [inc_surface.sentence(s) for s in months[month]], cfg, workdir)
        full_surface = SurfaceForms.fit(seen)
        retrained = to_space(train_new([full_surface.sentence(s) for s in seen], cfg, workdir), full_surface)
        spaces = {"frozen": frozen, "incremental": to_space(incremental, inc_surface), "retrain": retrained}
        scores = {name: next_period_score(space, months[following], k) for name, space in spaces.items()}
        rows.append(MonthScores(trained_through=month, scored_on=following, scores=scores))
    return rows
