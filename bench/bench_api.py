"""P7: ``/v1/rerank`` over HTTP under load, next to the in-process scoring and the bare numpy work.

    python -m bench.bench_api [--repeats N] [--requests 2000] [--clients 8]

A ``reeltag api`` app (the real one: FastAPI, guard, metrics, handlers) runs under uvicorn in a child process
on a free 127.0.0.1 port, stopped by its pid. Its catalogue is synthetic: 5,000 documents × 8 frames × 512
dims (unit vectors, the ViT-B-32 shape) in one contiguous matrix, all cached; its reranker champion is set in
memory (α 0.5, minmax, max), the query text encoder is ViT-B-32 with random weights (16 distinct queries, so
after the first request of each the LRU answers). 8 async httpx clients send a bounded number of requests,
each with 1,000 candidates drawn from the catalogue; p50/p95/p99 latency and requests/s are reported (with
8 in flight a request also waits behind the others), then the p50 of 100 requests from one client alone.
The same requests are then scored in process (``prepare_candidates`` + ``score_topic`` + ``ranking_of``: the
frames gathered from the matrix, what the handler runs) interleaved with the bare numpy work on pre-gathered
contiguous arrays (one matmul, max over frames, two min-max normalisations, a stable argsort); 8 distinct
candidate lists are cycled so neither side finds its 16 MB in the CPU cache. ``/v1/suggest`` p50 is for one
uncached 10 s video (the feature cache is cleared before each request), as in P4.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

DOCS, CANDIDATES, FRAMES, DIM, TAG_DIM = 5000, 1000, 8, 512, 100
QUERIES, DISTINCT, ALPHA, SEQUENTIAL = 16, 8, 0.5, 100
REPO = Path(__file__).resolve().parents[1]


def catalogue_frames(seed: int = 0) -> dict[str, np.ndarray]:
    vectors = np.random.default_rng(seed).normal(size=(DOCS, FRAMES, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=-1, keepdims=True)
    return {f"d{i:05d}": vectors[i] for i in range(DOCS)}


def request_bodies(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` distinct /v1/rerank bodies: 1,000 catalogue candidates each, engine scores descending."""
    rng = np.random.default_rng(seed)
    bodies = []
    for i in range(n):
        picked = rng.choice(DOCS, size=CANDIDATES, replace=False)
        scores = np.sort(rng.random(CANDIDATES))[::-1]
        bodies.append(
            {
                "query": f"query number {i % QUERIES}",
                "qid": f"q{i}",
                "candidates": [{"docid": f"d{d:05d}", "score": round(float(s), 6)} for d, s in zip(picked, scores)],
            }
        )
    return bodies


def bench_service(root: Path, api: dict[str, Any] | None = None) -> Any:
    """The serving state the child process runs: synthetic catalogue, champions set in memory (``api``: more
    ``[api]`` settings)."""
    from reeltag.api.champions import Champions, Reranker, now
    from reeltag.api.service import Service
    from reeltag.project import Project
    from reeltag.rerank.catalogue import build_matrix
    from reeltag.rerank.catalogue_loader import Catalogue
    from reeltag.rerank.model import RerankerParams
    from reeltag.video.encoder import load_encoder

    project = Project.open(root, tracking={"enabled": False}, api={"video_root": str(root), "max_body_kb": 4096, **(api or {})})
    encoder = load_encoder(project.settings.clip.model_copy(update={"arch": "ViT-B-32", "threads": 1}), project.paths)
    frames = catalogue_frames()
    catalogue = Catalogue(
        manifest=root / "catalogue.csv",
        paths={d: root / f"{d}.mp4" for d in frames},
        matrix=build_matrix(frames, DIM),
        not_cached=(),
        model_id=encoder.model_id,
        issues=(),
        matrix_file=None,
    )
    service = Service(project, encoder, catalogue)
    service.champions = Champions(
        suggester=_suggester(encoder, now()),
        reranker=Reranker(
            RerankerParams(
                alpha=ALPHA,
                normalisation="minmax",
                pooling="max",
                top_m=3,
                depth=CANDIDATES,
                encoder_model_id=encoder.model_id,
                encoder_weights=encoder.weights_kind,
            ),
            "bench",
            now(),
        ),
    )
    return service


