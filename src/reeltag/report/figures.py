"""Report charts: matplotlib (Agg, imported lazily) → base64 PNG strings to embed in the HTML."""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path
from typing import Any

from reeltag.report.judgement import Component, DepthChoice, ReportData, SearchDetail, StageCost

WIN, LOSS, TIE = "#2e7d32", "#c62828", "#9e9e9e"
PALETTE = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["text.parse_math"] = False  # topic ids, titles and method names are user text: '$\\x$' is not math
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def quality_chart(component: Component) -> str:
    """Grouped bars: each method (model and baselines) on each of the component's chart metrics."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    methods = list(component.methods)
    width = 0.8 / max(len(methods), 1)
    for i, method in enumerate(methods):
        values = [component.methods[method].get(m, float("nan")) for m in component.chart_metrics]
        xs = [j + i * width for j in range(len(component.chart_metrics))]
        ax.bar(xs, values, width, label=method, color=PALETTE[i % len(PALETTE)])
    ax.set_xticks([j + width * (len(methods) - 1) / 2 for j in range(len(component.chart_metrics))], component.chart_metrics)
    ax.set_ylim(0, 1)
    ax.set_title(component.title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def topic_chart(search: SearchDetail) -> str:
    """Per-topic change of the search metric with rerank (wins green, losses red), sorted."""
    plt = _pyplot()
    deltas = sorted(((after - before, qid) for qid, (before, after) in search.per_topic.items()), reverse=True)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    colours = [WIN if d > 1e-9 else LOSS if d < -1e-9 else TIE for d, _ in deltas]
    ax.bar(range(len(deltas)), [d for d, _ in deltas], color=colours)
    ax.set_xticks(range(len(deltas)), [q for _, q in deltas], rotation=90, fontsize=7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"Δ {search.metric}")
    ax.set_title(f"Per-topic Δ {search.metric}: {search.label}", fontsize=9)
    return _png(fig)


def cost_chart(costs: tuple[StageCost, ...]) -> str:
    """CPU-hours per 1,000 videos by stage."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * len(costs)))
    ax.barh([c.stage for c in costs], [c.cpu_hours_per_1000 for c in costs], color=PALETTE[3])
    ax.set_xlabel("CPU-hours per 1,000 videos")
    ax.set_title("Compute cost")
    return _png(fig)


def daily_ci_chart(days: list[str], values: list[float], lows: list[float], highs: list[float], label: str, zero: float) -> str:
    """One point per day with its 95% CI as an error bar (NaN ends: the point alone), against the no-effect line."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, lows, highs))
    above = lo > zero + 1e-9
    colours = [WIN if a else LOSS if h < zero - 1e-9 else TIE for a, h in zip(above, hi)]
    errors = np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0)
    for i, colour in enumerate(colours):
        ax.errorbar([i], v[i : i + 1], yerr=errors[:, i : i + 1], fmt="o", color=colour, capsize=4)
    ax.axhline(zero, color="black", linewidth=0.8)
    ax.set_xticks(range(len(days)), days, rotation=45, fontsize=7)
    ax.set_ylabel(label)
    ax.set_title(f"Daily {label} with 95% CI (green / red: CI above / below {zero:g})", fontsize=9)
    return _png(fig)


def online_chart(online: Any) -> str:
    """The online experiment's headline per day (``OnlineSearch``: Δ success for split, win share for interleave)."""
    rows = [d.headline for d in online.days]
    nan = float("nan")
    values, lows, highs = ([nan if r[i] is None else r[i] for r in rows] for i in (1, 2, 3))
    zero = 0.5 if online.latest.method == "interleave" else 0.0
    return daily_ci_chart([d.summary.day for d in online.days], values, lows, highs, rows[-1][0], zero)


def all_charts(data: ReportData) -> dict[str, str]:
    """Every chart the report shows, by name (``quality-<component>``, ``topics``, ``costs``, ``online``)."""
    charts = {f"quality-{c.name}": quality_chart(c) for c in data.components if c.methods and c.chart_metrics}
    if data.search is not None and data.search.per_topic:
        charts["topics"] = topic_chart(data.search)
    if data.costs:
        charts["costs"] = cost_chart(data.costs)
    if data.online_search is not None:
        charts["online"] = online_chart(data.online_search)
    if data.depth_choice is not None:
        charts["depth-curve"] = depth_curve_chart(data.depth_choice)
    return charts


def depth_curve_chart(choice: DepthChoice) -> str:
    """The reranker's depth–cost curve with its chosen point (drawn by :mod:`reeltag.rerank.curve_plot`), base64 PNG."""
    from reeltag.rerank.curve_plot import plot_curve

    with tempfile.TemporaryDirectory(prefix="reeltag-report-") as tmp:
        path = plot_curve(choice.points, Path(tmp) / "curve.png", measure=choice.measure, chosen=choice.chosen)
        return base64.b64encode(path.read_bytes()).decode("ascii")
