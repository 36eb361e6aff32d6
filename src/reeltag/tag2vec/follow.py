"""Step ``follow_trends``: on dated posts, a Tag2Vec model trained on the months before ``start``, then month by
month kept **frozen**, updated **incrementally** with each month's posts, **retrained** on everything so far,
retrained on a **recent** (recency-weighted) set, or retrained only when drift alarms (**drift**: trained as
``[tag2vec] retrain_mode`` says, full or recent, as the retrain a drift alarm of ``ingest-corpus`` starts; run when
:func:`reeltag.tag2vec.drift.check_drift` of the posts since its last training alarms, its baseline on the months
up to that training that were not in an alarmed batch). After each month
all five are scored on the next month's posts (:mod:`reeltag.tag2vec.following`).

The recent mode's setting (:data:`reeltag.tag2vec.recency.CANDIDATES`) is chosen on the first
``validation_months``; the comparison (means, paired bootstrap intervals, retrain counts) is over the months after.

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
from reeltag.corpus.tags import SurfaceForms, extract_hashtags, normalise_tags, repair_text
from reeltag.errors import BadInput
from reeltag.project import Project
from reeltag.tag2vec.drift import DriftCheck, check_drift, counts_of
from reeltag.tag2vec.following import (
    Difference,
    Estimate,
    PeriodScore,
    PostHits,
    mean_interval,
    paired_difference,
    period_score,
    post_hits,
)
from reeltag.tag2vec.recency import CANDIDATES, Recency, covered, weighted_posts
from reeltag.tag2vec.space import TagSpace

DATE_AT_END = re.compile(r"([A-Z][a-z]{2} \d{1,2}, \d{4})\s*$")
STRATEGIES = ("frozen", "incremental", "retrain", "recent", "drift")
RETRAINED = ("incremental", "retrain", "recent")  # updated every month
Months = dict[str, list[list[str]]]


@dataclass(frozen=True, kw_only=True)
class MonthScores:
    trained_through: str  # the last month the models have seen (YYYY-MM)
    scored_on: str  # the next month
    scores: dict[str, PeriodScore]  # per strategy
    drift_alarm: bool  # the drift mode retrained after this month
    drift: DriftCheck  # the posts since the drift model's training against its window (measures, baseline, reasons)


@dataclass(frozen=True, kw_only=True)
class TrendFollowing:
    start: str
    base_posts: int  # posts the frozen model was trained on (the months before the first compared one)
    k: int
    recency: str  # the recent mode's setting, chosen on the validation months
    drift_retrain: str  # what the drift mode trains on an alarm: "full" or "recent" ([tag2vec] retrain_mode)
    drift_baseline: str  # [drift] baseline: "calm" or "window"
    validation: dict[str, float]  # candidate setting → mean next-month hit@k over the validation months
    validation_months: tuple[str, ...]  # trained_through of the validation months
    months: tuple[MonthScores, ...]  # the compared (test) months
    mean_hit_at_k: dict[str, float]  # over the compared months
    mean_known_share: dict[str, float]
    retrains: dict[str, int]  # trainings over the compared months
    vs_frozen: dict[str, Difference]  # each strategy's mean hit@k minus frozen's, paired bootstrap over posts
    best: str  # the strategy with the highest mean hit@k among those retrained every month
    drift_vs_best: Difference  # drift-triggered's mean hit@k minus the best's, paired bootstrap over posts
    best_interval: Estimate  # the best mode's mean hit@k with its own 95 % interval (posts resampled)
    drift_in_best_interval: bool  # drift-triggered's mean hit@k within best_interval


@dataclass
class _Walk:
    """The models' state between months."""

    frozen: TagSpace
    incremental: object  # gensim Word2Vec, kept opaque outside the adapter
    inc_surface: SurfaceForms
    drift: TagSpace
    drift_months: list[str]  # the months the drift model was trained on
    alarmed: set[str]  # months whose posts were in a batch that alarmed (not calm: left out of the baseline)


