"""A3: the demo's online component (interleaving, the always-valid win-share look) on the demo's search set.

``power(search)`` (offline, seeded, no models): how often the always-valid test of the demo's experiment
(``DEMO_EXPERIMENT``: team-draft interleaving, the beta-binomial look with the default k and α) finds a gain, by
traffic, for three stand-in champions against the demo's base run under the demo's cascade click model: ``ideal``
(every relevant candidate first, in the engine's order), ``near`` (ideal with each topic's 4th relevant video
moved to rank 5) and ``same`` (the engine's own ranking: no gain; its rate is the false-positive rate). It sized
the demo's traffic (``SIMULATED_TRAFFIC``).

    python -c "import bench.bench_demo_online as b; print(b.power('/tmp/demo/inputs/search'))"

``run(root)`` on a finished ``reeltag demo`` project: the demo's own day (its look, as the report shows it), then
the same experiment twice more through a real API child with the demo's traffic and seed: once on the demo's
champion (experiment ``<name>-bench``), once on a reranker tuned with RANDOM encoder weights (same arch and search
set; the API child also encodes with random weights; experiment ``<name>-random``), made champion by hand (a
recorded manual move by ``bench A3``) and the demo's champion promoted back afterwards. It changes the demo
project's registry (two recorded manual moves, one more reranker version): run it on a demo root you can spare.

    python -c "import bench.bench_demo_online as b; print(b.run('/tmp/demo'))"
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reeltag.ab.event_log import first_served
from reeltag.ab.events import EventStore
from reeltag.ab.online_day import summarise_day
from reeltag.demo.online_experiment import simulate_online_experiment
from reeltag.demo.steps import INPUTS, SIMULATED_TRAFFIC
from reeltag.project import Project
from reeltag.registry.policy import promote_by_hand
from reeltag.rerank.formats import search_set
from reeltag.rerank.steps import tune_rerank

BY = "bench A3 (random-weights control)"
CHAMPIONS = ("ideal", "near", "same")


def power(search: str | Path, traffic: tuple[int, ...] = (300, 600, 800), runs: int = 30) -> dict[str, dict[int, float]]:
    """Share of ``runs`` seeded simulations whose always-valid win-share look lies above ½, per stand-in champion and
    number of queries (see the module docstring)."""
    from reeltag.ab.sequential import win_share_sequence
    from reeltag.config import AbOnlineSection
    from reeltag.demo.online_experiment import relevant_docs, rerank_requests

    cfg = AbOnlineSection()
    requests, relevant = rerank_requests(Path(search)), relevant_docs(Path(search))
    engine = {q: [c["docid"] for c in body["candidates"]] for q, body in requests.items()}
    out: dict[str, dict[int, float]] = {}
    for champion in CHAMPIONS:
        rankings = {q: _stand_in(champion, docids, relevant.get(q, set())) for q, docids in engine.items()}
        out[champion] = {}
        for queries in traffic:
            found = 0
            for seed in range(runs):
                wins, losses = _interleaved(engine, rankings, relevant, queries, seed)
                look = win_share_sequence(wins, losses, k=cfg.sequential_k, alpha=cfg.sequential_alpha, look=1)
                found += look.ci_low > 0.5
            out[champion][queries] = found / runs
    return out


def _stand_in(champion: str, engine: list[str], relevant: set[str]) -> list[str]:
    if champion == "same":
        return list(engine)
    ideal = [d for d in engine if d in relevant] + [d for d in engine if d not in relevant]
    if champion == "near" and len([d for d in engine if d in relevant]) >= 4:
        fourth = ideal.pop(3)
        ideal.insert(4, fourth)
    return ideal


def _interleaved(
    engine: dict[str, list[str]], champion: dict[str, list[str]], relevant: dict[str, set[str]], queries: int, seed: int
) -> tuple[int, int]:
    """(champion wins, engine wins) of ``queries`` team-draft interleaved queries clicked by the cascade model."""
    import numpy as np

    from reeltag.ab.online import team_draft
    from reeltag.demo.simulated_users import CascadeModel, cascade_clicks

    rng, qids, wins, losses = np.random.default_rng(seed), sorted(engine), 0, 0
    for _ in range(queries):
        q = qids[rng.integers(len(qids))]
        shown = team_draft(("engine", engine[q]), ("champion", champion[q]), iter(lambda: bool(rng.random() < 0.5), None))
        clicks = cascade_clicks(CascadeModel(), shown.docids, relevant.get(q, set()), rng)
        ours = len({p for p in clicks if shown.teams[p - 1] == "champion"})
        theirs = len(clicks) - ours
        wins, losses = wins + (ours > theirs), losses + (theirs > ours)
    return wins, losses


def _look(project: Project, name: str) -> dict[str, Any]:
    """The look of the day of the experiment's first request (the demo sends one day of traffic)."""
    first = first_served(EventStore.of(project).create(), name)
    if first is None:
        raise RuntimeError(f"experiment {name!r} has no request in {project.paths.ab_events_db}")
    summary = summarise_day(project, datetime.fromtimestamp(first, UTC).date())[0]
    if summary.look is None:
        raise RuntimeError(f"no always-valid look for {name!r} on {summary.day}")
    return {
        "method": summary.method,
        "queries": summary.queries,
        "verdict": summary.verdict,
        "wins": asdict(summary.wins) if summary.wins else None,
        "look": asdict(summary.look),
        "above_null": summary.look.ci_low > summary.look.null,
    }


@contextmanager
def _env(**values: str) -> Iterator[None]:
    """Settings for the API child (it inherits the environment), restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def run(root: str | Path, quick: bool = False) -> dict[str, Any]:
    root = Path(root).expanduser().resolve()
    project = Project.open(root)
    name, search = project.settings.ab.online.name, root / INPUTS / "search"
    demo = _look(project, name)
    champion = project.tracker.by_alias("reranker", "champion")
    if champion is None:
        raise RuntimeError("the demo project has no reranker champion")
    with _env(REELTAG_AB__ONLINE__NAME=f"{name}-bench"):
        again = Project.open(root)
        sent = simulate_online_experiment(again, search, *SIMULATED_TRAFFIC[quick])
        trained = _look(again, f"{name}-bench") | {"refused": sent.refused}
    control = f"{name}-random"
    with _env(REELTAG_CLIP__WEIGHTS="random", REELTAG_AB__ONLINE__NAME=control):
        randomised = Project.open(root)
        files = search_set(search)
        tuned = tune_rerank(randomised, files["run_path"], files["topics_path"], files["qrels_path"], files["manifest_path"])
        if tuned.registered_version is None:
            raise RuntimeError("the random-weights reranker was not registered (tracking off?)")
        version = randomised.tracker.version("reranker", tuned.registered_version)
        promote_by_hand(randomised, "reranker", version, "the random-weights control of the demo's online A/B", BY)
        try:
            sent = simulate_online_experiment(randomised, search, *SIMULATED_TRAFFIC[quick])
            random = _look(randomised, control) | {"refused": sent.refused, "tuned": _params(tuned)}
        finally:
            promote_by_hand(project, "reranker", champion, "back to the demo's champion after the control", BY)
    return {"experiment": name, "demo_day": demo, "demo_trained": trained, "random_weights": random}


def _params(tuned: Any) -> dict[str, Any]:
    """The chosen setting, the held-out measure and the version registered."""
    return {
        "chosen": asdict(tuned.chosen),
        "measure": tuned.measure,
        "cross_validated": tuned.cross_validated,
        "baseline_value": tuned.baseline_value,
        "version": tuned.registered_version,
    }
