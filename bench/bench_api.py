"""P7: ``/v1/rerank`` over HTTP under load, beside the old code's server, the in-process scoring and the bare numpy work.

    python -m bench.bench_api [--repeats N] [--requests 1000] [--clients 8] [--old-commit bb937b6]

A ``reeltag api`` app (the real one: FastAPI, guard, metrics, handlers, under ``reeltag api``'s uvicorn server
with its limits and one BLAS thread per request) runs in a child process on a free 127.0.0.1 port, stopped by
its pid. Its catalogue is synthetic: 5,000 documents × 8 frames × 512 dims (unit vectors, the ViT-B-32 shape) in
one contiguous matrix, all cached; its reranker champion is set in memory (α 0.5, minmax, max), the query text
encoder is ViT-B-32 with random weights (16 distinct queries, so after the first request of each the LRU
answers). 8 async httpx clients send a bounded number of requests, each with 1,000 candidates drawn from the
catalogue; p50/p95/p99 latency and requests/s are reported (with 8 in flight a request also waits behind the
others), then the p50 of 100 requests sent one after another by one stdlib ``http.client`` connection, in 10
blocks of 10; between the blocks, in the bench process, the same kind of requests are scored in process
(``prepare_candidates`` + ``score_topic`` + ``ranking_of``: what the handler runs), 15 at a time, each beside the
bare numpy work on pre-gathered contiguous arrays (one matmul, max over frames, two min-max normalisations, a
stable argsort), both under the server's BLAS setting: the ratios compare figures taken in the same minute, since
this VM's speed drifts by half between minutes. All of it again with the same candidates sent as columns
(``{"docids": [...], "scores": [...]}``, answered in columns). The same list-form load then goes to the old code's
server (which has no columns form): ``--old-commit``'s files (``git archive``) served by that commit's own bench
server, in the same call. Then the bare work with every core. The in-process side cycles 5 candidate lists that
split one shuffle of the catalogue (and the requests sent split a shuffle every 5), so neither side finds a
request's rows in the CPU cache from the requests just before. ``/v1/suggest`` p50 is for one uncached 10 s video
(the feature cache is cleared before each request), as in P4.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

DOCS, CANDIDATES, FRAMES, DIM, TAG_DIM = 5000, 1000, 8, 512, 100
QUERIES, ALPHA, SEQUENTIAL = 16, 0.5, 100
DISTINCT = DOCS // CANDIDATES  # the in-process candidate lists cycled: one shuffle of the catalogue, no row shared
BLOCKS, IN_PROCESS_ROUNDS = 10, 3  # the one client's requests in 10 blocks of 10, each beside 3 × 5 in-process scorings
REPO = Path(__file__).resolve().parents[1]
OLD_COMMIT = "bb937b6"  # the tree issue 25's P7 figures were measured on, before this round's serving work


def catalogue_frames(seed: int = 0) -> dict[str, np.ndarray]:
    vectors = np.random.default_rng(seed).normal(size=(DOCS, FRAMES, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=-1, keepdims=True)
    return {f"d{i:05d}": vectors[i] for i in range(DOCS)}


def request_bodies(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` distinct /v1/rerank bodies: 1,000 catalogue candidates each, engine scores descending. Each run of
    ``DOCS // CANDIDATES`` bodies in a row splits one shuffle of the catalogue, so a body shares no candidate with
    the ones just before it in its run (nor do their rows share the CPU cache)."""
    rng = np.random.default_rng(seed)
    bodies, per_shuffle = [], DOCS // CANDIDATES
    for i in range(n):
        if i % per_shuffle == 0:
            shuffled = rng.permutation(DOCS)
        picked = shuffled[(i % per_shuffle) * CANDIDATES : (i % per_shuffle + 1) * CANDIDATES]
        scores = np.sort(rng.random(CANDIDATES))[::-1]
        bodies.append(
            {
                "query": f"query number {i % QUERIES}",
                "qid": f"q{i}",
                "candidates": [{"docid": f"d{d:05d}", "score": round(float(s), 6)} for d, s in zip(picked, scores)],
            }
        )
    return bodies


def columns_body(body: dict[str, Any]) -> dict[str, Any]:
    """A list-form body with its candidates as columns (``{"docids": [...], "scores": [...]}``: answered in columns)."""
    candidates = body["candidates"]
    return {**body, "candidates": {"docids": [c["docid"] for c in candidates], "scores": [c["score"] for c in candidates]}}


