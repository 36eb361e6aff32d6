"""A1: online A/B feedback events/s accepted by one ``reeltag api`` process, and the ``ab-online`` aggregation
time for 1,000,000 events.

    python -m bench.bench_ab [--repeats N] [--posts 200] [--events 50]

Feedback: the P7 bench server (uvicorn child process on 127.0.0.1, stopped by its pid) with an ``[ab.online]``
split experiment; ``posts`` served requests (50 docids each) are written straight into its event store, then
one client posts one body of ``events`` clicks per request (each validated against its request, committed with
synchronous = FULL before the answer). Aggregation: 100,000 requests by 20,000 users and 1,000,000 events
generated directly into a fresh store, then ``read_log`` (per-request event counts in one SQL pass over the
covering index) + ``summarise`` (outcomes, 1,000 per-user bootstrap resamples of 4 deltas, SRM), timed once per
three repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.ab.event_log import read_log
from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.online import assign
from reeltag.config import AbOnlineSection

SHOWN = 50
EXPERIMENT = AbOnlineSection(name="bench")


def _served(store: EventStore, n: int, users: int, prefix: str) -> list[ServedRequest]:
    now, shares = time.time(), EXPERIMENT.variants
    served = [
        ServedRequest(
            request_id=f"{prefix}{i}",
            experiment="bench",
            user=f"u{i % users}",
            variant=assign("bench", f"u{i % users}", shares),
            served=now,
            docids=tuple(f"d{j}" for j in range(SHOWN)),
            teams=None,
        )
        for i in range(n)
    ]
    store.record_requests(served)
    return served


def feedback_events_per_s(posts: int, events: int) -> float:
    import httpx

    from bench.bench_api import _free_port, _start, _stop

    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(tmp), _free_port()
        store = EventStore(root / "data" / "ab" / "events.db").create()
        served = _served(store, posts, posts, "r")
        os.environ["REELTAG_AB__ONLINE__NAME"] = "bench"
        try:
            proc = _start(root, port)
        finally:
            os.environ.pop("REELTAG_AB__ONLINE__NAME", None)
        try:
            ts = datetime.now(UTC).isoformat()  # an ISO time between serving and now (epoch numbers are refused)
            bodies = [
                {
                    "request_id": r.request_id,
                    "events": [{"docid": f"d{j}", "type": "click", "position": j + 1, "ts": ts} for j in range(events)],
                }
                for r in served
            ]
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as http:
                started = time.perf_counter()
                accepted = sum(http.post("/v1/feedback", json=b).json()["accepted"] for b in bodies)
                seconds = time.perf_counter() - started
        finally:
            _stop(proc)
    if accepted != posts * events:
        raise RuntimeError(f"{accepted} of {posts * events} events accepted")
    return accepted / seconds


def aggregation_s(n_events: int = 1_000_000, n_requests: int = 100_000, users: int = 20_000) -> tuple[float, int]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "events.db").create()
        _served(store, n_requests, users, "q")
        cell = rng.choice(n_requests * SHOWN * 3, n_events, replace=False)  # distinct (request, docid, type)
        query, position = cell // (SHOWN * 3), cell // 3 % SHOWN + 1
        kind = np.array(["click", "play", "like"])[cell % 3]
        store.import_events(
            (f"q{q}", Event(docid=f"d{p - 1}", type=str(k), position=int(p), ts=0.0))
            for q, p, k in zip(query.tolist(), position.tolist(), kind)
        )
        from reeltag.ab.online_day import summarise

        started = time.perf_counter()
        log = read_log(store, "bench", 0.0, 2e10, EXPERIMENT.top)
        summarise(log, EXPERIMENT)
        seconds = time.perf_counter() - started
    return seconds, int(log.counts.events.sum())


def run(repeats: int = 3, posts: int = 200, events: int = 50) -> dict[str, Any]:
    rates = [feedback_events_per_s(posts, events) for _ in range(repeats)]
    timed = [aggregation_s() for _ in range(max(1, repeats // 3))]
    return {
        "figure": "A/B feedback events/s (one API process) · ab-online aggregation of 1M events",
        "summary": f"{np.median(rates):,.0f} events/s · {np.median([t for t, _ in timed]):.1f} s",
        "events_per_s": round(float(np.median(rates))),
        "aggregation_s": round(float(np.median([t for t, _ in timed])), 2),
        "events_aggregated": timed[0][1],
        "posts": posts,
        "events_per_post": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ab", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.posts, args.events), indent=2))


if __name__ == "__main__":
    main()
