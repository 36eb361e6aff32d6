"""The API's pure parts: the catalogue matrix scores exactly like ``reeltag rerank``'s per-document path,
the container sniffer, the bind and token rules, the body cap, the query-vector LRU."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from reeltag.api.guard import Guard, check_bind, token_problem
from reeltag.api.textcache import QueryVectors
from reeltag.errors import BadInput
from reeltag.rerank.apply import prepare_topic, rerank_topic
from reeltag.rerank.catalogue import build_matrix, prepare_candidates
from reeltag.rerank.formats import Ranking
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
    champions = SimpleNamespace(suggester=SimpleNamespace(space=None, mapper=None), fusion=None, errors={})
    service = SimpleNamespace(project=project, champions=champions, encoder="the API's", budget="the API's budget")
    with pytest.raises(BadInput):
        suggest_service.suggest(service, tmp_path / "v.mp4", "v.mp4", SuggestRequest(video="v.mp4"))  # type: ignore[arg-type]
    executor = seen["executor"]
    assert isinstance(executor, partial) and executor.func is extract_locally
    assert executor.keywords == {"encoder": "the API's", "budget": "the API's budget", "keep_features": True}
