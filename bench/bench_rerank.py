"""P2: CLIPRerank latency per query with cached frame features (synthetic arrays), and its growth with k.

    python -m bench.bench_rerank [--repeats N]

For each query: gather the top-k candidates' cached frame matrices (8 frames x 512 dims, float32, the
ViT-B-32 shape), stack them, score every frame against the query, max-pool, min-max normalise and fuse with
the engine score, and order (``reeltag.rerank.apply``: exactly what ``reeltag rerank`` runs per topic).
Reports p50/p95 wall-clock ms (and p50 CPU ms, which a busy machine inflates less) over 100 queries at
k = 1000 and the median wall-clock ms at k = 100, 1000, 5000 (30 queries each); numbers are medians over
``repeats`` passes. Feature extraction is not timed (the cache is warm).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from reeltag.rerank.apply import prepare_topic, rerank_topic
from reeltag.rerank.formats import Ranking
from reeltag.rerank.tuning import Setting

FRAMES, DIM, COLLECTION = 8, 512, 5000
KS = (100, 1000, 5000)
SETTING = Setting(0.5, "minmax", "max")


def _store(rng: np.random.Generator) -> dict[str, np.ndarray]:
    vectors = rng.normal(size=(COLLECTION, FRAMES, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=-1, keepdims=True)
    return {f"d{i:05d}": vectors[i] for i in range(COLLECTION)}


def _query(rng: np.random.Generator, docids: list[str], k: int, qid: str) -> tuple[Ranking, np.ndarray]:
    picked = [docids[i] for i in rng.choice(len(docids), size=k, replace=False)]
    scores = np.sort(rng.random(k))[::-1]
    return Ranking(qid, tuple(picked), tuple(float(s) for s in scores)), rng.normal(size=DIM).astype(np.float32)


def time_queries(store: dict[str, np.ndarray], k: int, n_queries: int, seed: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query (prepare + rerank) for ``n_queries`` random top-k lists."""
    rng, docids, wall, cpu = np.random.default_rng(seed), list(store), [], []
    for q in range(n_queries):
        ranking, query = _query(rng, docids, k, f"q{q}")
        started, started_cpu = time.perf_counter(), time.process_time()
        rerank_topic(prepare_topic(ranking, query, store, k), SETTING, top_m=3)
        wall.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - started_cpu) * 1000.0)
    return wall, cpu


def run(repeats: int = 5) -> dict[str, object]:
    store = _store(np.random.default_rng(0))
    p50s, p95s, cpu50s, by_k = [], [], [], {k: [] for k in KS}
    for r in range(max(1, repeats)):
        wall, cpu = time_queries(store, 1000, 100, seed=r)
        p50s.append(float(np.percentile(wall, 50)))
        p95s.append(float(np.percentile(wall, 95)))
        cpu50s.append(float(np.percentile(cpu, 50)))
        for k in KS:
            by_k[k].append(float(np.median(time_queries(store, k, 30, seed=100 + r)[0])))
    median_k = {k: round(float(np.median(v)), 2) for k, v in by_k.items()}
    p50, p95 = round(float(np.median(p50s)), 2), round(float(np.median(p95s)), 2)
    return {
        "figure": "P2 rerank top-1000 per query (cached features)",
        "summary": f"p50 {p50} ms, p95 {p95} ms; k=100/1000/5000: {median_k[100]}/{median_k[1000]}/{median_k[5000]} ms",
        "p50_ms": p50,
        "p95_ms": p95,
        "p50_cpu_ms": round(float(np.median(cpu50s)), 2),
        "queries": 100,
        "median_ms_by_k": median_k,
        "ratio": round(median_k[5000] / median_k[100], 1) if median_k[100] else None,
        "ratio_meaning": "median ms at k=5000 / k=100",
        "frames": FRAMES,
        "dim": DIM,
        "repeats": max(1, repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print(json.dumps(run(parser.parse_args().repeats), indent=1))


if __name__ == "__main__":
    main()
