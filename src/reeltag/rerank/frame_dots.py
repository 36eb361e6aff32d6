"""A query's dot products with the frames of chosen catalogue rows, read where they lie (compiled with numba).

Copying 1,000 scattered 16 KB rows into a buffer before the matrix product cost 2.4-2.7 times the product on the same
rows laid out contiguously (``python -m bench --only S1``), and was most of the API's in-process scoring. This loop
reads each chosen row once, in place, and multiplies as it reads: no copy is written. It reads four rows at once:
four streams from memory keep more reads in flight than one (S1: a row at a time 1.4 times the contiguous product,
four at a time about the same as it). Sums are float32 and reassociated (vectorised), as BLAS's are. Compiled once per process,
at its first call (about 0.4 s: :func:`warm_up`, which the API calls at start), and not cached on disk: a
read-only install has nowhere to put it.
"""

from __future__ import annotations

import numba
import numpy as np

ROWS_AT_ONCE = 4


@numba.njit(nogil=True, fastmath={"reassoc", "contract"}, boundscheck=False)
def _dots_into(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = vectors[rows[i]] @ query``, ``len(rows)`` a multiple of :data:`ROWS_AT_ONCE`."""
    frames, dim = vectors.shape[1], vectors.shape[2]
    for i in range(0, rows.shape[0], ROWS_AT_ONCE):
        a, b, c, d = rows[i], rows[i + 1], rows[i + 2], rows[i + 3]
        for frame in range(frames):
            sa = sb = sc = sd = np.float32(0.0)
            for k in range(dim):
                x = query[k]
                sa += vectors[a, frame, k] * x
                sb += vectors[b, frame, k] * x
                sc += vectors[c, frame, k] * x
                sd += vectors[d, frame, k] * x
            out[i, frame], out[i + 1, frame], out[i + 2, frame], out[i + 3, frame] = sa, sb, sc, sd


def frame_dots(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``vectors[rows] @ query`` as ``(len(rows), frames)`` float32, without making ``vectors[rows]``: ``vectors``
    is a C-ordered ``(documents, frames, dim)`` float32 array (a memory map too, as
    :func:`reeltag.rerank.catalogue.build_matrix` makes them), ``rows`` integer row numbers inside it, ``query``
    ``(dim,)``; anything else is refused rather than read past or converted."""
    vectors, rows, query = np.asarray(vectors), np.asarray(rows), np.asarray(query, dtype=np.float32)
    _check(vectors, rows, query)
    padded = np.zeros(-(-len(rows) // ROWS_AT_ONCE) * ROWS_AT_ONCE, dtype=np.int64)  # row 0 fills the last four
    padded[: len(rows)] = rows
    out = np.empty((len(padded), vectors.shape[1]), dtype=np.float32)
    _dots_into(vectors, padded, np.ascontiguousarray(query), out)
    return out[: len(rows)]


def warm_up() -> None:
    """Compile the loop for the matrices ``build_matrix`` makes, so that no request waits for it (about 0.4 s)."""
    frame_dots(np.zeros((1, 1, 1), dtype=np.float32), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.float32))


def _check(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> None:
    if vectors.dtype != np.float32 or vectors.ndim != 3 or not vectors.flags.c_contiguous:
        raise ValueError(f"a C-ordered (documents, frames, dim) float32 matrix expected, not {vectors.dtype} {vectors.shape}")
    if query.shape != vectors.shape[2:]:
        raise ValueError(f"a query of shape {query.shape} for frames of {vectors.shape[2]} dims")
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise TypeError(f"rows must be a 1-D array of integers, not {rows.dtype} {rows.shape}")
    if rows.size and (rows.min() < 0 or rows.max() >= len(vectors)):
        raise IndexError(f"rows {rows.min()}..{rows.max()} outside the matrix's 0..{len(vectors) - 1}")
