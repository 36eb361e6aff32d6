"""Guardrail rollback, end to end: a planted harmful reranker champion (random encoder weights, alpha 0.9: simulated
users succeed far less with it than with the demo base run) served by a real ``reeltag api`` process in an engine vs
champion split. Each simulated day is a batch of users followed by the ``ab-online`` flow's two tasks (their
``.fn``, in the flow's order): within the days the always-valid look shows the harm and the champion alias moves
back; the API serves the previous version within ``api.reload_s`` + 1 s without a non-2xx answer, and
``reeltag history reranker`` shows the move with its reason; ``reeltag ab-online guardrail`` then has no look yet (the
window restarted at the move). The simulated days share one UTC day (the API stamps requests with its clock), so
each is look 1 over everything served so far."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from ab_helpers import api_process
from api_helpers import register_reranker_version
from test_api import search_requests
from typer.testing import CliRunner

from flows.ab_online import guardrail_task, summarise_task
from reeltag.cli import app
from reeltag.demo.simulated_users import simulate_users
from reeltag.project import Project
from reeltag.registry.policy import promote_by_hand
from reeltag.rerank.formats import read_qrels

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NAME, DAYS, QUERIES_PER_DAY, USERS_PER_DAY = "guard", 5, 80, 40


def _client_loop(url: str, body: dict, stop: threading.Event, answers: list[tuple[int, str]]) -> None:
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while not stop.is_set():
            response = client.post("/v1/rerank", json=body)
            answers.append((response.status_code, response.json()["model"]["version"] if response.is_success else ""))
            time.sleep(0.02)


def _wait_serving(url: str, version: str, limit_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if httpx.get(f"{url}/v1/models", timeout=5.0).json()["serving"]["reranker"] == version:
            return time.monotonic() - started
        time.sleep(0.05)
    return float("inf")


def test_the_flow_rolls_a_harmful_champion_back_and_the_api_follows(random_served_project, tmp_path, monkeypatch) -> None:
    root = random_served_project.root
    project = Project.open(root)
    previous = project.tracker.by_alias("reranker", "champion").version
    harmful = register_reranker_version(project, alpha=0.9)
    promote_by_hand(project, "reranker", project.tracker.version("reranker", harmful), "planted harmful champion", "test")
    requests = search_requests(random_served_project.demo)  # the demo base run: a relevant video near the top
    qrels = read_qrels(random_served_project.demo / "search" / "qrels.txt").judgments
    relevant = {q: {d for d, rel in j.items() if rel > 0} for q, j in qrels.items()}
    experiment, answers, stop, checks = {"name": NAME, "method": "split", "simulated": True}, [], threading.Event(), []
    with api_process(root, experiment, tmp_path / "api.log") as (url, _), httpx.Client(base_url=url, timeout=60.0) as http:
        loop = threading.Thread(target=_client_loop, args=(url, next(iter(requests.values())), stop, answers))
        loop.start()
        monkeypatch.setenv("REELTAG_AB__ONLINE__NAME", NAME)
        try:
            for day in range(DAYS):
                simulate_users(http, requests, relevant, queries=QUERIES_PER_DAY, users=USERS_PER_DAY, seed=day)
                summary = summarise_task.fn(str(root), datetime.now(UTC).date(), None)
                checks.append(guardrail_task.fn(str(root), summary, None))
                if checks[-1].applied:
                    break
            waited = _wait_serving(url, previous, 30.0)
            time.sleep(1.0)
        finally:
            stop.set()
            loop.join(timeout=60)
    print(f"\n{len(checks)} simulated day(s); looks: {[c.line for c in checks]}; served v{previous} after {waited:.2f} s")
    assert checks[-1].applied and checks[-1].champion == harmful and checks[-1].rolled_back_to == previous, checks
    assert waited <= project.settings.api.reload_s + 1.0
    assert len(answers) > 10 and all(200 <= s < 300 for s, _ in answers), sorted({s for s, _ in answers})
    assert answers[-1][1] == previous and project.tracker.by_alias("reranker", "rollback") is None
    shown = CliRunner().invoke(app, ["history", "reranker", "--root", str(root), "--json"])
    moves = json.loads(shown.stdout)["moves"]
    back = [m for m in moves if m["action"] == "rollback" and m["alias"] == "champion"]
    assert back and back[-1]["version"] == previous and back[-1]["previous"] == harmful, moves
    assert back[-1]["by"].startswith("flow ab-online") and "the champion arm is worse" in back[-1]["reason"]
    day = datetime.now(UTC).date().isoformat()
    after = CliRunner().invoke(app, ["ab-online", "guardrail", "--root", str(root), "--day", day, "--json"])
    assert json.loads(after.stdout)["verdict"] == "NOT APPLICABLE"  # the window restarted at the move: no look yet