def bench_service(root: Path, api: dict[str, Any] | None = None) -> Any:
    """The serving state the child process runs: synthetic catalogue, champions set in memory (``api``: more
    ``[api]`` settings)."""
    from reeltag.api.champions import Reranker, now
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
    service.champions = replace(  # keeps what the service holds (its encoder, catalogue and query cache)
        service.champions,
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
    from reeltag.api.app import create_app
    from reeltag.api.server import blas_limit, uvicorn_server

    service = bench_service(root, api)
    server = uvicorn_server(create_app(service, watch=False), service.project, host="127.0.0.1", port=port, log_level="warning")
    try:
        with blas_limit(service.project.settings.api):
            server.run()  # the server ``reeltag api`` runs: its protocol, limits, deadlines and BLAS threads
    finally:
        service.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(
    root: Path, port: int, timeout_s: float = 300.0, api: dict[str, Any] | None = None, tree: Path = REPO
) -> subprocess.Popen:
    """The bench server of ``tree`` (this checkout, or an old commit's files: :func:`old_tree`) on ``port``."""
    import httpx

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(tree)])}
    log = (root / "server.log").open("wb")
    settings = ["--api", json.dumps(api)] if api else []  # an old tree's server takes no --api
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_api", "--serve", str(port), "--root", str(root), *settings],
        cwd=tree,
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


Sampler = Callable[[int], tuple[list[float], list[float]]]  # rounds → (in-process scoring ms, bare numpy ms)


def in_process_sampler(bodies: list[dict[str, Any]]) -> Sampler:
    """Scoring ms per request, the API's path (the rows multiplied in the catalogue matrix + reeltag's scoring) and
    the bare numpy floor, interleaved request by request over ``DISTINCT`` cycled candidate lists, for as many
    rounds as asked."""
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
    setting = Setting(ALPHA, "minmax", "max")

    def sample(rounds: int) -> tuple[list[float], list[float]]:
        api, bare = [], []
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

    sample(1)  # warm-up: the scoring loop compiled, the lists touched once
    return sample


STAGES = ("parse", "check", "rerank", "write")  # what the search lane runs for one /v1/rerank body, in order


def stage_seconds(service: Any, raw: bytes) -> list[float]:
    """Seconds of each of :data:`STAGES` for the body ``raw``, run as the search lane runs them."""
    from reeltag.api import rerank_service
    from reeltag.api.schemas import RerankRequest, parse_json_native

    times = [time.perf_counter()]
    body = parse_json_native(RerankRequest, raw)
    times.append(time.perf_counter())
    rerank_service.check_request(service, body)
    times.append(time.perf_counter())
    answer = rerank_service.rerank(service, body)
    times.append(time.perf_counter())
    answer.json()
    times.append(time.perf_counter())
    return [end - start for start, end in zip(times, times[1:])]


def handler_stages_ms(payloads: list[bytes], rounds: int) -> dict[str, float]:
    """Where one request's time goes without HTTP: p50 ms of each stage the search lane runs, one request after
    another (each stage finds the caches as the previous one left them, as in the server)."""
    stages: dict[str, list[float]] = {name: [] for name in (*STAGES, "handler")}
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-stages-") as tmp:
        service = bench_service(Path(tmp))
        try:
            for i in range(rounds):
                spans = stage_seconds(service, payloads[i % len(payloads)])
                for name, span in zip(STAGES, spans):
                    stages[name].append(span * 1000.0)
                stages["handler"].append(sum(spans) * 1000.0)
        finally:
            service.close()
    return {name: _pct(values[len(payloads) :], 50) for name, values in stages.items()}  # the first round warms up


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def old_tree(commit: str, dest: Path) -> Path:
    """``commit``'s files (``git archive``) unpacked in ``dest``: the old code, served side by side with this one."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit], capture_output=True, check=False)
    if archive.returncode:
        reason = archive.stderr.decode(errors="replace")[:300]
        raise RuntimeError(f"the old code ({commit}) is not in this clone: {reason} (a shallow clone: git fetch --unshallow)")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def one_client_ms(port: int, payloads: list[bytes], n: int) -> list[float]:
    """Milliseconds of ``n`` requests sent one after another by one stdlib client on one keep-alive connection
    (a lean client: httpx's pure-Python parsing of a 100 KB answer costs the client about 2 ms per request here)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        return _posts_ms(conn, payloads, range(n))
    finally:
        conn.close()


def _posts_ms(conn: http.client.HTTPConnection, payloads: list[bytes], which: range) -> list[float]:
    times = []
    for i in which:
        started = time.perf_counter()
        conn.request("POST", "/v1/rerank", body=payloads[i % len(payloads)], headers={"content-type": "application/json"})
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000.0)
        if response.status != 200:
            raise RuntimeError(f"/v1/rerank answered {response.status}: {body[:300]!r}")
    return times


