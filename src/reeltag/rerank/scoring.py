"""CLIPRerank scoring (pure numpy), after Chen et al., ICASSP 2024.

``M(q, v)`` pools, over the frames of video ``v``, the cosine between the text embedding of ``q`` and each
frame's image embedding (``max`` as in the paper, ``mean``, or ``topm``: mean of the m best frames). ``M`` and
the engine score ``S`` are normalised per query (``minmax`` default, ``zscore``, ``none``) and fused as
``s = α·M + (1−α)·S``: α is the weight of the CLIP score, α = 0 keeps the engine's order and α = 1 is CLIP
alone. Every candidate of a query is scored in one vectorised pass. Ties keep the engine's order (a stable
sort over candidates given best first).

A candidate without frames (no readable video) keeps its base score: its ``M`` is set to its normalised
``S``, so its fused score is its normalised engine score whatever α is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Pooling = Literal["max", "mean", "topm"]
Normalisation = Literal["minmax", "zscore", "none"]
POOLINGS: tuple[str, ...] = ("max", "mean", "topm")
NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore", "none")


@dataclass(frozen=True)
class FrameStack:
    """Frame vectors of a query's candidates, padded: ``vectors`` (docs, frames, dim) and their L2 norms."""

    vectors: np.ndarray
    norms: np.ndarray  # (docs, frames); 0 for padding
    counts: np.ndarray  # frames per candidate; 0 = no readable video

    @property
    def missing(self) -> int:
        return int(np.sum(self.counts == 0))


@dataclass(frozen=True)
class Reranked:
    order: np.ndarray  # candidate indices, best first
    fused: np.ndarray  # fused score per candidate (input order)
    clip: np.ndarray  # pooled CLIP score per candidate (NaN without frames)


def unit(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """L2-normalise along ``axis`` (zero vectors stay zero)."""
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x, dtype=np.float32), where=norm > 0)


def stack_frames(frames: Sequence[np.ndarray | None], dim: int) -> FrameStack:
    """Pad per-candidate frame matrices (n_i, dim) into one array; ``None`` or empty = no video."""
    counts = np.array([0 if f is None else len(f) for f in frames], dtype=np.int64)
    if len(frames) and counts.min() > 0 and counts.min() == counts.max():
        # the usual case: same frames per video (none is None here)
        vectors = np.stack([f for f in frames if f is not None]).astype(np.float32, copy=False)
    else:
        vectors = np.zeros((len(frames), max(int(counts.max(initial=0)), 1), dim), dtype=np.float32)
        for i, f in enumerate(frames):
            if counts[i]:
                vectors[i, : counts[i]] = f
    return FrameStack(vectors, np.sqrt(np.einsum("dfk,dfk->df", vectors, vectors)), counts)


def frame_similarities(query: np.ndarray, stack: FrameStack) -> np.ndarray:
    """Cosine of the query with every frame, (docs, frames); padding is −inf."""
    docs, frames, dim = stack.vectors.shape
    dots = (stack.vectors.reshape(docs * frames, dim) @ unit(np.asarray(query, dtype=np.float32))).reshape(docs, frames)
    return cosines(dots, stack.norms, stack.counts)


def cosines(dots: np.ndarray, norms: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Frame cosines from dot products with a unit query, (docs, frames); padding (frame ≥ count) is −inf."""
    sims = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    sims[np.arange(sims.shape[1]) >= counts[:, None]] = -np.inf
    return sims


def pool(sims: np.ndarray, counts: np.ndarray, pooling: str = "max", top_m: int = 3) -> np.ndarray:
    """Pool frame similarities per candidate; NaN where a candidate has no frames."""
    has = counts > 0
    if pooling == "max":
        pooled = sims.max(axis=1)
    elif pooling == "mean":
        pooled = np.where(np.isfinite(sims), sims, 0.0).sum(axis=1) / np.maximum(counts, 1)
    elif pooling == "topm":
        best = -np.sort(-sims, axis=1)[:, :top_m]
        pooled = np.where(np.isfinite(best), best, 0.0).sum(axis=1) / np.clip(counts, 1, top_m)
    else:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    return np.where(has, pooled, np.nan)


def normalise(x: np.ndarray, method: str = "minmax") -> np.ndarray:
    """Per-query normalisation over the finite values (others stay NaN); constant input → zeros."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    if method == "none" or not finite.any():
        return np.where(finite, x, np.nan)
    values = x[finite]
    if method == "minmax":
        span = values.max() - values.min()
        out = (x - values.min()) / span if span > 0 else np.zeros_like(x)
    elif method == "zscore":
        sd = values.std()
        out = (x - values.mean()) / sd if sd > 0 else np.zeros_like(x)
    else:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, not {method!r}")
    return np.where(finite, out, np.nan)


def blend(base: np.ndarray, clip: np.ndarray, alpha: float, normalisation: str = "minmax") -> np.ndarray:
    """``α·norm(M) + (1−α)·norm(S)``, M = pooled CLIP score (``clip``), S = engine score (``base``).

    Non-finite S → the worst S of the query; no M (no frames) → the candidate's own normalised S, so the
    fused score of a candidate without video is its normalised S whatever α is (CLIP cannot promote it).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], not {alpha}")
    s = normalise(base, normalisation)
    finite = np.isfinite(s)
    s = np.where(finite, s, s[finite].min() if finite.any() else 0.0)
    m = normalise(clip, normalisation)
    m = np.where(np.isfinite(m), m, s)
    return alpha * m + (1.0 - alpha) * s


def ranking(fused: np.ndarray) -> np.ndarray:
    """Candidate indices best first; ties keep the input (engine) order."""
    return np.argsort(-fused, kind="stable")


def rerank(
    query: np.ndarray,
    base: np.ndarray,
    stack: FrameStack,
    alpha: float,
    pooling: str = "max",
    top_m: int = 3,
    normalisation: str = "minmax",
) -> Reranked:
    """Score every candidate of one query and order them."""
    clip = pool(frame_similarities(query, stack), stack.counts, pooling, top_m)
    fused = blend(base, clip, alpha, normalisation)
    return Reranked(ranking(fused), fused, clip)
