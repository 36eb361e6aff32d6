"""The HTTP API through FastAPI's TestClient on a project with every champion: results equal the CLI's,
bad requests are 4xx with the reason, the token guards a non-local bind, metrics count what happened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.api.app import create_app
from reeltag.api.schemas import RerankedColumns, RerankResponse
from reeltag.api.service import Service
from reeltag.cli import app as cli
from reeltag.project import Project
from reeltag.rerank.formats import read_run, read_topics

pytestmark = pytest.mark.integration


def reeltag(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def service(served_project) -> Service:
    return Service.start(Project.open(served_project.root, api={"max_upload_mb": 1.0}))


@pytest.fixture(scope="module")
def client(service: Service):
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as c:
        yield c


def search_requests(demo: Path) -> dict[str, dict[str, Any]]:
    """One /v1/rerank body per topic of the demo base run (candidates with the run's scores and ranks)."""
    run, topics = read_run(demo / "search" / "base.run"), read_topics(demo / "search" / "topics.txt")
    lines = [line.split() for line in (demo / "search" / "base.run").read_text().splitlines() if line.strip()]
    ranks = {(p[0], p[2]): int(p[3]) for p in lines}
    return {
        q: {
            "qid": q,
            "query": topics.texts[q],
            "candidates": [{"docid": d, "score": s, "rank": ranks[q, d]} for d, s in zip(r.docids, r.scores)],
        }
        for q, r in run.rankings.items()
    }


def test_health_ready_and_models(client: TestClient, served_project) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["rerank"] and ready.json()["suggest"]
    models = client.get("/v1/models").json()
    tracker = Project.open(served_project.root).tracker
    for model in ("tag2vec", "mapper", "reranker"):
        assert models["serving"][model] == tracker.by_alias(model, "champion").version
    assert models["serving"]["fusion"] is None and models["loaded_at"]["fusion"] is None and models["fusion"] is None
    assert "no fusion passed its gate" in models["errors"]["fusion"]
    assert models["encoder"]["weights_kind"] == "demo-trained" and models["catalogue"]["cached"] == 24
    assert client.get("/docs").status_code == 200 and "/v1/rerank" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("alpha", [None, 0.7], ids=["champion-alpha", "alpha-0.7"])
def test_rerank_equals_the_cli_on_every_demo_topic(
    client: TestClient, served_project, tmp_path: Path, alpha: float | None
) -> None:
    p = client.get("/v1/models").json()["reranker"]
    s, out = served_project.demo / "search", tmp_path / "cli.run"
    reeltag(
        "rerank",
        str(s / "base.run"),
        "--topics",
        str(s / "topics.txt"),
        "--manifest",
        str(s / "manifest.csv"),
        "-o",
        str(out),
        "--alpha",
        str(p["alpha"] if alpha is None else alpha),
        "--depth",
        str(p["depth"]),
        "--pooling",
        p["pooling"],
        "--normalisation",
        p["normalisation"],
        "--root",
        str(served_project.root),
    )
    expected, moved = read_run(out), 0
    for qid, body in search_requests(served_project.demo).items():
        got = client.post("/v1/rerank", json=body if alpha is None else {**body, "alpha": alpha})
        assert got.status_code == 200, got.text
        data = got.json()
        assert [r["docid"] for r in data["results"]] == list(expected.rankings[qid].docids)
        assert [r["score"] for r in data["results"]] == pytest.approx(list(expected.rankings[qid].scores), abs=1e-5)
        assert data["missing"] == [] and data["model"]["weights_kind"] == "demo-trained"
        assert all(r["clip"] is not None for r in data["results"])
        moved += any(r["rank"] != r["engine_rank"] for r in data["results"])
    assert moved or alpha is None  # with α = 0.7 CLIP reorders some topic: the comparison is not the engine's order twice


def as_columns(body: dict[str, Any]) -> dict[str, Any]:
    """A list-form /v1/rerank body with its candidates as columns."""
    given = body["candidates"]
    columns = {"docids": [c["docid"] for c in given], "scores": [c["score"] for c in given], "ranks": [c["rank"] for c in given]}
    return {**body, "candidates": columns}


def test_the_columns_form_answers_the_list_forms_results_in_columns(client: TestClient, served_project) -> None:
    for body in search_requests(served_project.demo).values():
        body["candidates"].append({"docid": "not-in-the-catalogue", "score": -1.0, "rank": 1000})
        for extra in ({}, {"depth": 3, "alpha": 0.9}):
            listed = client.post("/v1/rerank", json={**body, **extra}).json()
            got = client.post("/v1/rerank", json={**as_columns(body), **extra})
            assert got.status_code == 200, got.text
            columns = RerankResponse.model_validate_json(got.content).results
            assert isinstance(columns, RerankedColumns)
            expected = {key: [r[key] for r in listed["results"]] for key in ("docid", "score", "engine_rank", "clip")}
            assert expected == {
                "docid": columns.docids,
                "score": columns.scores,
                "engine_rank": columns.engine_ranks,
                "clip": columns.clip,
            }
            assert got.json()["missing"] == listed["missing"] == ["not-in-the-catalogue"]
    two = {"docids": ["s0001", "s0001"], "scores": [1.0, 0.5]}
    assert "twice" in client.post("/v1/rerank", json={"query": "q", "candidates": two}).json()["detail"]
    many = {"docids": [f"d{i}" for i in range(1001)], "scores": [1.0] * 1001}
    assert "max_candidates" in client.post("/v1/rerank", json={"query": "q", "candidates": many}).json()["detail"]


def test_alpha_zero_keeps_the_engine_order_and_unknown_docids_are_listed(client: TestClient, served_project) -> None:
    body = next(iter(search_requests(served_project.demo).values()))
    body["candidates"].append({"docid": "not-in-the-catalogue", "score": 99.0})
    data = client.post("/v1/rerank", json={**body, "alpha": 0.0}).json()
    assert data["missing"] == ["not-in-the-catalogue"]
    assert [r["engine_rank"] for r in data["results"]] == list(range(1, len(body["candidates"]) + 1))
    assert data["results"][0]["docid"] == "not-in-the-catalogue" and data["results"][0]["clip"] is None


def test_a_catalogue_video_without_cached_features_is_listed_and_queued(
    served_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = served_project.demo / "search"
    rows = (s / "manifest.csv").read_text().splitlines()
    docid, rel = rows[1].split(",")
    fresh = tmp_path / "fresh.mp4"
    fresh.write_bytes((s / rel).read_bytes() + b"\0")  # other bytes → another cache key: not cached
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "\n".join([rows[0], f"new1,{fresh}"] + [f"{r.split(',')[0]},{s / r.split(',')[1]}" for r in rows[1:]]) + "\n"
    )
    # the fresh video is named by absolute path (outside the catalogue's folder): allow it, here and in the CLI
    monkeypatch.setenv("REELTAG_PATHS__ALLOW_ABSOLUTE_MANIFEST_PATHS", "true")
    project = Project.open(served_project.root, api={"catalogue": str(catalogue)})
    service = Service.start(project)
    body = {"query": "a red circle", "candidates": [{"docid": "new1", "score": 2.0}, {"docid": docid, "score": 1.0}]}
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as c:
        before = c.post("/v1/rerank", json=body).json()
        queued = [json.loads(line) for line in project.paths.feature_queue.read_text().splitlines()]
        reeltag("features", "extract", str(project.paths.feature_queue), "--root", str(served_project.root))
        service.refresh()  # what the watcher does every api.reload_s: the new features are served
        after = c.post("/v1/rerank", json=body).json()
        cached = c.get("/v1/models").json()["catalogue"]["cached"]
    assert before["missing"] == ["new1"] and {"docid": "new1", "path": str(fresh.resolve())} in queued
    assert after["missing"] == [] and all(r["clip"] is not None for r in after["results"])
    assert cached == 25


def _cli_suggestions(root: Path, video: Path) -> list[tuple[str, float]]:
    out = reeltag("suggest", str(video), "-k", "5", "--root", str(root))
    return [(t["tag"], t["score"]) for t in out["videos"][0]["tags"]]


def _tags(response: Any) -> list[tuple[str, float]]:
    assert response.status_code == 200, response.text
    return [(t["tag"], t["score"]) for t in response.json()["tags"]]


def test_suggest_by_path_docid_and_upload_equal_the_cli(client: TestClient, served_project) -> None:
    demo = served_project.demo
    label_video = Path(next(iter((demo / "labels.csv").read_text().splitlines()[1:])).split(",")[0])
    path = label_video if label_video.is_absolute() else demo / label_video
    expected = _cli_suggestions(served_project.root, path)
    by_path = _tags(client.post("/v1/suggest", json={"video": str(path.relative_to(demo)), "k": 5}))
    assert [t for t, _ in by_path] == [t for t, _ in expected]
    assert [s for _, s in by_path] == pytest.approx([s for _, s in expected], abs=1e-5)
    upload = _tags(client.post("/v1/suggest", files={"video": ("clip.mp4", path.read_bytes(), "video/mp4")}, data={"k": "5"}))
    assert [t for t, _ in upload] == [t for t, _ in by_path]
    assert [s for _, s in upload] == pytest.approx([s for _, s in by_path], abs=1e-6)
    s = demo / "search"
    docid, rel = (s / "manifest.csv").read_text().splitlines()[1].split(",")
    by_docid = _tags(client.post("/v1/suggest", json={"video": docid, "k": 5}))
    assert [t for t, _ in by_docid] == [t for t, _ in _cli_suggestions(served_project.root, s / rel)]


def test_suggest_text_without_a_fusion_is_noted_never_an_error(client: TestClient, served_project) -> None:
    """No reeltag.fusion here: any text (good, empty, 100 kB, another script, emoji only) gets the mapper's tags,
    each credited to the mapper, and a note saying the text was not used and why."""
    video = str(next((served_project.demo / "videos").glob("label_*.mp4")).relative_to(served_project.demo))
    plain = client.post("/v1/suggest", json={"video": video, "k": 5}).json()
    assert plain["note"] == "" and plain["ranking"].startswith("mapper alone")
    for text in ("Best day at the beach", "", "x" * 100_000, "Лучший день на пляже", "😀🔥❤️"):
        got = client.post("/v1/suggest", json={"video": video, "k": 5, "text": text})
        assert got.status_code == 200, got.text
        body = got.json()
        assert [t["tag"] for t in body["tags"]] == [t["tag"] for t in plain["tags"]]
        assert {t["branch"] for t in body["tags"]} == {"mapper"} and "no fusion passed its gate" in body["note"]
    document = client.get("/openapi.json").json()
    bodies = document["paths"]["/v1/suggest"]["post"]["requestBody"]["content"]
    assert bodies["application/json"]["schema"] == {"$ref": "#/components/schemas/SuggestRequest"}
    assert "text" in document["components"]["schemas"]["SuggestRequest"]["properties"]
    assert "text" in bodies["multipart/form-data"]["schema"]["properties"]


GOOD = {"query": "a red circle", "candidates": [{"docid": "s0001", "score": 1.0}, {"docid": "s0002", "score": 0.5}]}


def _rerank_json(**changes: Any) -> dict[str, Any]:
    return {"json": {**GOOD, **changes}}


BAD_REQUESTS = {  # kind → (route, request kwargs, expected status, a word the reason must contain)
    "broken JSON": (
        "/v1/rerank",
        {"content": b'{"query": "x", "candidates": [', "headers": {"content-type": "application/json"}},
        422,
        "json",
    ),
    "wrong types": ("/v1/rerank", _rerank_json(query=5, candidates="all"), 422, "query"),
    "zero candidates": ("/v1/rerank", _rerank_json(candidates=[]), 422, "candidates"),
    "100,000 candidates": (
        "/v1/rerank",
        _rerank_json(candidates=[{"docid": f"d{i}", "score": 1.0} for i in range(100_000)]),
        413,
        "body",
    ),
    "1,001 candidates (under the body cap)": (
        "/v1/rerank",
        _rerank_json(candidates=[{"docid": f"{i}", "score": 1} for i in range(1001)]),
        422,
        "max_candidates",
    ),
    "duplicate docids": (
        "/v1/rerank",
        _rerank_json(candidates=[{"docid": "a", "score": 1.0}, {"docid": "a", "score": 0.5}]),
        422,
        "twice",
    ),
    "NaN score": (
        "/v1/rerank",
        {
            "content": b'{"query": "x", "candidates": [{"docid": "a", "score": NaN}]}',
            "headers": {"content-type": "application/json"},
        },
        422,
        "score",
    ),
    "10 MB query": ("/v1/rerank", _rerank_json(query="x" * 10_000_000), 413, "body"),
    "query over api.max_query_chars": ("/v1/rerank", _rerank_json(query="x" * 5000), 422, "max_query_chars"),
    "alpha outside [0, 1]": ("/v1/rerank", _rerank_json(alpha=2.0), 422, "alpha"),
    "unknown field": ("/v1/rerank", _rerank_json(extra=1), 422, "extra"),
    "path escaping api.video_root": ("/v1/suggest", {"json": {"video": "../../../etc/passwd"}}, 403, "video_root"),
    "unknown video": ("/v1/suggest", {"json": {"video": "no-such-docid-or-file.mp4"}}, 404, "no video"),
    "k over api.max_k": ("/v1/suggest", {"json": {"video": "s0001", "k": 100_000}}, 422, "max_k"),
    "non-video upload": (
        "/v1/suggest",
        {"files": {"video": ("notes.mp4", b"just some text, not a video" * 10, "video/mp4")}},
        415,
        "not a video",
    ),
    "unreadable video upload": (
        "/v1/suggest",
        {"files": {"video": ("broken.mp4", b"\0\0\0\x18ftypmp42" + b"\x01" * 5000, "video/mp4")}},
        422,
        "unreadable",
    ),
    "oversized upload": (
        "/v1/suggest",
        {"files": {"video": ("big.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 2 * 2**20, "video/mp4")}},
        413,
        "body",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_REQUESTS))
def test_bad_requests_are_4xx_with_the_reason(client: TestClient, kind: str) -> None:
    route, kwargs, status, word = BAD_REQUESTS[kind]
    got = client.post(route, **kwargs)
    assert got.status_code == status, got.text[:500]
    assert word.lower() in str(got.json()["detail"]).lower(), got.text[:500]
    assert client.post("/v1/rerank", json=GOOD).status_code == 200  # and the server keeps serving


def test_refused_uploads_are_quarantined(client: TestClient, service: Service) -> None:
    client.post("/v1/suggest", files={"video": ("notes.mp4", b"plain text" * 20, "video/mp4")})
    reasons = [r["reason"] for r in quarantine.read(service.project.paths.quarantine, "videos") if "notes.mp4" in r["item"]]
    assert reasons and "not a video" in reasons[-1]


def test_a_non_local_host_needs_the_token(served_project) -> None:
    from reeltag.api.guard import check_bind
    from reeltag.errors import BadInput

    with pytest.raises(BadInput, match="REELTAG_API__TOKEN"):
        check_bind("0.0.0.0", None)
    project = Project.open(served_project.root, api={"host": "0.0.0.0", "token": "s3cret-token"})
    with TestClient(create_app(Service.start(project), watch=False), base_url=LOCAL) as c:
        assert c.get("/healthz").status_code == 200  # health needs no token
        missing = c.post("/v1/rerank", json=GOOD)
        wrong = c.post("/v1/rerank", json=GOOD, headers={"Authorization": "Bearer nope"})
        right = c.post("/v1/rerank", json=GOOD, headers={"Authorization": "Bearer s3cret-token"})
        assert (missing.status_code, wrong.status_code, right.status_code) == (401, 403, 200)
        assert "missing" in missing.json()["detail"] and "wrong token" in wrong.json()["detail"]
        assert c.get("/v1/models").status_code == 401 and c.get("/metrics").status_code == 401


def test_metrics_count_requests_cache_hits_and_missing_features(client: TestClient) -> None:
    for _ in range(2):
        client.post("/v1/rerank", json={**GOOD, "candidates": [*GOOD["candidates"], {"docid": "ghost", "score": 0.1}]})
    text = client.get("/metrics").text
    assert 'reeltag_api_requests_total{route="/v1/rerank",status="200"}' in text
    assert 'reeltag_api_query_cache_total{result="hit"}' in text
    assert "reeltag_api_request_seconds_bucket" in text
    missing = [line for line in text.splitlines() if line.startswith("reeltag_api_missing_features_total")]
    assert missing and float(missing[0].split()[-1]) >= 2