def one_client_beside_in_process(port: int, payloads: list[bytes], sample: Sampler) -> dict[str, list[float]]:
    """The one client's requests and the in-process scoring (with the bare work) in alternating blocks of
    ``SEQUENTIAL / BLOCKS`` requests and ``IN_PROCESS_ROUNDS`` rounds: a shared 2-core VM's speed drifts by half
    within a minute, and a ratio of figures taken minutes apart measured the drift as much as the HTTP."""
    from reeltag.api.server import blas_limit
    from reeltag.config import ApiSection

    per_block = SEQUENTIAL // BLOCKS
    times: dict[str, list[float]] = {"one_client": [], "in_process": [], "bare_numpy": []}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for block in range(BLOCKS):
            times["one_client"] += _posts_ms(conn, payloads, range(block * per_block, (block + 1) * per_block))
            with blas_limit(ApiSection()):  # the server's setting: one BLAS thread per request
                api, bare = sample(IN_PROCESS_ROUNDS)
            times["in_process"] += api
            times["bare_numpy"] += bare
    finally:
        conn.close()
    return times


def measure_server(
    root: Path,
    forms: dict[str, list[bytes]],
    *,
    requests: int,
    clients: int,
    tree: Path = REPO,
    sample: Sampler | None = None,
) -> dict[str, Any]:
    """One server (``tree``'s code) under the load of each body form in ``forms`` (the first is the main one):
    ``clients`` concurrent httpx clients, then one client alone (in blocks alternating with ``sample``'s in-process
    scoring when given); the other forms' figures under their names."""
    port = _free_port()
    proc = _start(root, port, tree=tree)
    try:
        url, figures = f"http://127.0.0.1:{port}", {}
        for form, payloads in forms.items():
            asyncio.run(_load(url, payloads, 4 * clients, clients))  # warm-up: query vectors, connections
            latencies, wall, statuses = asyncio.run(_load(url, payloads, requests, clients))
            timed = (
                one_client_beside_in_process(port, payloads, sample)
                if sample
                else {"one_client": one_client_ms(port, payloads, SEQUENTIAL)}
            )
            figures[form] = _figures([x * 1000.0 for x in latencies], wall, statuses, timed, requests)
    finally:
        _stop(proc)
    main, *others = forms
    return {**figures[main], **{form: figures[form] for form in others}}


