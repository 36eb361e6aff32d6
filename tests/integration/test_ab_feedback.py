"""POST /v1/feedback on an online experiment: every bad body is refused (4xx, with the reason) or de-duplicated,
the store holds exactly the valid events, and a SIGKILL of the API loses no acknowledged event."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ab_helpers import api_process, experiment_log
from fastapi.testclient import TestClient
from loopback import LOCAL
from test_api import search_requests

from reeltag.ab.events import EventStore
from reeltag.api.app import create_app
from reeltag.api.service import Service
from reeltag.project import Project

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def client(served_project):
    window = {"start": NOW - timedelta(hours=1), "end": NOW + timedelta(hours=6)}
    project = Project.open(served_project.root, ab={"online": {"name": "fb-checks", **window}})
    with TestClient(create_app(Service.start(project), watch=False), base_url=LOCAL) as c:
        yield c


def _served(client: TestClient, served_project, user: str = "u1") -> dict:
    body = next(iter(search_requests(served_project.demo).values()))
    answer = client.post("/v1/rerank", json={**body, "user": user})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _event(answer: dict, at: int, **changes) -> dict:
    return {
        "docid": answer["results"][at - 1]["docid"],
        "type": "click",
        "position": at,
        "ts": datetime.now(UTC).isoformat(),
        **changes,
    }


def test_the_answer_names_the_experiment_and_a_request_without_user_is_untouched(client, served_project) -> None:
    answer = _served(client, served_project)
    assert answer["experiment"]["name"] == "fb-checks" and answer["experiment"]["variant"] in ("engine", "champion")
    assert [r["rank"] for r in answer["results"]] == list(range(1, len(answer["results"]) + 1))
    body = next(iter(search_requests(served_project.demo).values()))
    assert client.post("/v1/rerank", json=body).json()["experiment"] is None


def test_bad_feedback_is_refused_with_the_reason_and_only_valid_events_are_stored(client, served_project) -> None:
    answer = _served(client, served_project)
    rid, post = answer["request_id"], lambda body: client.post("/v1/feedback", json=body)
    ok = post({"request_id": rid, "events": [_event(answer, 1), _event(answer, 3, type="play")]})
    assert ok.status_code == 200 and ok.json()["accepted"] == 2 and ok.json()["duplicates"] == []
    dup = post({"request_id": rid, "events": [_event(answer, 1), _event(answer, 2)]})
    assert dup.json()["accepted"] == 1 and dup.json()["duplicates"][0]["reason"] == "already recorded"
    refused = {
        "unknown request id": post({"request_id": "nope", "events": [_event(answer, 1)]}),
        "was not shown": post({"request_id": rid, "events": [_event(answer, 1, docid="never-shown")]}),
        "was shown at position": post({"request_id": rid, "events": [_event(answer, 4, position=5)]}),
        "not between its request's serving": post(
            {"request_id": rid, "events": [_event(answer, 4, ts=(NOW - timedelta(days=2)).isoformat())]}
        ),
        "JSON": client.post("/v1/feedback", content=b'{"request_id": ', headers={"content-type": "application/json"}),
        "at most": post({"request_id": rid, "events": [_event(answer, 4)] * 10_000}),
    }
    for reason, response in refused.items():
        assert 400 <= response.status_code < 500 and reason in response.text, (reason, response.status_code, response.text)
    with EventStore(Project.open(served_project.root).paths.ab_events_db).reading() as con:
        mine = con.execute("SELECT type, position FROM events WHERE request_id = ? ORDER BY position", (rid,)).fetchall()
    assert mine == [("click", 1), ("click", 2), ("play", 3)]
    assert EventStore(Project.open(served_project.root).paths.ab_events_db).counts()["refusals"] >= len(refused)


def test_sigkill_between_two_posts_loses_no_acknowledged_event(served_project, tmp_path) -> None:
    experiment = {
        "name": "fb-sigkill",
        "start": (NOW - timedelta(hours=1)).isoformat(),
        "end": (NOW + timedelta(hours=6)).isoformat(),
    }
    body = next(iter(search_requests(served_project.demo).values()))
    acknowledged = 0
    with api_process(served_project.root, experiment, tmp_path / "api.log") as (url, proc):
        with httpx.Client(base_url=url, timeout=30.0) as http:
            for i in range(20):
                answer = http.post("/v1/rerank", json={**body, "user": f"k{i}"}).json()
                sent = http.post("/v1/feedback", json={"request_id": answer["request_id"], "events": [_event(answer, 1)]})
                acknowledged += sent.status_code == 200 and sent.json()["accepted"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert acknowledged == 20 and experiment_log(served_project.root, "fb-sigkill").counts.events.sum() == acknowledged
