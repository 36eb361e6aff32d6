"""The API's pure parts: the catalogue matrix scores exactly like ``reeltag rerank``'s per-document path,
the container sniffer, the bind and token rules, the body cap, the query-vector LRU."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reeltag.api.guard import Guard, check_bind, token_problem
from reeltag.api.rerank_service import engine_ranking
from reeltag.api.schemas import (
    BodyRefused,
    OnlineArm,
    RerankAnswer,
    RerankModel,
    RerankRequest,
    RerankResponse,
    parse_body,
    parse_json_native,
)
from reeltag.api.textcache import QueryVectors
from reeltag.errors import BadInput
from reeltag.rerank.apply import prepare_topic, rerank_topic
from reeltag.rerank.catalogue import build_matrix, prepare_candidates
from reeltag.rerank.formats import Ranking, topic_ranking
from reeltag.rerank.frame_dots import frame_dots
from reeltag.rerank.tuning import Setting
from reeltag.video.inputs import sniff_container

SRC = Path(__file__).resolve().parents[2] / "src" / "reeltag"


def _store(rng: np.random.Generator, n: int, dim: int) -> dict[str, np.ndarray]:
    """Unit frame vectors, 3 to 8 frames per document (so the matrix pads)."""
    frames = {}
    for i in range(n):
        f = rng.normal(size=(int(rng.integers(3, 9)), dim)).astype(np.float32)
        frames[f"d{i}"] = f / np.linalg.norm(f, axis=1, keepdims=True)
    return frames


@pytest.mark.parametrize("setting", [Setting(0.5, "minmax", "max"), Setting(0.8, "zscore", "topm"), Setting(1.0, "none", "mean")])
def test_matrix_scoring_equals_the_per_document_path(setting: Setting) -> None:
    rng = np.random.default_rng(3)
    store = _store(rng, 60, 16)
    matrix = build_matrix({d: f for d, f in store.items() if d != "d7"}, 16)  # d7: in the run, not cached
    docids = ("d7", "ghost", *[f"d{i}" for i in rng.choice(60, 30, replace=False) if i != 7])
    rank = Ranking("q", docids, tuple(float(s) for s in np.sort(rng.random(len(docids)))[::-1]))
    query = rng.normal(size=16).astype(np.float32)
    known = {d: f for d, f in store.items() if d != "d7"}
    for depth in (5, len(docids)):
        expected = rerank_topic(prepare_topic(rank, query, known, depth), setting, 3)
        got = rerank_topic(prepare_candidates(matrix, rank, query, depth), setting, 3)
        assert got.docids == expected.docids
        assert got.scores == pytest.approx(expected.scores, abs=1e-6)  # float32 sums over other paddings


def test_matrix_similarities_are_the_cosines_numpy_gives_in_memory_or_mapped(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    store = _store(rng, 50, 8)
    query = rng.normal(size=8).astype(np.float32)
    docids = ["ghost", *rng.permutation(list(store))[:40], "ghost"]  # engine order; ghost (row 0) twice
    for matrix in (build_matrix(store, 8), build_matrix(store, 8, tmp_path / "m.npy")):
        got = matrix.similarities(matrix.rows(docids), query)
        for at, docid in enumerate(docids):
            frames = store.get(docid, np.zeros((0, 8), dtype=np.float32))
            expected = frames @ query / np.linalg.norm(frames, axis=1) / np.linalg.norm(query)
            np.testing.assert_allclose(got[at, : len(frames)], expected, rtol=1e-5, atol=1e-6)
            assert np.isneginf(got[at, len(frames) :]).all()  # padding, and the empty row's every frame
        assert matrix.similarities(matrix.rows([]), query).shape == (0, matrix.vectors.shape[1])


def test_frame_dots_are_numpys_products_for_any_count_of_rows_and_refuse_what_they_would_misread() -> None:
    rng = np.random.default_rng(9)
    vectors = rng.normal(size=(12, 3, 20)).astype(np.float32)
    query = rng.normal(size=20).astype(np.float32)
    for n in range(10):  # four rows are read at once: every remainder
        rows = rng.integers(0, 12, size=n)
        np.testing.assert_allclose(frame_dots(vectors, rows, query), vectors[rows] @ query, rtol=1e-5, atol=1e-5)
    for rows in ([12], [-1], [0, 50]):
        with pytest.raises(IndexError, match="outside the matrix"):
            frame_dots(vectors, np.array(rows), query)
    with pytest.raises(TypeError, match="integers"):
        frame_dots(vectors, np.array([1.9]), query)  # not truncated to row 1
    with pytest.raises(ValueError, match="query of shape"):
        frame_dots(vectors, np.array([1]), query[:-1])  # never read past its end
    for other in (vectors.astype(np.float64), np.asfortranarray(vectors), vectors[0]):
        with pytest.raises(ValueError, match="C-ordered"):
            frame_dots(other, np.array([0]), query)


def test_matrix_is_contiguous_and_can_be_memory_mapped(tmp_path: Path) -> None:
    store = _store(np.random.default_rng(0), 5, 8)
    mapped = build_matrix(store, 8, tmp_path / "m.npy")
    assert isinstance(mapped.vectors, np.memmap) and mapped.vectors.flags.c_contiguous
    assert mapped.counts[0] == 0 and mapped.rows(["d3", "nope"]).tolist() == [mapped.index["d3"], 0]
    assert np.array_equal(np.load(tmp_path / "m.npy")[mapped.index["d2"], : len(store["d2"])], store["d2"])


@pytest.mark.parametrize(
    ("head", "suffix"),
    [
        (b"\0\0\0\x18ftypisom" + b"\0" * 8, ".mp4"),
        (b"\x1a\x45\xdf\xa3" + b"\0" * 12, ".mkv"),
        (b"RIFF\0\0\0\0AVI LIST", ".avi"),
        (b"FLV\x01" + b"\0" * 12, ".flv"),
        (b"hello, not a video", None),
        (b"", None),
    ],
)
def test_sniff_container(head: bytes, suffix: str | None) -> None:
    assert sniff_container(head) == suffix


def test_bind_rule_and_token_check() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "t")
    with pytest.raises(BadInput, match="without api.token"):
        check_bind("0.0.0.0", None)
    assert token_problem({}, "t")[0] == 401
    assert token_problem({"authorization": "Bearer x"}, "t")[0] == 403
    assert token_problem({"authorization": "Basic t"}, "t")[0] == 403
    assert token_problem({"authorization": "Bearer t"}, "t") is None


def _call(guard: Guard, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    sent: list[dict] = []
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    sent_headers = [(b"host", b"127.0.0.1:8008"), (b"content-type", b"application/json"), *headers]
    scope = {"type": "http", "method": "POST", "path": path, "headers": sent_headers}
    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_guard_caps_bodies_without_a_content_length_and_replays_small_ones() -> None:
    async def echo(scope: dict, receive, send) -> None:
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    guard = Guard(echo, token=None, max_body=5000, max_upload=100_000, hosts=frozenset({"127.0.0.1"}))
    assert _call(guard, "/v1/rerank", b"x" * 4000, []) == (200, b"x" * 4000)
    status, body = _call(guard, "/v1/rerank", b"x" * 6000, [])
    assert status == 413 and b"body over 5000 bytes" in body
    upload = [(b"content-type", b"multipart/form-data; boundary=x")]
    assert _call(guard, "/v1/suggest", b"x" * 60_000, upload)[0] == 200
    assert _call(guard, "/v1/rerank", b"x", [(b"content-length", b"nonsense")])[0] == 400


def test_query_vectors_are_an_lru_with_hits() -> None:
    calls: list[str] = []
    cache = QueryVectors(lambda t: calls.append(t) or np.array([len(t)], dtype=np.float32), size=2)
    assert cache.get("a")[1] is False and cache.get("a")[1] is True
    cache.get("bb"), cache.get("ccc")  # "a" is the least recently used: evicted
    assert cache.get("a")[1] is False and calls == ["a", "bb", "ccc", "a"] and len(cache) == 2


def test_fastapi_and_uvicorn_are_imported_only_under_api_and_review() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(fastapi|uvicorn|starlette)\b", re.MULTILINE)
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0] not in ("api", "review") and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_reeltag_api_refuses_a_non_local_host_without_a_token(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reeltag.cli import app

    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "REELTAG_API__TOKEN" in result.output


def test_an_api_suggest_extracts_in_this_process_even_when_the_project_uses_dask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial
    from types import SimpleNamespace

    from reeltag.api import suggest_service
    from reeltag.api.schemas import SuggestRequest
    from reeltag.project import Project
    from reeltag.suggest import steps
    from reeltag.video.executors import extract_locally
    from reeltag.video.steps import executor_for

    project = Project.open(tmp_path, video={"executor": "dask"})
    assert executor_for(project).__name__ == "extract_on_dask"  # the batch default for this project
    seen = {}

    def fake_suggest_tags(*_args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        raise BadInput("stop here")

    monkeypatch.setattr(steps, "suggest_tags", fake_suggest_tags)
    held = SimpleNamespace(encoder="the API's")  # the serving set's encoder (HeldEncoder)
    champions = SimpleNamespace(suggester=SimpleNamespace(space=None, mapper=None), fusion=None, errors={}, encoder=held)
    service = SimpleNamespace(project=project, champions=champions, budget="the API's budget")
    with pytest.raises(BadInput):
        suggest_service.suggest(service, tmp_path / "v.mp4", "v.mp4", SuggestRequest(video="v.mp4"))  # type: ignore[arg-type]
    executor = seen["executor"]
    assert isinstance(executor, partial) and executor.func is extract_locally
    assert executor.keywords == {"encoder": "the API's", "budget": "the API's budget", "keep_features": True}


def test_a_rerank_answer_writes_a_rerank_response_and_reorders_by_docid() -> None:
    model = RerankModel(version="3", alpha=0.5, normalisation="minmax", pooling="max", encoder="e", weights_kind="random")
    answer = RerankAnswer(
        request_id="r1",
        qid=None,
        model=model,
        docids=["b", "a", "c"],
        scores=[0.9, 0.5, -1.0],
        engine_ranks=[2, 1, 3],
        clip=[0.31, None, None],
        missing=["c"],
    )
    written = RerankResponse.model_validate_json(answer.json())
    assert [(r.docid, r.rank, r.engine_rank, r.clip) for r in written.results] == [
        ("b", 1, 2, 0.31),
        ("a", 2, 1, None),
        ("c", 3, 3, None),
    ]
    assert written.model == model and written.missing == ["c"] and written.experiment is None
    assert answer.engine_order() == ["a", "b", "c"]
    arm = OnlineArm(name="x", method="interleave", variant="interleaved", teams=["champion", "engine", "champion"])
    shown = RerankResponse.model_validate_json(answer.reordered(["a", "c", "b"], arm).json())
    assert [(r.docid, r.rank, r.score, r.engine_rank) for r in shown.results] == [
        ("a", 1, 0.5, 1),
        ("c", 2, -1.0, 3),
        ("b", 3, 0.9, 2),
    ]
    assert shown.experiment == arm


def test_engine_ranking_skips_the_sort_only_when_the_order_is_the_run_order() -> None:
    """Seeded random candidate lists (ties, ranks, some already sorted): always topic_ranking's order."""
    rng = np.random.default_rng(11)
    for _ in range(2000):
        n = int(rng.integers(1, 9))
        candidates: list[dict[str, Any]] = []
        for i in range(n):
            candidate: dict[str, Any] = {"docid": f"{'abcde'[rng.integers(5)]}{i}", "score": float(rng.choice([1, 2, 2, 3]))}
            if rng.random() < 0.5:
                candidate["rank"] = [None, 0, 1, 2, 5][rng.integers(5)]
            candidates.append(candidate)
        if rng.random() < 0.5:
            candidates.sort(key=lambda c: -c["score"])
        docs = {c["docid"]: (False, c["score"], i + 1 if c.get("rank") is None else c["rank"]) for i, c in enumerate(candidates)}
        request = RerankRequest.model_validate({"query": "q", "candidates": candidates})
        assert engine_ranking(request) == topic_ranking("api", docs), candidates
        ranks = [c.get("rank") for c in candidates]
        columns = {"docids": [c["docid"] for c in candidates], "scores": [c["score"] for c in candidates], "ranks": ranks}
        in_columns = RerankRequest.model_validate({"query": "q", "candidates": columns})
        assert engine_ranking(in_columns) == topic_ranking("api", docs), columns