def _suggester(encoder: Any, loaded_at: str) -> Any:
    from reeltag.api.champions import Suggester
    from reeltag.mapper.data import Champion
    from reeltag.mapper.model import MapperArgs, TagMapper
    from reeltag.tag2vec.space import TagSpace

    args = MapperArgs(in_dim=DIM, out_dim=TAG_DIM, hidden=256, loss="ranking", temperature=0.1, encoder_id=encoder.model_id)
    tags = tuple(f"t{i}" for i in range(100_000))
    space = TagSpace(
        tags=tags, vectors=np.random.default_rng(3).normal(size=(len(tags), TAG_DIM)).astype(np.float32), version="bench"
    )
    mapper = Champion(SimpleNamespace(version="bench"), TagMapper(args).eval(), args)
    return Suggester(space=space, mapper=mapper, tag2vec_version="bench", mapper_version="bench", loaded_at=loaded_at)


def serve(root: Path, port: int, api: dict[str, Any] | None = None) -> None:
    import uvicorn

    from reeltag.api.app import create_app

    service = bench_service(root, api)
    try:
        uvicorn.run(create_app(service, watch=False), host="127.0.0.1", port=port, log_level="warning")
    finally:
        service.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(root: Path, port: int, timeout_s: float = 300.0, api: dict[str, Any] | None = None) -> subprocess.Popen:
    import httpx

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")])}
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_api", "--serve", str(port), "--root", str(root), "--api", json.dumps(api or {})],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    _stop(proc)
    raise RuntimeError(f"bench server did not start: {(root / 'server.log').read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def _load(url: str, payloads: list[bytes], total: int, clients: int) -> tuple[list[float], float, list[int]]:
    """``clients`` concurrent workers send ``total`` requests in all; per-request seconds, wall seconds, statuses."""
    import httpx

    latencies, statuses, counter = [], [], iter(range(total))
    headers = {"content-type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            response = await client.post("/v1/rerank", content=payloads[i % len(payloads)], headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses.append(response.status_code)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker(client) for _ in range(clients))), timeout=1800)
        return latencies, time.perf_counter() - started, statuses


def _suggest_ms(url: str, root: Path, video: Path, repeats: int) -> list[float]:
    """Milliseconds of /v1/suggest for one uncached 10 s video (feature cache cleared before each)."""
    import httpx

    times = []
    for _ in range(repeats + 1):  # the first is a warm-up (first forward pass)
        shutil.rmtree(root / "data" / "features", ignore_errors=True)
        started = time.perf_counter()
        response = httpx.post(f"{url}/v1/suggest", json={"video": video.name, "k": 10}, timeout=120.0)
        times.append((time.perf_counter() - started) * 1000.0)
        assert response.status_code == 200, response.text
    return times[1:]


def _minmax(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def bare_numpy(frames: np.ndarray, query: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The floor: one matmul, max over frames, two normalisations, a stable argsort (contiguous input)."""
    docs = frames.shape[0]
    clip = (frames.reshape(docs * FRAMES, DIM) @ query).reshape(docs, FRAMES).max(axis=1)
    return np.argsort(-(ALPHA * _minmax(clip) + (1 - ALPHA) * _minmax(base)), kind="stable")


def in_process_ms(bodies: list[dict[str, Any]], rounds: int) -> tuple[list[float], list[float]]:
    """Scoring ms per request, the API's path (matrix gather + reeltag's scoring) and the bare numpy floor,
    interleaved request by request over ``DISTINCT`` cycled candidate lists."""
    from reeltag.api.rerank_service import engine_ranking
    from reeltag.api.schemas import RerankRequest
    from reeltag.rerank.apply import ranking_of, score_topic
    from reeltag.rerank.catalogue import build_matrix, prepare_candidates
    from reeltag.rerank.tuning import Setting

    frames = catalogue_frames()
    matrix = build_matrix(frames, DIM)
    requests = [engine_ranking(RerankRequest.model_validate(b)) for b in bodies[:DISTINCT]]
    stacked = [np.stack([frames[d] for d in r.docids]) for r in requests]
    query = np.random.default_rng(5).normal(size=DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    setting, api, bare = Setting(ALPHA, "minmax", "max"), [], []
    for i in range(rounds * DISTINCT):
        rank = requests[i % DISTINCT]
        started = time.perf_counter()
        bare_numpy(stacked[i % DISTINCT], query, np.asarray(rank.scores))
        bare.append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        topic = prepare_candidates(matrix, rank, query, CANDIDATES)
        ranking_of(topic, score_topic(topic, setting, 3))
        api.append((time.perf_counter() - started) * 1000.0)
    return api, bare


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def run(repeats: int = 3, requests: int = 2000, clients: int = 8) -> dict[str, Any]:
    """P7 row for ``python -m bench``."""
    from bench.bench_suggest import make_video

    bodies = request_bodies(64)
    payloads = [json.dumps(b).encode() for b in bodies]
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-api-") as tmp:
        root, port = Path(tmp), _free_port()
        video = make_video(root / "ten_seconds.mp4")
        proc = _start(root, port)
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(_load(url, payloads, 4 * clients, clients))  # warm-up: query vectors, connections
            latencies, wall, statuses = asyncio.run(_load(url, payloads, requests, clients))
            alone = asyncio.run(_load(url, payloads, SEQUENTIAL, 1))[0]  # one client: no queueing behind others
            suggest = _suggest_ms(url, root, video, repeats)
        finally:
            _stop(proc)
    api, bare = in_process_ms(bodies, rounds=max(10, 10 * repeats))
    ms = [x * 1000.0 for x in latencies]
    http_p50, api_p50, bare_p50 = _pct(ms, 50), _pct(api, 50), _pct(bare, 50)
    alone_p50 = _pct([x * 1000.0 for x in alone], 50)
    return {
        "figure": f"P7 /v1/rerank over HTTP, top-{CANDIDATES} cached candidates, {clients} clients, {requests} requests",
        "summary": (
            f"p50 {http_p50} ms, p95 {_pct(ms, 95)} ms, p99 {_pct(ms, 99)} ms, {requests / wall:.0f} req/s; "
            f"HTTP p50 ÷ in-process scoring p50 {http_p50 / api_p50:.1f} (one client alone: p50 {alone_p50} ms, "
            f"{alone_p50 / api_p50:.1f}×); in-process scoring {api_p50} ms "
            f"vs bare numpy {bare_p50} ms ({api_p50 / bare_p50:.2f}×); /v1/suggest one 10 s video p50 "
            f"{float(np.median(suggest)):.0f} ms"
        ),
        "http_p50_ms": http_p50,
        "http_p95_ms": _pct(ms, 95),
        "http_p99_ms": _pct(ms, 99),
        "requests_per_s": round(requests / wall, 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
        "in_process_scoring_p50_ms": api_p50,
        "bare_numpy_p50_ms": bare_p50,
        "ratio": round(api_p50 / bare_p50, 2),
        "ratio_means": "in-process scoring p50 / bare numpy p50 (goal ≤ 2)",
        "http_over_in_process": round(http_p50 / api_p50, 1),
        "one_client_p50_ms": alone_p50,
        "one_client_over_in_process": round(alone_p50 / api_p50, 1),
        "suggest_p50_ms": round(float(np.median(suggest)), 1),
        "requests": requests,
        "clients": clients,
        "catalogue_docs": DOCS,
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)  # child mode: serve on this port
    parser.add_argument("--root", default="", help=argparse.SUPPRESS)
    parser.add_argument("--api", default="{}", help=argparse.SUPPRESS)  # child mode: more [api] settings (JSON)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.root), args.serve, json.loads(args.api))
        return
    print(json.dumps(run(args.repeats, args.requests, args.clients), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
