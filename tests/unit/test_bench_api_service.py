"""P7's serving state (``bench.bench_api.bench_service``) answers a rerank in both forms through the real app.

The bench runs only in ``make bench-all``; this keeps its server from breaking unseen when the service changes
(it once replaced the service's champions without the held encoder, and the bench server no longer started)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from bench.bench_api import CANDIDATES, STAGES, bench_service, columns_body, request_bodies, stage_seconds
from reeltag.api.app import create_app


def test_bench_service_answers_both_forms(tmp_path: Path) -> None:
    service = bench_service(tmp_path)
    body = request_bodies(1)[0]
    try:
        with TestClient(create_app(service, watch=False), base_url="http://127.0.0.1") as client:
            listed = client.post("/v1/rerank", json=body)
            columns = client.post("/v1/rerank", json=columns_body(body))
        spans = stage_seconds(service, json.dumps(body).encode())  # what P7 and profile_api time in process
    finally:
        service.close()
    assert listed.status_code == 200, listed.text
    assert columns.status_code == 200, columns.text
    assert len(listed.json()["results"]) == CANDIDATES
    ranked = [r["docid"] for r in listed.json()["results"]]
    assert columns.json()["results"]["docids"] == ranked  # the same ranking, answered in columns
    assert len(spans) == len(STAGES) and all(span > 0 for span in spans)
