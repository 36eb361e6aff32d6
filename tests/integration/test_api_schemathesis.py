"""Schemathesis against a real ``reeltag api`` process (issue 25, finding 14): the served demo project (every
champion), an online experiment and a token, fuzzed from the service's own OpenAPI document with all of
Schemathesis' checks (server errors, status codes, content types, response schemas and headers, positive data
accepted and negative data rejected, missing auth ignored, unsupported methods and their Allow header). At least
1,000 generated cases over every route must find nothing; the run is bounded in examples per operation and in
seconds (a run past ``TIMEOUT_S`` fails). Half the generated ``video``s are catalogue docids and half the feedback bodies name requests the API
really served (and their docids), so the cases reach suggest, rerank and the event store, not only 404s.

Expected answers beyond Schemathesis' defaults, each one the API's documented answer: a body the schema allows can
still break a rule JSON Schema cannot say (distinct docids among the candidates, an event at the position its docid
was shown, a ts between its request's serving and now: 422) or be an upload that is no video (415); a body over
``api.max_body_kb`` or with more events than ``ab.online.max_events`` is rejected 413 (Content Too Large)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from ab_helpers import api_process
from test_api import search_requests

pytestmark = [pytest.mark.integration, pytest.mark.robustness]
TOKEN = "schemathesis-token"
EXAMPLES = 280  # per operation (the parameterless GETs run out of distinct cases sooner): about 1,200 cases
TIMEOUT_S = 240  # the run's ceiling (not --max-time: that repeats the fuzzing until the time is spent)
MIN_CASES = 1000
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "415", "422"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

[dictionaries.videos]
values = {videos}

[dictionaries.requests]
values = {requests}

[dictionaries.docids]
values = {docids}

[parameters]
"body.video" = {{ dictionary = "videos", probability = 0.5 }}
"body.request_id" = {{ dictionary = "requests", probability = 0.5 }}
"body.events[*].docid" = {{ dictionary = "docids", probability = 0.5 }}
"""


def _served_requests(url: str, demo: Path) -> tuple[list[str], list[str]]:
    """A few experiment answers (request ids, the docids they showed) for the feedback cases to name."""
    headers, rids, docids = {"Authorization": f"Bearer {TOKEN}"}, [], set()
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        for i, body in enumerate(search_requests(demo).values()):
            answer = http.post("/v1/rerank", json={**body, "user": f"fuzz-{i}"}).raise_for_status().json()
            rids.append(answer["request_id"])
            docids.update(r["docid"] for r in answer["results"][:5])
    return rids, sorted(docids)


def _schemathesis(url: str, out: Path, demo: Path) -> subprocess.CompletedProcess:
    rids, docids = _served_requests(url, demo)
    videos = [line.split(",")[0] for line in (demo / "search" / "manifest.csv").read_text().splitlines()[1:6]]
    config = CONFIG.format(videos=json.dumps(videos), requests=json.dumps(rids), docids=json.dumps(docids))
    (out / "schemathesis.toml").write_text(config, encoding="utf-8")
    args = [
        *("--config-file", str(out / "schemathesis.toml"), "run", f"{url}/openapi.json"),
        *("--checks", "all", "--max-examples", str(EXAMPLES), "--seed", "25"),
        *("--header", f"Authorization: Bearer {TOKEN}", "--workers", "2", "--no-shrink", "--request-timeout", "60"),
    ]
    cli = Path(sys.executable).with_name("schemathesis")
    command = [str(cli), *args] if cli.is_file() else [sys.executable, "-m", "schemathesis.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=out)


def _count(pattern: str, stdout: str) -> int:
    found = re.search(pattern, stdout)
    assert found, stdout[-3000:]
    return int(found.group(1))


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    served_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELTAG_API__TOKEN", TOKEN)
    experiment = {"name": "schemathesis", "simulated": "true"}
    with api_process(served_project.root, experiment, tmp_path / "api.log") as (url, _):
        run = _schemathesis(url, tmp_path, served_project.demo)
    summary = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, summary
    assert _count(r"Tested:\s*(\d+)", run.stdout) == _count(r"Operations:\s*(\d+) selected", run.stdout) == 7, summary
    assert _count(r"Test cases:\s*(\d+) generated", run.stdout) >= MIN_CASES, summary
