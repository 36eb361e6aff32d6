"""Issue 25, findings 7, 8, 10 (retention), 11 (API part), 14, 15 (feedback ts) and 16: the online A/B's store and
trust, the OpenAPI document and the offline docs pages.

The API here is the real app on a project with no champion, in process over ASGI (``/v1/rerank``'s scoring is
replaced by a fixed answer where a test needs one), except the browser test, which runs ``reeltag api`` as a
process. A store lock is held by another process (a child python holding ``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL

from reeltag.ab.events import Event, EventStore, ServedRequest
from reeltag.ab.online import assign
from reeltag.api.app import create_app
from reeltag.api.schemas import RerankAnswer, RerankModel, RerankRequest
from reeltag.api.service import Service
from reeltag.project import Project

pytestmark = pytest.mark.robustness
NAME = "rob-ab"
VARIANTS = {"engine": 50.0, "champion": 50.0}
HOLD_LOCK = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(120)
"""


class StubEncoder:
    model_id, embed_dim, weights_kind = "stub", 8, "random"

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return np.full((len(texts), self.embed_dim), self.embed_dim**-0.5, dtype=np.float32)


def _project(root: Path, **online: Any) -> Project:
    return Project.open(root, ab={"online": {"name": NAME, **online}}, tracking={"trigger": "test"})


def _app(root: Path, **online: Any) -> Any:
    return create_app(Service(_project(root, **online), StubEncoder(), None), watch=False)


def _client(root: Path, **online: Any) -> TestClient:
    return TestClient(_app(root, **online), base_url=LOCAL, raise_server_exceptions=False)


def _store(root: Path) -> EventStore:
    return EventStore(Project.open(root).paths.ab_events_db)


def _record(root: Path, docids: list[str], served: float | None = None) -> str:
    rid = uuid.uuid4().hex
    shown = ServedRequest(
        request_id=rid,
        experiment=NAME,
        user="u1",
        variant="champion",
        served=time.time() if served is None else served,
        docids=tuple(docids),
        teams=None,
    )
    _store(root).create().record_requests([shown])
    return rid


def _fixed_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """``/v1/rerank`` scores every candidate by its engine score (no reranker needed)."""
    from reeltag.api import rerank_service

    def rerank(service: Service, req: RerankRequest, arm: str = "champion", champs: object = None) -> RerankAnswer:
        model = RerankModel(version="1", alpha=0.0, normalisation="minmax", pooling="max", encoder="stub", weights_kind="random")
        return RerankAnswer(
            request_id=uuid.uuid4().hex,
            qid=req.qid,
            model=model,
            docids=[c["docid"] for c in req.candidates],
            scores=[c["score"] for c in req.candidates],
            engine_ranks=list(range(1, len(req.candidates) + 1)),
            clip=[None] * len(req.candidates),
            missing=[],
        )

    monkeypatch.setattr(rerank_service, "rerank", rerank)


def _rerank_body(user: str | None = None, docids: tuple[str, ...] = ("a", "b", "c")) -> dict[str, Any]:
    body: dict[str, Any] = {"query": "q", "candidates": [{"docid": d, "score": 3.0 - i} for i, d in enumerate(docids)]}
    return body | ({"user": user} if user else {})


# --- finding 7: a locked store ---------------------------------------------------------------------------------


async def _feedback_while_locked(app: Any, rid: str) -> tuple[list[httpx.Response], float, float]:
    """40 feedback posts at once and, meanwhile, one /v1/models: the answers, the models call's and the whole time."""
    event = {"docid": "a", "type": "click", "position": 1, "ts": datetime.now(UTC).isoformat()}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60.0) as http:
        started = time.perf_counter()
        posts = [asyncio.create_task(http.post("/v1/feedback", json={"request_id": rid, "events": [event]})) for _ in range(40)]
        await asyncio.sleep(0.2)
        before = time.perf_counter()
        models = await http.get("/v1/models")
        models_s = time.perf_counter() - before
        assert models.status_code == 200
        answers = await asyncio.wait_for(asyncio.gather(*posts), timeout=20.0)
        return list(answers), models_s, time.perf_counter() - started


