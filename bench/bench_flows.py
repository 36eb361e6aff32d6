"""P6: the demo workload through the Prefect flows ÷ the same pipeline steps called directly.

Each arm runs on a fresh project root with the same seeded tiny demo data and the same (reduced) settings,
so the ratio is the orchestration overhead (task/flow runs, state tracking, result persistence, cache keys).
A third figure is a re-run of the flows on the finished root: content-hash caching should skip the work.
The ephemeral Prefect API is started and every library imported (an untimed direct run) before timing.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _prepare(root: Path) -> Any:
    """The tiny demo with ``reeltag demo --quick``'s reduced settings."""
    from reeltag.demo.steps import prepare_demo

    return prepare_demo(root, size="tiny", seed=1, quick=True)


def _direct(root: Path) -> float:
    from reeltag.demo.steps import run_demo

    inputs = _prepare(root)
    started = time.perf_counter()
    run_demo(inputs)
    return time.perf_counter() - started


def _flows(root: Path) -> float:
    from flows.poc_demo import poc_demo

    _prepare(root)
    started = time.perf_counter()
    poc_demo(str(root), size="tiny", seed=1, quick=True)
    return time.perf_counter() - started


def _warm_up(tmp: Path) -> None:
    """Start the ephemeral Prefect API and import every library once (untimed), so neither arm pays for it."""
    from prefect import flow

    flow(name="bench-warm-up")(lambda: None)()
    _direct(tmp / "warm-up")


def run(repeats: int = 3) -> dict[str, Any]:
    """Medians over ``min(repeats, 3)`` fresh roots per arm, the arms alternating; then a cached re-run."""
    n = max(1, min(repeats, 3))
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-flows-") as tmp:
        os.environ.setdefault("PREFECT_HOME", str(Path(tmp) / "prefect"))
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
        _warm_up(Path(tmp))
        pairs = [(_direct(Path(tmp) / f"direct-{i}"), _flows(Path(tmp) / f"flows-{i}")) for i in range(n)]
        rerun = _flows(Path(tmp) / "flows-0")
    d, f = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    return {
        "figure": "demo workload: flows ÷ direct",
        "ratio": round(f / d, 3),
        "direct_s": round(d, 1),
        "flows_s": round(f, 1),
        "flows_rerun_cached_s": round(rerun, 1),
        "rerun_ratio": round(rerun / d, 3),
        "summary": f"{f / d:.2f}× ({f:.0f} s vs {d:.0f} s); cached re-run {rerun:.0f} s",
        "repeats": n,
    }


if __name__ == "__main__":
    print(run(1))
