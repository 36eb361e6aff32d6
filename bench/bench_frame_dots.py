"""S1: a query's dot products with 1,000 scattered catalogue rows, five ways, taking turns in one run.

``python -m bench --only S1``. A 16,000-row matrix (8 frames × 512 dims of float32 per row, 16 KB, the ViT-B-32
shape of P7's catalogue) split by one shuffle into 16 lists of 1,000 rows that share none; per request,
``rows @ query`` as ``(1000, 8)``:

- ``gather``: the rows copied 64 at a time into a reused buffer (``np.take``), multiplied there by BLAS, in the rows'
  memory order: what ``FeatureMatrix.similarities`` did before ``reeltag.rerank.frame_dots``;
- ``one_row``, ``two_rows``: compiled loops reading one or two rows at a time where they lie;
- ``four_rows``: :func:`reeltag.rerank.frame_dots.frame_dots`, four rows at a time (what the API runs);
- ``contiguous``: BLAS on the same rows already laid out contiguously (P7's "bare numpy" floor, without the rest).

The variants take turns request by request, each on a list whose rows no request touched in the last 15 (240 MB
read since, against a 32 MB cache; each list's contiguous copy likewise), with one BLAS thread: the p50 ms of each,
and each ÷ ``contiguous``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

FRAMES, DIM, CHOSEN, LISTS, GATHER_CHUNK = 8, 512, 1000, 16, 64
ROWS = CHOSEN * LISTS


@numba.njit(nogil=True, fastmath={"reassoc", "contract"}, boundscheck=False)
def _one_row_at_a_time(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        for frame in range(vectors.shape[1]):
            total = np.float32(0.0)
            for k in range(vectors.shape[2]):
                total += vectors[rows[i], frame, k] * query[k]
            out[i, frame] = total


@numba.njit(nogil=True, fastmath={"reassoc", "contract"}, boundscheck=False)
def _two_rows_at_a_time(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    for i in range(0, rows.shape[0], 2):  # an even count of rows
        a, b = rows[i], rows[i + 1]
        for frame in range(vectors.shape[1]):
            sa = sb = np.float32(0.0)
            for k in range(vectors.shape[2]):
                sa += vectors[a, frame, k] * query[k]
                sb += vectors[b, frame, k] * query[k]
            out[i, frame], out[i + 1, frame] = sa, sb


def _gather(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    dots = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    buffer = np.empty((GATHER_CHUNK, *vectors.shape[1:]), dtype=np.float32)
    in_memory_order = np.argsort(rows, kind="stable")
    for start in range(0, len(rows), GATHER_CHUNK):
        places = in_memory_order[start : start + GATHER_CHUNK]
        gathered = np.take(vectors, rows[places], axis=0, out=buffer[: len(places)], mode="clip")
        dots[places] = (gathered.reshape(-1, vectors.shape[2]) @ query).reshape(len(places), -1)
    return dots


def variants(vectors: np.ndarray, query: np.ndarray) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """name → f(rows, the same rows laid out contiguously) → (len(rows), frames) dot products."""
    from reeltag.rerank.frame_dots import frame_dots

    def compiled(loop: Callable[..., None]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        def run(rows: np.ndarray, _: np.ndarray) -> np.ndarray:
            out = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
            loop(vectors, rows, query, out)
            return out

        return run

    return {
        "gather": lambda rows, _: _gather(vectors, rows, query),
        "one_row": compiled(_one_row_at_a_time),
        "two_rows": compiled(_two_rows_at_a_time),
        "four_rows": lambda rows, _: frame_dots(vectors, rows, query),
        "contiguous": lambda _, laid_out: (laid_out.reshape(-1, vectors.shape[2]) @ query).reshape(len(laid_out), -1),
    }


def run(repeats: int = 3) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(ROWS, FRAMES, DIM)).astype(np.float32)
    query = rng.normal(size=DIM).astype(np.float32)
    lists = np.split(rng.permutation(ROWS), LISTS)  # no row in two lists
    laid_out = [vectors[rows] for rows in lists]
    ways = variants(vectors, query)
    expected = ways["contiguous"](lists[0], laid_out[0])
    for name, way in ways.items():  # the same products (and every loop compiled before timing)
        np.testing.assert_allclose(way(lists[0], laid_out[0]), expected, rtol=1e-4, atol=1e-3, err_msg=name)
    ms: dict[str, list[float]] = {name: [] for name in ways}
    names = list(ways)
    with threadpool_limits(1):
        for turn in range(200 * repeats):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for place, name in enumerate(order):
                which = (len(names) * turn + place) % LISTS
                started = time.perf_counter()
                ways[name](lists[which], laid_out[which])
                ms[name].append((time.perf_counter() - started) * 1000.0)
    p50 = {name: round(float(np.median(values)), 3) for name, values in ms.items()}
    over = {name: round(p50[name] / p50["contiguous"], 2) for name in ways}
    return {
        "figure": f"S1 dot products with {CHOSEN:,} scattered rows of a {ROWS:,} × {FRAMES} × {DIM} float32 matrix",
        "summary": ", ".join(f"{name} {p50[name]} ms ({over[name]}×)" for name in ways) + " (÷ contiguous, p50)",
        "p50_ms": p50,
        "over_contiguous": over,
        "requests_each": len(ms["contiguous"]),
    }
