"""Simulated users (demo and tests only): a position-biased cascade click model driven by qrels, querying and
giving feedback through the real HTTP API. Their ids (``sim-N``) label nothing: the server labels an experiment's
requests simulated from its own settings (``[ab.online] simulated = true``, as the demo's toml has), never from
what a client sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np


@dataclass(frozen=True, kw_only=True)
class CascadeModel:
    """Examine rank r with probability ``decay``^(r−1) (top-down, stopping at the first unexamined one); click a
    relevant result with ``p_relevant``, another with ``p_other``; after a click stop with ``p_stop``."""

    decay: float = 0.85
    p_relevant: float = 0.9
    p_other: float = 0.03
    p_stop: float = 0.5


def cascade_clicks(model: CascadeModel, docids: Sequence[str], relevant: set[str], rng: np.random.Generator) -> list[int]:
    """The 1-based positions a simulated user clicks in one answer."""
    clicks: list[int] = []
    for rank, docid in enumerate(docids, start=1):
        if rng.random() >= model.decay ** (rank - 1):
            break
        if rng.random() < (model.p_relevant if docid in relevant else model.p_other):
            clicks.append(rank)
            if rng.random() < model.p_stop:
                break
    return clicks


@dataclass(frozen=True, kw_only=True)
class Simulated:
    queries: int
    clicks: int
    refused: int


def simulate_users(
    client: Any,
    requests: Mapping[str, dict[str, Any]],
    relevant: Mapping[str, set[str]],
    *,
    queries: int,
    users: int,
    seed: int,
    model: CascadeModel = CascadeModel(),
) -> Simulated:
    """``queries`` searches by ``users`` simulated users through ``client`` (an httpx.Client on the API):
    POST /v1/rerank with the user, then POST /v1/feedback with the cascade model's clicks."""
    rng, qids, clicks, refused = np.random.default_rng(seed), sorted(requests), 0, 0
    for _ in range(queries):
        qid, user = qids[rng.integers(len(qids))], f"sim-{rng.integers(users)}"
        answer = client.post("/v1/rerank", json={**requests[qid], "user": user})
        answer.raise_for_status()
        body = answer.json()
        shown = [r["docid"] for r in body["results"]]
        positions = cascade_clicks(model, shown, relevant.get(qid, set()), rng)
        if positions:
            now = datetime.now(UTC).isoformat()
            events = [{"docid": shown[p - 1], "type": "click", "position": p, "ts": now} for p in positions]
            sent = client.post("/v1/feedback", json={"request_id": body["request_id"], "events": events})
            refused += sent.status_code != 200
            clicks += len(positions)
    return Simulated(queries=queries, clicks=clicks, refused=refused)