def read_dated_posts(path: Path, project: Project) -> Months:
    """Month (YYYY-MM) → the normalised tags of each post with a tag; lines without a date are skipped."""
    rules, most = tag_rules(project.settings.corpus), project.settings.corpus.max_tags_per_post
    months: Months = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            found = DATE_AT_END.search(line)
            text = repair_text(line.rstrip("\n").split("\t")[-1])
            tags, _ = normalise_tags(extract_hashtags(text), rules, most)
            if found and tags:
                months[datetime.strptime(found.group(1), "%b %d, %Y").strftime("%Y-%m")].append(tags)
    return dict(months)


def follow_trends(project: Project, path: Path, start: str, end: str | None = None, validation_months: int = 2) -> TrendFollowing:
    """Train on the months before ``start``; after each month from ``start`` to ``end``, score the next month."""
    months = read_dated_posts(path, project)
    base = [m for m in sorted(months) if m < start]
    steps = [m for m in sorted(months) if m >= start and (end is None or m <= end)]
    if not base or len(steps) < validation_months + 2:
        raise BadInput(
            f"need posts before {start} and {validation_months} validation month(s) + 2 months from it; found {sorted(months)}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        fit = _Fitter(project, Path(tmp))
        validation = _validate(fit, months, steps[: validation_months + 1])
        chosen = next(c for c in CANDIDATES if c.name == max(validation, key=lambda n: (validation[n], n)))
        rows, hits = _walk(fit, months, steps[validation_months:], chosen)
    frozen_posts = sum(len(months[m]) for m in months if m < steps[validation_months])
    return _summary(project, start, frozen_posts, rows, hits, chosen, validation, steps[:validation_months])


class _Fitter:
    def __init__(self, project: Project, workdir: Path) -> None:
        self.cfg, self.k, self.workdir = project.settings.tag2vec, project.settings.tag2vec.eval_k, workdir
        self.drift_cfg = project.settings.drift

    def new(self, posts: Sequence[Sequence[str]]) -> TagSpace:
        from reeltag.tag2vec.train import to_space, train_new

        surface = SurfaceForms.fit(posts)
        return to_space(train_new([surface.sentence(s) for s in posts], self.cfg, self.workdir), surface)


def _validate(fit: _Fitter, months: Months, steps: Sequence[str]) -> dict[str, float]:
    scores: dict[str, list[float]] = {c.name: [] for c in CANDIDATES}
    for month, following in itertools.pairwise(steps):
        for c in CANDIDATES:
            space = fit.new(weighted_posts(months, month, c, fit.cfg.seed))
            scores[c.name].append(period_score(space, months[following], post_hits(space, months[following], fit.k)).hit_at_k)
    return {name: sum(v) / len(v) for name, v in scores.items()}


def _walk(
    fit: _Fitter, months: Months, steps: Sequence[str], chosen: Recency
) -> tuple[list[MonthScores], dict[str, list[PostHits]]]:
    from reeltag.tag2vec.train import to_space, train_more, train_new

    seen = [s for m in sorted(months) if m < steps[0] for s in months[m]]
    surface = SurfaceForms.fit(seen)
    frozen = to_space(train_new([surface.sentence(s) for s in seen], fit.cfg, fit.workdir), surface)
    incremental = train_new([surface.sentence(s) for s in seen], fit.cfg, fit.workdir)
    state = _Walk(
        frozen=frozen,
        incremental=incremental,
        inc_surface=surface,
        drift=frozen,
        drift_months=[m for m in sorted(months) if m < steps[0]],
        alarmed=set(),
    )
    rows: list[MonthScores] = []
    hits: dict[str, list[PostHits]] = {s: [] for s in STRATEGIES}
    for month, following in itertools.pairwise(steps):
        state.inc_surface = SurfaceForms.fit(months[month], keep=state.inc_surface)
        state.incremental = train_more(
            state.incremental, [state.inc_surface.sentence(s) for s in months[month]], fit.cfg, fit.workdir
        )
        recent = fit.new(weighted_posts(months, month, chosen, fit.cfg.seed))
        full = fit.new([s for m in sorted(months) if m <= month for s in months[m]])
        drift = _drift_step(fit, months, state, month, recent if fit.cfg.retrain_mode == "recent" else full, chosen)
        spaces = {
            "frozen": state.frozen,
            "incremental": to_space(state.incremental, state.inc_surface),
            "retrain": full,
            "recent": recent,
            "drift": state.drift,
        }
        found = {name: post_hits(space, months[following], fit.k) for name, space in spaces.items()}
        for name in STRATEGIES:
            hits[name].append(found[name])
        scores = {name: period_score(space, months[following], found[name]) for name, space in spaces.items()}
        rows.append(MonthScores(trained_through=month, scored_on=following, scores=scores, drift_alarm=drift.alarm, drift=drift))
    return rows, hits


def _drift_step(fit: _Fitter, months: Months, state: _Walk, month: str, retrained: TagSpace, chosen: Recency) -> DriftCheck:
    """Drift of the months since the drift model's training against its window, the baseline on the calm months up
    to that training (any not in an alarmed batch); on an alarm it becomes ``retrained`` (``retrain_mode``'s model)."""
    canon = state.drift.surface.sentence
    reference = [canon(s) for m in state.drift_months for s in months[m]]
    since = [m for m in sorted(months) if state.drift_months[-1] < m <= month]
    batch = [canon(s) for m in since for s in months[m]]
    calm = [canon(s) for m in sorted(months) if m <= state.drift_months[-1] and m not in state.alarmed for s in months[m]]
    # New tags: those under min_count in the window, the rule the baseline uses (a recent model's boost lets rarer
    # tags into its own vocabulary, which would make its batches look calmer than its baseline).
    vocabulary = frozenset(t for t, n in counts_of(reference).items() if n >= fit.cfg.min_count)
    check = check_drift(reference, batch, vocabulary=vocabulary, min_count=fit.cfg.min_count, cfg=fit.drift_cfg, calm=calm)
    if check.alarm:
        recent_mode = fit.cfg.retrain_mode == "recent"
        state.drift = retrained
        state.drift_months = covered(list(months), month, chosen) if recent_mode else [m for m in sorted(months) if m <= month]
        state.alarmed.update(since)
    return check


def _summary(
    project: Project,
    start: str,
    base_posts: int,
    rows: list[MonthScores],
    hits: dict[str, list[PostHits]],
    chosen: Recency,
    validation: dict[str, float],
    validation_months: Sequence[str],
) -> TrendFollowing:
    mean = lambda field: {s: sum(getattr(r.scores[s], field) for r in rows) / len(rows) for s in STRATEGIES}
    hit = mean("hit_at_k")
    best = max(RETRAINED, key=lambda s: (hit[s], s))
    interval, drift_vs_best = mean_interval(hits[best]), paired_difference(hits["drift"], hits[best])
    drift_mean = interval.mean + drift_vs_best.delta  # as the interval counts it: a month without queries is 0
    return TrendFollowing(
        start=start,
        base_posts=base_posts,
        k=project.settings.tag2vec.eval_k,
        recency=chosen.name,
        drift_retrain=project.settings.tag2vec.retrain_mode,
        drift_baseline=project.settings.drift.baseline,
        validation=validation,
        validation_months=tuple(validation_months),
        months=tuple(rows),
        mean_hit_at_k=hit,
        mean_known_share=mean("known_share"),
        retrains={"frozen": 0, **{s: len(rows) for s in RETRAINED}, "drift": sum(r.drift_alarm for r in rows)},
        vs_frozen={s: paired_difference(hits[s], hits["frozen"]) for s in STRATEGIES if s != "frozen"},
        best=best,
        drift_vs_best=drift_vs_best,
        best_interval=interval,
        drift_in_best_interval=interval.low <= drift_mean <= interval.high,
    )