def test_the_columns_form_needs_columns_of_one_length() -> None:
    for columns in ({"docids": ["a", "b"], "scores": [1.0]}, {"docids": ["a"], "scores": [1.0], "ranks": [1, 2]}):
        with pytest.raises(BodyRefused, match="as long as each other") as refused:
            parse_body(RerankRequest, json.dumps({"query": "q", "candidates": columns}).encode())
        assert refused.value.field == "candidates"
    with pytest.raises(BodyRefused, match="finite") as refused:
        parse_body(RerankRequest, b'{"query": "q", "candidates": {"docids": ["a"], "scores": [NaN]}}')
    assert refused.value.field == "candidates.scores.0"


def _outcome(parse: Any, raw: bytes) -> str:
    """What a parser makes of ``raw``: the model's fields with their types, or the refusal's field and reason."""
    try:
        return repr(parse(RerankRequest, raw).model_dump())
    except BodyRefused as refused:
        return f"refused {refused.field}: {refused.reason}"


ODD_BODIES = [
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.5, "rank": 3}, {"docid": "b", "score": 1}]}',
    b'{"query": "q", "candidates": {"docids": ["a", "b"], "scores": [2, 1.0], "ranks": [null, 7]}, "depth": 1}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0, "rank": 18446744073709551616}]}',  # orjson: a float
    b'{"query": "q", "candidates": [{"docid": "a", "score": 18446744073709551617}], "depth": 99999999999999999999}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1e400}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": NaN}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": "1.5"}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": true}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0, "rank": false}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0, "rank": 2.0}]}',
    b'{"query": "\\ud800", "candidates": [{"docid": "a", "score": 1.0}]}',
    b'{"query": "q", "query": "r", "candidates": [{"docid": "a", "score": 1.0}]}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0}], "alpha": 1}',
    b'{"query": "q", "candidates": [], "user": ""}',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0, "x": 1}]}',
    b'{"query": "q", "candidates": {"docids": ["a"]}}',
    b'[{"query": "q"}]',
    b'{"query": "q", "candidates": [{"docid": "a", "score": 1.0},]}',
    b'\xef\xbb\xbf{"query": "q", "candidates": [{"docid": "a", "score": 1.0}]}',
    b'{"query": "q\xff", "candidates": [{"docid": "a", "score": 1.0}]}',
    b'{"query": "q", "candidates": ' + b"[" * 2000 + b"]" * 2000 + b"}",
]


@pytest.mark.parametrize("raw", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_the_orjson_first_parse_accepts_and_refuses_as_json_validation_does(raw: bytes) -> None:
    """``parse_json_native`` (the rerank route's parse) against ``parse_body`` (pydantic's JSON validation): the
    same model with the same value types, or the same refusal, on bodies where orjson and pydantic's JSON differ."""
    assert _outcome(parse_json_native, raw) == _outcome(parse_body, raw)