def test_a_locked_store_answers_503_with_retry_after_and_other_routes_go_on(tmp_root: Path, tried) -> None:
    tried.fault("another process holds a write transaction on the A/B events.db")
    app, rid = _app(tmp_root), _record(tmp_root, ["a", "b"])  # ab.online.busy_timeout_s = 2 s by default
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(_store(tmp_root).path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        answers, models_s, took = asyncio.run(_feedback_while_locked(app, rid))
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert {a.status_code for a in answers} == {503}, [a.text for a in answers[:3]]
    assert all(a.headers.get("retry-after") == "2" and "locked" in a.json()["detail"] for a in answers)
    assert models_s < 2.0 and took < 8.0, (models_s, took)
    assert _store(tmp_root).counts()["events"] == 0
    with TestClient(app, base_url=LOCAL) as client:  # the lock is gone: the next feedback is stored
        time.sleep(2.1)  # the lane answers 503 at once for busy_timeout_s after it found the lock
        event = {"docid": "a", "type": "click", "position": 1, "ts": datetime.now(UTC).isoformat()}
        assert client.post("/v1/feedback", json={"request_id": rid, "events": [event]}).json()["accepted"] == 1


# --- finding 8: the simulated label and the assignment salt ----------------------------------------------------------


def test_a_client_chosen_sim_user_id_labels_nothing_and_the_server_setting_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    tried.bad_input("ab online", "user id starting sim- on a real experiment")
    _fixed_answers(monkeypatch)

    def label(root: Path, **online: Any) -> bool:
        root.mkdir()
        with _client(root, **online) as client:
            answer = client.post("/v1/rerank", json=_rerank_body("sim-7"))
            assert answer.status_code == 200, answer.text
        return _store(root).request(answer.json()["request_id"]).simulated

    assert label(tmp_path / "real") is False
    assert label(tmp_path / "demo", simulated=True) is True


def test_the_assignment_salt_is_a_secret_kept_beside_the_store_not_the_echoed_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    tried.bad_input("ab online", "client picks its arm from the experiment name every answer carries")
    _fixed_answers(monkeypatch)
    users = [f"user-{i}" for i in range(64)]

    def variants(root: Path, **online: Any) -> tuple[list[str], str]:
        root.mkdir()
        with _client(root, **online) as client:
            answers = [client.post("/v1/rerank", json=_rerank_body(u)) for u in users]
        assert {a.json()["experiment"]["name"] for a in answers} == {NAME}
        return [a.json()["experiment"]["variant"] for a in answers], "".join(a.text for a in answers)

    by_name = [assign(NAME, u, VARIANTS) for u in users]
    first, texts = variants(tmp_path / "a")
    salt_file = Project.open(tmp_path / "a").paths.ab_events_db.parent / f"{NAME}.salt"
    salt = salt_file.read_text(encoding="utf-8").strip()
    assert first != by_name and first == [assign(salt, u, VARIANTS) for u in users]
    assert len(salt) >= 32 and salt not in texts and salt_file.stat().st_mode & 0o077 == 0
    again, _ = variants(tmp_path / "b")
    assert again != first  # another store, another salt
    configured, _ = variants(tmp_path / "c", salt="operator-secret")
    assert configured == [assign("operator-secret", u, VARIANTS) for u in users]


# --- finding 15: feedback dated outside what can have happened -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ts"),
    [
        ("dated 9999-12-31", "9999-12-31T23:59:59Z"),
        ("dated before its request was served", (datetime.now(UTC) - timedelta(days=1)).isoformat()),
        ("dated year 1 with an offset", "0001-01-01T00:00:00+01:00"),
        ("an epoch number", 1.7e9),
    ],
    ids=["9999-12-31", "before-served", "year-1-offset", "epoch-number"],  # fixed: xdist workers must collect the same ids
)
def test_feedback_dated_outside_serving_to_now_is_refused(tmp_root: Path, tried, kind: str, ts: Any) -> None:
    tried.bad_input("ab feedback", kind)
    rid = _record(tmp_root, ["a", "b"])
    with _client(tmp_root) as client:
        answer = client.post(
            "/v1/feedback", json={"request_id": rid, "events": [{"docid": "a", "type": "click", "position": 1, "ts": ts}]}
        )
    assert answer.status_code == 422 and answer.json()["field"].endswith("ts"), answer.text
    assert _store(tmp_root).counts()["events"] == 0


# --- finding 11 (API part): a nested multipart list ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "exclude"), [("nested 100,000 deep", "[" * 100_000 + "]" * 100_000), ("a list of lists", '[["a"]]')]
)
def test_a_nested_multipart_exclude_is_422_naming_the_field(tmp_root: Path, tried, kind: str, exclude: str) -> None:
    tried.bad_input("api suggest", f"multipart exclude {kind}")
    with _client(tmp_root) as client:
        answer = client.post("/v1/suggest", files={"video": ("v.mp4", b"\x00" * 64)}, data={"exclude": exclude})
        assert answer.status_code == 422 and answer.json()["field"].startswith("exclude"), answer.text
        assert client.get("/healthz").status_code == 200


# --- finding 14: the OpenAPI document and strict types ---------------------------------------------------------


def _resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for key in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or key.replace("~1", "/").replace("~0", "~") not in node:
            return False
        node = node[key.replace("~1", "/").replace("~0", "~")]
    return True


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in _refs(v)]
    return [r for v in node for r in _refs(v)] if isinstance(node, list) else []


