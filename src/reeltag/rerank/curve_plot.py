"""The depth–cost plot: matplotlib (Agg, imported lazily) → a PNG file, written atomically.

Quality (cross-validated, with its CI) against p95 per-query latency, one line per frames-per-video count through
its depths, the Pareto points ringed. The report draws its own charts (:mod:`reeltag.report.figures`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from reeltag.io import write_bytes_atomic
from reeltag.rerank.curve import CurvePoint


def plot_curve(points: Sequence[CurvePoint], path: Path, *, measure: str, chosen: CurvePoint | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for frames in sorted({p.frames for p in points}):
        line = sorted((p for p in points if p.frames == frames), key=lambda p: p.depth)
        ax.errorbar(
            [p.p95_ms for p in line],
            [p.quality for p in line],
            yerr=[[p.quality - p.ci_low for p in line], [p.ci_high - p.quality for p in line]],
            marker="o",
            capsize=2,
            label=f"{frames} frames/video",
        )
        for p in line:
            ax.annotate(f"k={p.depth}", (p.p95_ms, p.quality), textcoords="offset points", xytext=(4, 4), fontsize=7)
    front = [p for p in points if p.pareto]
    ax.scatter(
        [p.p95_ms for p in front], [p.quality for p in front], s=140, facecolors="none", edgecolors="black", label="Pareto"
    )
    if chosen is not None:
        ax.scatter(
            [chosen.p95_ms], [chosen.quality], marker="*", s=220, color="gold", edgecolors="black", label="chosen", zorder=3
        )
    ax.set_xlabel("p95 scoring latency per query (ms)")
    ax.set_ylabel(f"cross-validated {measure}")
    ax.legend(fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return write_bytes_atomic(path, buffer.getvalue())
