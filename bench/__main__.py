"""Run the benchmarks side by side and print one table of ratios and medians (also as JSON).

    python -m bench [--all] [--repeats N] [--only P1,P3] [--json-out bench/results/latest.json]

The default (``make bench``) is the headline set, about ten minutes on a 2-core machine; ``--all`` (``make
bench-all``) adds the long ones: memory at 200k tags (M1), the full HTTP load (P7), the work pool (P6w), Dask (P8) and
the search path beside decode-bomb uploads (P9), and the review orders' learning curves (L1; its record and plot:
``python -m bench.bench_review_curve``).

Each benchmark module exposes ``run(repeats) -> dict`` returning ``{"figure": ..., "ratio": ..., ...}``
rows; numbers are medians over ``repeats`` measured in the same process, so ratios compare like with like.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HEADLINE, LONG = "headline", "long"
BENCHMARKS = (
    ("P1", "bench.bench_frames", HEADLINE),
    ("P2", "bench.bench_rerank", HEADLINE),
    ("P3", "bench.bench_tag2vec", HEADLINE),
    ("P4", "bench.bench_suggest", HEADLINE),
    ("P5", "bench.bench_rss", HEADLINE),
    ("P6", "bench.bench_flows", HEADLINE),
    ("R1", "bench.bench_review", HEADLINE),
    ("A1", "bench.bench_ab", HEADLINE),
    ("A2", "bench.bench_sequential", HEADLINE),
    ("T1", "bench.bench_ranker_threads", HEADLINE),
    ("S1", "bench.bench_frame_dots", HEADLINE),
    ("P7", "bench.bench_api", LONG),
    ("M1", "bench.bench_memory", LONG),
    ("P6w", "bench.bench_pool", LONG),
    ("P8", "bench.bench_scale", LONG),
    ("P9", "bench.bench_lanes", LONG),
    ("L1", "bench.bench_review_curve", LONG),
)


def _run_one(code: str, module: str, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = importlib.import_module(module).run(repeats)
        return {"id": code, "ok": True, "seconds": round(time.perf_counter() - started, 1), **result}
    except Exception as exc:  # a failing benchmark is reported, and the others still run
        return {
            "id": code,
            "ok": False,
            "seconds": round(time.perf_counter() - started, 1),
            "error": f"{type(exc).__name__}: {exc}",
        }


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| id | figure | value | detail |", "|---|---|---|---|"]
    for row in rows:
        value = row.get("summary", row.get("error", ""))
        detail = json.dumps({k: v for k, v in row.items() if k not in {"id", "figure", "summary", "ok", "error"}}, sort_keys=True)
        lines.append(f"| {row['id']} | {row.get('figure', '')} | {value} | {detail} |")
    return "\n".join(lines)


def _wanted(code: str, kind: str, only: set[str], everything: bool) -> bool:
    return code in only if only else (everything or kind == HEADLINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="also the long benchmarks (M1, P7, P6w, P8, P9, L1)")
    parser.add_argument("--only", default="", help="comma-separated ids, e.g. P1,P3 (any set)")
    parser.add_argument("--json-out", default="bench/results/latest.json")
    args = parser.parse_args(argv)
    for key, value in {
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }.items():
        os.environ.setdefault(key, value)
    wanted = {x.strip() for x in args.only.split(",") if x.strip()}
    chosen = [(code, module) for code, module, kind in BENCHMARKS if _wanted(code, kind, wanted, args.all)]
    rows = [_run_one(code, module, args.repeats) for code, module in chosen]
    print(_table(rows))
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
    print(json.dumps(rows, sort_keys=True))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
