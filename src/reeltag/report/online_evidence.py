"""The report's "Online search success" evidence: the ``ab-online`` day runs of one experiment, read back from
MLflow ``reeltag/ab`` (a server-side tag query) and their ``result.json`` records, never from metric names.

The experiment is the configured ``[ab.online]`` one, else the newest experiment with a logged day. Each day
keeps its newest run. The verdict of the newest day (judged by ``decisions.gates`` when ``ab-online`` ran) joins
the report's overall verdict as one more component: GO needs every component GO, and simulated users make it
NOT ENOUGH EVIDENCE, so it can hold a GO back but never make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reeltag.ab.cuped import Cuped
from reeltag.ab.looks import Look
from reeltag.ab.online_day import ONLINE_KIND, OnlineSummary
from reeltag.ab.online_stats import Delta, SampleRatio, WinShare
from reeltag.project import Project
from reeltag.registry.gates import GO, Decision
from reeltag.report.judgement import Judgement
from reeltag.tracking.results import read_result

MAX_DAYS = 60  # the newest days shown (and charted)
TITLE = "Online search success"
SIMULATED_TAG = "reeltag.simulated"


@dataclass(frozen=True, kw_only=True)
class OnlineDay:
    """One experiment day as its run logged it; ``simulated`` from the run's tag."""

    summary: OnlineSummary
    simulated: bool

    @property
    def headline(self) -> tuple[str, float | None, float | None, float | None]:
        """What the daily chart shows: (name, value, CI low, CI high): Δ success (split) or the win share."""
        s = self.summary
        if s.wins is not None:
            return "champion win share", s.wins.share, s.wins.ci_low, s.wins.ci_high
        success = next((d for d in s.deltas if d.metric == "success"), None)
        if success is None:
            return "Δ success", None, None, None
        return "Δ success", success.delta, success.ci_low, success.ci_high


@dataclass(frozen=True, kw_only=True)
class OnlineSearch:
    """Every logged day of one experiment, oldest first (the newest day carries the verdict)."""

    experiment: str
    days: tuple[OnlineDay, ...]

    @property
    def latest(self) -> OnlineSummary:
        return self.days[-1].summary

    @property
    def simulated(self) -> bool:
        return any(d.simulated for d in self.days)


def online_search(project: Project) -> OnlineSearch | None:
    """The experiment's days with traffic, or None when no experiment has data."""
    name = project.settings.ab.online.name or _newest_experiment(project)
    if not name:
        return None
    runs = project.tracker.runs("ab", MAX_DAYS, tags=_query(ab_experiment=name))
    newest_per_day: dict[str, OnlineDay] = {}
    for run in runs:  # newest first: the first run of a day is the one kept
        day = _day(project, run)
        if day is not None and day.summary.queries > 0:
            newest_per_day.setdefault(day.summary.day, day)
    if not newest_per_day:
        return None
    return OnlineSearch(experiment=name, days=tuple(newest_per_day[d] for d in sorted(newest_per_day)))


def _query(**tags: str) -> dict[str, str]:
    return {"kind": ONLINE_KIND, "attributes.status": "FINISHED", **tags}


def _newest_experiment(project: Project) -> str | None:
    found = project.tracker.runs("ab", 1, tags=_query())
    return found[0]["tags"].get("reeltag.ab_experiment") if found else None


def _day(project: Project, run: dict[str, Any]) -> OnlineDay | None:
    record = read_result(project.tracker, run["run_id"], OnlineSummary.__name__)
    if record is None:
        return None
    return OnlineDay(summary=summary_from_record(record, run["run_id"]), simulated=run["tags"].get(SIMULATED_TAG) == "True")


def summary_from_record(record: dict[str, Any], run_id: str) -> OnlineSummary:
    """The :class:`OnlineSummary` a ``result.json`` holds (non-finite numbers were written as null)."""
    wins, srm, adjusted, look = record.get("wins"), record.get("srm"), record.get("cuped"), record.get("look")
    return OnlineSummary(
        **{k: record[k] for k in ("experiment", "day", "method", "queries", "events", "simulated", "variants", "verdict")},
        deltas=tuple(Delta(**_floats(d)) for d in record["deltas"]),
        wins=WinShare(**_floats(wins)) if wins else None,
        srm=SampleRatio(**srm) if srm else None,
        cuped=Cuped(**_floats(adjusted)) if adjusted else None,
        look=Look(**_floats(look)) if look else None,
        reasons=tuple(record["reasons"]),
        run_id=run_id,
    )


def _floats(fields: dict[str, Any]) -> dict[str, Any]:
    """null (a NaN or an unbounded CI end when logged) back to NaN, so a missing value is never a number."""
    return {k: float("nan") if v is None else v for k, v in fields.items()}


def online_judgement(online: OnlineSearch | None) -> list[Judgement]:
    """The newest day's recorded verdict as a report component (none without an experiment)."""
    if online is None:
        return []
    s = online.latest
    decision = Decision(s.verdict == GO, (f"{s.experiment}, {s.day}: {s.queries} queries", *s.reasons), s.verdict)
    return [Judgement("online", TITLE, decision)]
