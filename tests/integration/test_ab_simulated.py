"""Simulated users (cascade clicks on the demo qrels) through a real ``reeltag api`` process: with the
demo-trained encoder the champion's success rate beats the engine's with a CI above 0, and team-draft
interleaving reaches a significant preference with fewer queries than the split test (both printed).

The demo base run already ranks a relevant video first for every tiny topic (the tuned champion is alpha = 0,
the engine itself), so the engine here is a weak one: each topic's candidates in a seeded random order, and
the champion during the test is a CLIPRerank version with alpha = 0.9 (restored afterwards)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest
from ab_helpers import api_process, experiment_log
from api_helpers import register_reranker_version
from test_api import search_requests

from reeltag.ab.events import Log
from reeltag.ab.simulate import simulate_users
from reeltag.config import AbOnlineSection
from reeltag.pipelines.ab_online import run_ab_online, summarise
from reeltag.project import Project
from reeltag.rerank.formats import read_qrels

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUERIES, USERS, STEP = 400, 80, 2


def _weak_engine(requests: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    shuffled = {q: [c["docid"] for c in body["candidates"]] for q, body in requests.items()}
    for docids in shuffled.values():
        rng.shuffle(docids)
    return {
        q: {**body, "candidates": [{"docid": d, "score": 1.0 - i / 100} for i, d in enumerate(shuffled[q])]}
        for q, body in requests.items()
    }


def _simulated(served_project, tmp_path, method: str) -> Log:
    requests = _weak_engine(search_requests(served_project.demo), seed=5)
    qrels = read_qrels(served_project.demo / "search" / "qrels.txt").judgments
    relevant = {q: {d for d, rel in j.items() if rel > 0} for q, j in qrels.items()}
    name = f"sim-{method}"
    experiment = {"name": name, "method": method}
    with (
        api_process(served_project.root, experiment, tmp_path / f"{method}.log") as (url, _),
        httpx.Client(base_url=url, timeout=60.0) as http,
    ):
        sent = simulate_users(http, requests, relevant, queries=QUERIES, users=USERS, seed=11)
    assert sent.refused == 0 and sent.clicks > 0
    return experiment_log(served_project.root, name)


def _prefix(log: Log, n: int) -> Log:
    """The first ``n`` requests of ``log`` (and their event counts)."""
    head = {f.name: getattr(log.counts, f.name)[:n] for f in fields(log.counts) if f.name != "top"}
    return replace(
        log,
        request_ids=log.request_ids[:n],
        users=log.users[:n],
        variants=log.variants[:n],
        simulated=log.simulated[:n],
        counts=replace(log.counts, **head),
        team_clicks=log.team_clicks[:n],
    )


def _significant(found: dict) -> bool:
    if found["wins"] is not None:
        return found["wins"].ci_low > 0.5
    return next(d for d in found["deltas"] if d.metric == "success").ci_low > 0


def _queries_to_significance(log: Log, cfg: AbOnlineSection) -> int | None:
    return next((n for n in range(STEP, len(log.users) + 1, STEP) if _significant(summarise(_prefix(log, n), cfg))), None)


@pytest.fixture
def clip_champion(served_project):
    project = Project.open(served_project.root)
    old = project.tracker.by_alias("reranker", "champion").version
    project.tracker.promote("reranker", register_reranker_version(project, alpha=0.9))
    yield
    project.tracker.promote("reranker", old)


def test_champion_beats_the_engine_and_interleaving_needs_fewer_queries(served_project, tmp_path, clip_champion) -> None:
    split, mixed = _simulated(served_project, tmp_path, "split"), _simulated(served_project, tmp_path, "interleave")
    split_cfg, mixed_cfg = (
        AbOnlineSection(name="sim-split", bootstrap=500),
        AbOnlineSection(name="sim-interleave", method="interleave"),
    )
    found = summarise(split, split_cfg)
    success = next(d for d in found["deltas"] if d.metric == "success")
    n_split, n_mixed = _queries_to_significance(split, split_cfg), _queries_to_significance(mixed, mixed_cfg)
    print(
        f"\nsplit: success engine {success.control:.3f} → champion {success.treatment:.3f}, "
        f"delta {success.delta:+.3f} [{success.ci_low:+.3f}, {success.ci_high:+.3f}]; "
        f"interleave win share {summarise(mixed, mixed_cfg)['wins'].share:.3f}; "
        f"queries to significance: split {n_split}, interleave {n_mixed} (of {QUERIES}, checked every {STEP})"
    )
    assert success.ci_low > 0 and not found["srm"].mismatch
    assert n_mixed is not None and (n_split is None or n_mixed < n_split)
    logged = run_ab_online(Project.open(served_project.root, ab={"online": {"name": "sim-split"}}), day=datetime.now(UTC).date())
    assert logged.run_id and logged.simulated and logged.verdict == "NOT ENOUGH EVIDENCE"
    assert logged.queries == QUERIES