def _figures(ms: list[float], wall: float, statuses: list[int], timed: dict[str, list[float]], requests: int) -> dict[str, Any]:
    """The load's figures, and the p50 of each of ``timed``'s series (the one client; the in-process scoring and
    the bare work when they were timed beside it)."""
    return {
        "p50_ms": _pct(ms, 50),
        "p95_ms": _pct(ms, 95),
        "p99_ms": _pct(ms, 99),
        "requests_per_s": round(requests / wall, 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
        **{f"{name}_p50_ms": _pct(values, 50) for name, values in timed.items()},
    }


def run(repeats: int = 3, requests: int = 1000, clients: int = 8, old_commit: str = OLD_COMMIT) -> dict[str, Any]:
    """P7 row for ``python -m bench``: this code's server and ``old_commit``'s under the same load, then the
    in-process scoring beside the bare numpy work."""
    from bench.bench_suggest import make_video
    from reeltag.api.server import blas_limit
    from reeltag.config import ApiSection

    bodies = request_bodies(64)
    payloads = [json.dumps(b).encode() for b in bodies]
    columns = [json.dumps(columns_body(b)).encode() for b in bodies]
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-api-") as tmp:
        new_root, old_root = Path(tmp) / "new", Path(tmp) / "old"
        new_root.mkdir()
        old_root.mkdir()
        sample = in_process_sampler(bodies)
        forms = {"list": payloads, "columns": columns}
        new = measure_server(new_root, forms, requests=requests, clients=clients, sample=sample)
        old_code = old_tree(old_commit, Path(tmp))
        old = measure_server(old_root, {"list": payloads}, requests=requests, clients=clients, tree=old_code)
        suggest = _suggest_after_start(new_root, make_video(new_root / "ten_seconds.mp4"), repeats)
    with blas_limit(ApiSection()):  # the server's setting: one BLAS thread per request
        new["stages_ms"] = handler_stages_ms(payloads, rounds=len(payloads) + 100 * repeats)
        new["columns"]["stages_ms"] = handler_stages_ms(columns, rounds=len(columns) + 100 * repeats)
    bare_all_cores = sample(max(10, 10 * repeats))[1]
    return _row(new, old, bare_all_cores, suggest, requests=requests, clients=clients, old_commit=old_commit)


def _suggest_after_start(root: Path, video: Path, repeats: int) -> list[float]:
    port = _free_port()
    proc = _start(root, port)
    try:
        return _suggest_ms(f"http://127.0.0.1:{port}", root, video, repeats)
    finally:
        _stop(proc)


def _row(
    new: dict[str, Any],
    old: dict[str, Any],
    bare_all_cores: list[float],
    suggest: list[float],
    *,
    requests: int,
    clients: int,
    old_commit: str,
) -> dict[str, Any]:
    cols = new["columns"]
    api_p50, bare_p50 = new["in_process_p50_ms"], new["bare_numpy_p50_ms"]  # beside the list form's one client
    one_client = round(new["one_client_p50_ms"] / api_p50, 2)
    one_client_columns = round(cols["one_client_p50_ms"] / cols["in_process_p50_ms"], 2)
    over_handler = round(new["one_client_p50_ms"] / new["stages_ms"]["handler"], 2)
    in_process = round(api_p50 / bare_p50, 2)
    in_process_columns = round(cols["in_process_p50_ms"] / cols["bare_numpy_p50_ms"], 2)
    throughput = round(new["requests_per_s"] / old["requests_per_s"], 2)
    return {
        "figure": f"P7 /v1/rerank over HTTP, top-{CANDIDATES} cached candidates, {clients} clients, {requests} requests, "
        f"beside the old code ({old_commit})",
        "summary": (
            f"{clients} clients: p50 {new['p50_ms']} ms, p99 {new['p99_ms']} ms, {new['requests_per_s']} req/s "
            f"(old code: p50 {old['p50_ms']} ms, p99 {old['p99_ms']} ms, {old['requests_per_s']} req/s; {throughput}×); "
            f"one client p50 {new['one_client_p50_ms']} ms (old {old['one_client_p50_ms']} ms) = {one_client}× the "
            f"in-process scoring in the blocks between ({api_p50} ms), which is {in_process}× the bare numpy work "
            f"({bare_p50} ms; {_pct(bare_all_cores, 50)} ms with every core); the whole handler in process (parse, "
            f"check, rerank, write) {new['stages_ms']['handler']} ms, so HTTP adds {over_handler}×; candidates as "
            f"columns: {cols['requests_per_s']} req/s with {clients} clients, one client p50 {cols['one_client_p50_ms']} "
            f"ms = {one_client_columns}× the in-process scoring in its blocks ({cols['in_process_p50_ms']} ms, "
            f"{in_process_columns}× the bare work; handler {cols['stages_ms']['handler']} ms); "
            f"/v1/suggest one 10 s video p50 {float(np.median(suggest)):.0f} ms"
        ),
        "new": new,
        "old": old,
        "old_commit": old_commit,
        "in_process_scoring_p50_ms": api_p50,
        "bare_numpy_p50_ms": bare_p50,
        "bare_numpy_all_cores_p50_ms": _pct(bare_all_cores, 50),
        "ratio": in_process,
        "ratio_columns_blocks": in_process_columns,
        "ratio_means": "in-process scoring p50 / bare numpy p50, both with the server's one BLAS thread, interleaved "
        "request by request in the blocks between the one client's (goal ≤ 2)",
        "one_client_over_in_process": one_client,
        "one_client_columns_over_in_process": one_client_columns,
        "requests_per_s_over_old": throughput,
        "one_client_over_handler": over_handler,
        "targets_met": {
            "one client p50 / in-process p50 <= 1.5 (candidates as a list)": one_client <= 1.5,
            "one client p50 / in-process p50 <= 1.5 (candidates as columns)": one_client_columns <= 1.5,
            "in-process p50 / bare numpy p50 <= 2 (both forms' blocks)": max(in_process, in_process_columns) <= 2.0,
            f"{clients}-client req/s / old code's >= 2": throughput >= 2.0,
        },
        "suggest_p50_ms": round(float(np.median(suggest)), 1),
        "requests": requests,
        "clients": clients,
        "catalogue_docs": DOCS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--old-commit", default=OLD_COMMIT, help="the old code to serve side by side (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)  # child mode: serve on this port
    parser.add_argument("--root", default="", help=argparse.SUPPRESS)
    parser.add_argument("--api", default="{}", help=argparse.SUPPRESS)  # child mode: more [api] settings (JSON)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.root), args.serve, json.loads(args.api))
        return
    print(json.dumps(run(args.repeats, args.requests, args.clients, args.old_commit), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
