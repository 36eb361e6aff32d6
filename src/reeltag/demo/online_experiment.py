"""Step ``simulate_online_experiment`` (the demo's, and only with the demo's data): simulated users
(:mod:`reeltag.demo.simulated_users`: the position-biased cascade click model on the search set's qrels; the demo's
``[ab.online] simulated = true`` labels every request simulated) send the search set's topics with the engine's base-run candidates to a real
``reeltag api`` child process (``[ab.online]`` of the project assigns them) and their clicks to ``/v1/feedback``.
The ``ab-online`` flow then aggregates the day.

The API serves the ``reeltag.reranker`` champion. Demo data never passes a gate, so when there is none the newest
registered version is made champion by hand, recorded as a manual promotion (``promoted_by = reeltag demo`` and
the reason) in the registry, the run and the lineage of the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from reeltag.ab.event_log import read_log
from reeltag.ab.events import EventStore
from reeltag.demo.api_child import api_child
from reeltag.demo.simulated_users import Simulated, simulate_users
from reeltag.errors import BadInput
from reeltag.project import Project

SEED = 17
DEMO_PROMOTION = "demo: serve the tuned reranker to the simulated online A/B (demo data never passes the gate)"


@dataclass(frozen=True, kw_only=True)
class SimulatedExperiment:
    experiment: str
    day: date  # UTC day of the requests (what ``ab-online`` aggregates)
    queries: int  # sent now (0 when skipped)
    clicks: int
    refused: int  # feedback bodies the API refused (0 expected: any other count is a bug)
    already_served: int  # this experiment's requests of the day before this step (> 0: nothing sent again)
    promoted: str | None  # the reranker version made champion by hand to serve it (None: a champion was serving)


def simulate_online_experiment(project: Project, search: Path, queries: int, users: int, seed: int = SEED) -> SimulatedExperiment:
    """``queries`` searches by ``users`` simulated users through a real API; a re-run on the same UTC day sends none."""
    name, day = project.settings.ab.online.name, datetime.now(UTC).date()
    if not name:
        raise BadInput("no online experiment configured ([ab.online] name is empty): nothing to simulate")
    served = _served_on(project, name, day)
    if served:
        return SimulatedExperiment(experiment=name, day=day, already_served=served, queries=0, clicks=0, refused=0, promoted=None)
    promoted = _serving_reranker(project)
    catalogue = ("--catalogue", str(search / "manifest.csv"))
    with api_child(project.paths.root, project.paths.demo_log, catalogue) as url:
        sent = _send(url, search, queries, users, seed)
    return SimulatedExperiment(
        experiment=name,
        day=day,
        already_served=served,
        queries=sent.queries,
        clicks=sent.clicks,
        refused=sent.refused,
        promoted=promoted,
    )


def _send(url: str, search: Path, queries: int, users: int, seed: int) -> Simulated:
    with httpx.Client(base_url=url, timeout=60.0) as http:
        return simulate_users(http, rerank_requests(search), relevant_docs(search), queries=queries, users=users, seed=seed)


def _served_on(project: Project, name: str, day: date) -> int:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    return len(read_log(EventStore.of(project).create(), name, start, start + 86_400).users)


def _serving_reranker(project: Project) -> str | None:
    """None when a reranker champion serves; else the newest version, promoted by hand (and recorded so)."""
    from reeltag.registry.policy import promote_by_hand

    if project.tracker.by_alias("reranker", "champion") is not None:
        return None
    versions = project.tracker.versions("reranker")
    if not versions:
        raise BadInput("no reeltag.reranker version to serve: run tune-rerank first")
    promote_by_hand(project, "reranker", versions[-1], DEMO_PROMOTION, "reeltag demo")
    return versions[-1].version


def rerank_requests(search: Path) -> dict[str, dict[str, Any]]:
    """One ``/v1/rerank`` body per topic of ``base.run``: its text and the engine's candidates in run order."""
    from reeltag.rerank.formats import read_run, read_topics

    run, topics = read_run(search / "base.run"), read_topics(search / "topics.txt").texts
    return {
        qid: {
            "qid": qid,
            "query": topics[qid],
            "candidates": [{"docid": d, "score": s, "rank": i} for i, (d, s) in enumerate(zip(r.docids, r.scores), 1)],
        }
        for qid, r in run.rankings.items()
        if qid in topics
    }


def relevant_docs(search: Path) -> dict[str, set[str]]:
    """Per topic, the docids judged relevant (rel > 0) in ``qrels.txt``: what a simulated user clicks."""
    from reeltag.rerank.formats import read_qrels

    return {
        qid: {d for d, rel in judged.items() if rel > 0} for qid, judged in read_qrels(search / "qrels.txt").judgments.items()
    }
