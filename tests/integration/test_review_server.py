"""The real server (``reeltag review`` under uvicorn, 127.0.0.1): two reviewers at once decide every item exactly
once, and a SIGKILL between two decisions loses no acknowledged event."""

from __future__ import annotations

import os
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from review_helpers import filled_store, free_port, start_server, stop_server
from review_session import item_id, next_panel, sign_in

from reeltag.review.state import states_by_item
from reeltag.review.store import ReviewStore

pytestmark = pytest.mark.integration


class Reviewer:
    """A client of the page: its cookie, its CSRF token, the item the page shows."""

    def __init__(self, base: str, name: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30.0)
        self.csrf = sign_in(self.http, name)
        self.item = item_id(next_panel(self.http, self.csrf))

    def decide(self) -> int:
        """Accept suggestion 1 of the shown item and submit it; the acknowledged item id."""
        done = self.item
        assert done is not None
        self.http.post(f"/items/{done}/actions", data={"kind": "accept", "rank": "1"}, headers=self.csrf).raise_for_status()
        answer = self.http.post(f"/items/{done}/submit", data={"seconds": "1.5"}, headers=self.csrf)
        answer.raise_for_status()
        self.item = item_id(answer.text)
        return done

    def review_all(self) -> list[int]:
        decided = []
        while self.item is not None:
            decided.append(self.decide())
        return decided


@pytest.fixture
def server(tmp_path: Path):
    store = filled_store(tmp_path, 12)
    port = free_port()
    proc = start_server(tmp_path, port)
    yield store, port, proc
    stop_server(proc)


def test_two_reviewers_at_once_decide_every_item_exactly_once(server) -> None:
    store, port, _ = server
    reviewers = [Reviewer(f"http://127.0.0.1:{port}", name) for name in ("ann", "bob")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(r.review_all) for r in reviewers]
        decided = [f.result(timeout=120) for f in futures]
    everything = decided[0] + decided[1]
    assert sorted(everything) == [i.id for i in store.items()] and len(set(everything)) == len(everything)
    assert decided[0] and decided[1]  # both reviewed
    submits = Counter(e.item_id for e in store.events() if e.kind == "submit")
    assert set(submits.values()) == {1} and len(submits) == 12
    by_reviewer = {e.item_id: e.reviewer for e in store.events() if e.kind == "submit"}
    assert sorted(i for i, r in by_reviewer.items() if r == "ann") == sorted(decided[0])


def test_sigkill_between_two_decisions_loses_no_acknowledged_event(server, tmp_path: Path) -> None:
    store, port, proc = server
    ann = Reviewer(f"http://127.0.0.1:{port}", "ann")
    acknowledged = [ann.decide(), ann.decide()]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    restarted = start_server(tmp_path, port)
    try:
        states = states_by_item(ReviewStore(store.path).events())
        assert all(states[i].submitted and states[i].chips == {1: "accepted"} for i in acknowledged)
        panel = next_panel(ann.http, ann.csrf)  # the restarted server knows ann's cookie (its key is on disk)
        assert item_id(panel) not in acknowledged
        assert 'done <strong id="done">2</strong>' in panel
    finally:
        stop_server(restarted)
