"""M1: peak RSS of the Tag2Vec trend report and leave-one-tag-out evaluation at V = 200k tags (synthetic, seeded).

    python -m bench.bench_memory [--tags 200000] [--dim 100] [--posts 500]

Each case runs in a fresh interpreter that builds its inputs (random unit vectors, a random sparse
co-occurrence matrix with ~10 partners per tag, held-out posts of 2-5 tags), notes its peak RSS (``VmHWM``), runs
the step and reports the peak again: the step's own growth is the difference. The goal (issue 13, finding 10):
peak RSS under 2 GB for both at 200k tags; before the fix the trend report alone needed ~6 GB there (2000 × V
similarities, fully argsorted) and evaluation's 512-query chunks one dense 512 × V float64 matrix per method and
one row per context tag for the hybrid.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

GOAL_MB = 2048

CHILD = """
import json, sys, time
import numpy as np
from bench.bench_memory import evaluation_inputs, spaces
def peak_mb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
case, n_tags, dim, posts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if case == "trends":
    from reeltag.tag2vec.trends import trend_report
    old, new = spaces(n_tags, dim)
    before, started = peak_mb(), time.perf_counter()
    report = trend_report(old, new, k=10, top=20)
    detail = {"moved": len(report.moved_tags), "common": report.n_common}
else:
    from reeltag.tag2vec.evaluate import evaluate_methods
    vocab, queries, space = evaluation_inputs(n_tags, dim, posts)
    before, started = peak_mb(), time.perf_counter()
    results = evaluate_methods(vocab, queries, space, k=10, hybrid_pseudo_count=100.0)
    detail = {"queries": len(queries.targets), "hybrid_hit_at_10": round(results["hybrid"].hit_at_k, 4)}
print(json.dumps({"inputs_mb": before, "peak_rss_mb": peak_mb(), "seconds": time.perf_counter() - started, **detail}))
"""


def spaces(n_tags: int, dim: int, seed: int = 7) -> tuple[Any, Any]:
    """Two versions of a V-tag space: the newer one has its vectors moved a little and 1% new tags."""
    import numpy as np

    from reeltag.tag2vec.space import TagSpace

    rng = np.random.default_rng(seed)
    tags = tuple(f"t{i}" for i in range(n_tags))
    counts = np.sort(rng.zipf(1.5, n_tags).astype(np.float64))[::-1]
    old = rng.standard_normal((n_tags, dim), dtype=np.float32)
    moved = old + 0.3 * rng.standard_normal((n_tags, dim), dtype=np.float32)
    fresh = tags[: n_tags - n_tags // 100] + tuple(f"new{i}" for i in range(n_tags // 100))
    return TagSpace(tags=tags, vectors=old, version="1", output_vectors=None, counts=counts), TagSpace(
        tags=fresh, vectors=moved, version="2", output_vectors=None, counts=counts
    )


def evaluation_inputs(n_tags: int, dim: int, posts: int, seed: int = 7) -> tuple[Any, Any, Any]:
    """A V-tag vocabulary (random sparse co-occurrences), held-out queries and a space with output vectors."""
    import numpy as np
    from scipy import sparse

    from reeltag.tag2vec.baselines import Vocabulary
    from reeltag.tag2vec.evaluate import make_queries
    from reeltag.tag2vec.space import TagSpace

    rng = np.random.default_rng(seed)
    tags = tuple(f"t{i}" for i in range(n_tags))
    pairs = rng.integers(0, n_tags, size=(5 * n_tags, 2))
    upper = sparse.coo_matrix((np.ones(len(pairs), np.float32), (pairs[:, 0], pairs[:, 1])), shape=(n_tags, n_tags))
    cooc = (upper + upper.T).tocsr()
    cooc.setdiag(0)
    cooc.eliminate_zeros()
    vocab = Vocabulary(tags, np.sort(rng.zipf(1.5, n_tags).astype(np.float64))[::-1], cooc)
    held_out = [[tags[i] for i in rng.integers(0, n_tags, size=rng.integers(2, 6))] for _ in range(posts)]
    vectors = rng.standard_normal((n_tags, dim), dtype=np.float32)
    space = TagSpace(
        tags=tags,
        vectors=vectors,
        version="1",
        output_vectors=rng.standard_normal((n_tags, dim), dtype=np.float32),
        counts=vocab.counts,
    )
    return vocab, make_queries(held_out, vocab), space


def measure(case: str, n_tags: int, dim: int, posts: int) -> dict[str, Any]:
    args = [sys.executable, "-c", CHILD, case, str(n_tags), str(dim), str(posts)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(repeats: int = 1, n_tags: int = 200_000, dim: int = 100, posts: int = 500) -> dict[str, Any]:
    """One pass per case (``repeats`` is ignored: peak RSS does not need a median)."""
    cases = {case: measure(case, n_tags, dim, posts) for case in ("trends", "evaluate")}
    peaks = {case: round(r["peak_rss_mb"]) for case, r in cases.items()}
    summary = ", ".join(f"{case} {peak} MB" for case, peak in peaks.items())
    return {
        "figure": f"peak RSS at V = {n_tags:,} tags (goal < {GOAL_MB} MB)",
        "summary": summary,
        "under_goal": all(p < GOAL_MB for p in peaks.values()),
        "cases": cases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(run(1, args.tags, args.dim, args.posts), indent=1))


if __name__ == "__main__":
    main()
