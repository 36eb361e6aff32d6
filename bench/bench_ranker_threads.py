"""T1: the Tag2Vec ranker's boosted trees on one OpenMP thread and on one per core, alone and beside a busy process.

``python -m bench --only T1``. The same fit (:func:`reeltag.tag2vec.ranker_model.fit_ranker_model`, 200,000
synthetic rows × 12 features, 130 trees without early stopping) and its predictions of 60,000 rows, with
``[tag_ranker] threads`` = 1 and = the core count, first on an idle machine and then while a second process
keeps one core busy (what the test suite's other workers or any other job do). OpenMP threads that wait for each
other spin, so the threads per core lose most when the cores are shared: the reason ``threads`` defaults to 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

ROWS, FEATURES, TREES, PREDICTED = 200_000, 12, 130, 60_000
BUSY = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass\n"  # one core, bounded


def _rows(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, FEATURES))
    return x, (x[:, 0] + rng.normal(size=ROWS) > 1.5).astype(np.int8)


def fit_and_predict_s(threads: int, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Seconds of one fit and of one prediction of :data:`PREDICTED` rows on ``threads`` OpenMP threads."""
    from reeltag.config import TagRankerSection
    from reeltag.tag2vec.ranker_model import fit_ranker_model

    cfg = TagRankerSection(max_iter=TREES, threads=threads)
    started = time.perf_counter()
    model = fit_ranker_model(x, y, cfg)
    fitted = time.perf_counter()
    model.score(x[:PREDICTED])
    return fitted - started, time.perf_counter() - fitted


def _medians(threads: int, x: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, float]:
    runs = [fit_and_predict_s(threads, x, y) for _ in range(repeats)]
    return {
        "fit_s": round(float(np.median([f for f, _ in runs])), 2),
        "predict_s": round(float(np.median([p for _, p in runs])), 3),
    }


def run(repeats: int = 3) -> dict[str, Any]:
    x, y = _rows()
    cores = os.cpu_count() or 1
    fit_and_predict_s(1, x[:PREDICTED], y[:PREDICTED])  # warm-up: imports and first-call costs out of the figures
    idle = {n: _medians(n, x, y, repeats) for n in (1, cores)}
    busy_proc = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        busy = {n: _medians(n, x, y, repeats) for n in (1, cores)}
    finally:
        busy_proc.kill()
        busy_proc.wait(timeout=10)
    ratio = round(busy[cores]["fit_s"] / busy[1]["fit_s"], 2)
    return {
        "figure": f"T1 ranker trees: fit of {ROWS:,} rows ({TREES} trees) and prediction of {PREDICTED:,}, 1 vs {cores} "
        "OpenMP threads, idle and beside one busy process",
        "summary": (
            f"idle: fit {idle[1]['fit_s']} s on 1 thread, {idle[cores]['fit_s']} s on {cores}; predict "
            f"{idle[1]['predict_s']} / {idle[cores]['predict_s']} s. Beside a busy process: fit {busy[1]['fit_s']} s on 1, "
            f"{busy[cores]['fit_s']} s on {cores} ({ratio}×); predict {busy[1]['predict_s']} / {busy[cores]['predict_s']} s"
        ),
        "ratio": ratio,
        "ratio_means": f"fit on {cores} threads / fit on 1 thread, beside one busy process",
        "idle": {str(n): v for n, v in idle.items()},
        "beside_busy": {str(n): v for n, v in busy.items()},
        "cores": cores,
    }