def test_the_openapi_document_resolves_and_documents_every_answer(tmp_root: Path, tried) -> None:
    tried.bad_input("api openapi", "unresolvable refs, only 200 documented, /metrics as JSON")
    with _client(tmp_root) as client:
        document = client.get("/openapi.json").json()
    refs = _refs(document)
    assert refs and [r for r in refs if not _resolves(document, r)] == []
    codes = {(path, method): set(op["responses"]) for path, ops in document["paths"].items() for method, op in ops.items()}
    assert {"404", "413", "422", "503"} <= codes[("/v1/feedback", "post")]
    assert {"413", "422", "503"} <= codes[("/v1/rerank", "post")]
    assert {"403", "404", "413", "415", "422", "503"} <= codes[("/v1/suggest", "post")]
    assert "503" in codes[("/readyz", "get")]
    assert set(document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    candidate = document["components"]["schemas"]["Candidate"]["properties"]["docid"]
    assert candidate["maxLength"] == Project.open(tmp_root).settings.api.max_docid_chars


@pytest.mark.parametrize(
    ("kind", "candidate", "field"),
    [
        ("score as a string", {"docid": "a", "score": "1.5"}, "candidates.0.score"),
        ("score true", {"docid": "a", "score": True}, "candidates.0.score"),
        ("rank false", {"docid": "a", "score": 1.0, "rank": False}, "candidates.0.rank"),
        ("rank 2.0", {"docid": "a", "score": 1.0, "rank": 2.0}, "candidates.0.rank"),
    ],
)
def test_wrong_types_are_422_not_coerced(tmp_root: Path, tried, kind: str, candidate: dict, field: str) -> None:
    tried.bad_input("api rerank", kind)
    with _client(tmp_root) as client:
        answer = client.post("/v1/rerank", json={"query": "q", "candidates": [candidate]})
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text


# --- finding 10 (part): retention and a size cap -----------------------------------------------------------------


def test_the_store_stops_at_its_cap_counts_what_it_dropped_and_says_so(
    project: Project, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    from reeltag.ab.online_day import run_ab_online

    tried.fault("A/B events.db grows without bound (long docids)")
    _fixed_answers(monkeypatch)
    long = tuple(f"{i:04d}" + "x" * 250 for i in range(100))  # about 26 KB of docids per request
    with _client(project.paths.root, max_store_mb=0.25) as client:
        answers = [client.post("/v1/rerank", json=_rerank_body(f"u{i}", long)) for i in range(30)]
        metrics = client.get("/metrics").text
    assert {a.status_code for a in answers} == {200}  # served; past the cap not recorded
    store = EventStore.of(Project.open(project.paths.root, ab={"online": {"name": NAME, "max_store_mb": 0.25}}))
    kept, today = store.counts()["requests"], datetime.now(UTC).date()
    assert 0 < kept < 30 and store.path.stat().st_size < 0.5 * 2**20
    assert store.dropped(today.isoformat()) == {"cap/requests": 30 - kept}
    assert f'reeltag_ab_store_dropped_total{{rows="requests"}} {30 - kept}.0' in metrics
    summary = run_ab_online(Project.open(project.paths.root, ab={"online": {"name": NAME}}), today)
    assert summary.dropped == {"cap/requests": 30 - kept}
    assert summary.verdict == "NOT ENOUGH EVIDENCE" and any("not stored" in r for r in summary.reasons)


def test_rows_past_the_retention_are_deleted_when_the_store_opens_and_counted(tmp_root: Path, tried) -> None:
    tried.fault("A/B events.db keeps every day forever")
    old, new = _record(tmp_root, ["a"], served=time.time() - 40 * 86_400), _record(tmp_root, ["a"])
    _store(tmp_root).append(old, [Event(docid="a", type="click", position=1, ts=time.time() - 40 * 86_400)])
    _store(tmp_root).refuse(None, "old refusal")
    store = EventStore.of(_project(tmp_root, retention_days=30)).create()
    assert store.request(old) is None and store.request(new) is not None
    assert store.dropped(datetime.now(UTC).date().isoformat()) == {"retention/events": 1, "retention/requests": 1}


# --- finding 16: /docs and /redoc without the internet --------------------------------------------------------


def test_docs_render_the_operations_with_the_network_off(tmp_root: Path, tried) -> None:
    from browser_helpers import ARGS, CHROMIUM, assert_non_blank

    from reeltag.demo.api_child import api_child

    tried.fault("no internet: Swagger UI and ReDoc assets from a CDN")
    if CHROMIUM is None:
        pytest.skip("chromium not found (/usr/bin/chromium or on PATH): install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install '.[dev]')")
    (tmp_root / "reeltag.toml").write_text('[clip]\narch = "reeltag-tiny"\nweights = "random"\n', encoding="utf-8")
    outside: list[str] = []

    def local_only(route: Any) -> None:
        if httpx.URL(route.request.url).host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with api_child(tmp_root, tmp_root / "api.log", need_reranker=False) as url, sync_api.sync_playwright() as pw:
        redoc = httpx.get(f"{url}/redoc").text
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", local_only)
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock-summary-path").all_inner_texts()
            shot = page.screenshot()
        finally:
            browser.close()
    assert {"/v1/rerank", "/v1/suggest", "/v1/feedback", "/metrics"} <= {o.strip().replace("\u200b", "") for o in operations}
    assert outside == [] and "http://" not in redoc and "https://" not in redoc.replace("https://github.com", "")
    assert_non_blank(shot)
