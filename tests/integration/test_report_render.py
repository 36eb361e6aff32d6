"""The go/no-go report renders in real headless Chromium: non-blank, verdict and every chart visible, escaped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from reeltag.registry.gates import Guardrail, Threshold
from reeltag.report.judgement import (
    Component,
    ContractResult,
    Lineage,
    ReportData,
    SearchDetail,
    StageCost,
    TimeSaved,
    decision_json,
    judge,
    render_html,
)

pytestmark = pytest.mark.integration
EVIL = "<script>alert(1)</script>"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def synthetic_report() -> ReportData:
    rng = np.random.default_rng(3)
    per_topic = {
        f"q{i:02d}": (float(b), float(min(1.0, b + d)))
        for i, (b, d) in enumerate(zip(rng.uniform(0.2, 0.6, 12), rng.normal(0.15, 0.1, 12)))
    }
    mapper = Component(
        name="mapper",
        title="Tag suggestion (mapper)",
        methods={
            "mapper": {"p_at_5": 0.42, "hit_at_10": 0.81, "latency_ms": 35.0, "coverage": 1.0},
            "popularity": {"p_at_5": 0.18, "hit_at_10": 0.55},
        },
        model="mapper",
        reference="popularity",
        thresholds=(Threshold(metric="p_at_5", min_abs_delta=0.02), Threshold(metric="hit_at_10", tolerance=0.0)),
        guardrails=(Guardrail("latency_ms", max_value=2000.0), Guardrail("coverage", min_value=0.9)),
        chart_metrics=("p_at_5", "hit_at_10"),
        n_eval=40,
        min_eval=200,
        uses_encoder=True,
    )
    rerank = Component(
        name="rerank",
        title="Search reranking (CLIPRerank)",
        methods={"rerank": {"map": 0.71, "recall_at_10": 0.88}, "base": {"map": 0.52, "recall_at_10": 0.70}},
        model="rerank",
        reference="base",
        thresholds=(Threshold(metric="map", min_abs_delta=0.01),),
        guardrails=(),
        chart_metrics=("map", "recall_at_10"),
        n_eval=12,
        min_eval=25,
        uses_encoder=True,
    )
    return ReportData(
        title="reeltag PoC go/no-go",
        generated_at="2026-11-21T06:30Z",
        weights_kind="demo-trained",
        demo=True,
        components=(mapper, rerank),
        search=SearchDetail(metric="ap", per_topic=per_topic, ci_low=0.08, ci_high=0.21),
        time_saved=TimeSaved(0.5, 2.1, "P@5 × 5 suggested tags"),
        costs=(StageCost("frames + CLIP features", 0.8, 2), StageCost("suggest", 0.03, 1)),
        contracts=(ContractResult(suite="posts", success=True, failed=(), when="2026-11-21T06:00Z"),),
        quarantine={"post": 3, "video": 1},
        quarantine_samples=(("post", f"#{EVIL}", "malformed JSON"),),
        lineage=(
            Lineage(
                model="reeltag.mapper",
                version="2",
                aliases=("champion",),
                run_id="abc123",
                depends_on={"depends_on.tag2vec": "1"},
            ),
        ),
        examples=(("videos/label_0001.mp4", ("cat", EVIL)),),
        top_tags=((EVIL, 7), ("cat", 5)),
    )


def _render(tmp_path: Path) -> tuple[Path, ReportData, str]:
    from reeltag.report.figures import all_charts

    data = synthetic_report()
    judgements = [judge(data, c) for c in data.components]
    page = tmp_path / "report.html"
    page.write_text(render_html(data, judgements, all_charts(data)), encoding="utf-8")
    return page, data, decision_json(data, judgements)["verdict"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"],
            capture_output=True,
            timeout=600,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian chromium is not installed and `apt-get install -y chromium` was not possible here (needs root + apt)")
    return found


def _browse(chromium: str, page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    page, data, verdict = _render(tmp_path)
    dom = _browse(chromium, page, tmp_path, "--dump-dom").stdout
    assert verdict != "GO" and f">{verdict}<" in dom
    rendered = dict(re.findall(r'id="(chart-[a-z-]+)"[^>]*data-rendered="(\d+x\d+)"', dom))
    assert set(rendered) == {"chart-quality-mapper", "chart-quality-rerank", "chart-topics", "chart-costs"}, dom[:2000]
    assert all(not size.startswith("0x") for size in rendered.values()), rendered
    assert "<script>alert(1)" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    shot = tmp_path / "report.png"
    _browse(chromium, page, tmp_path, f"--screenshot={shot}", "--window-size=1100,3400")
    _assert_visible(shot)


def _assert_visible(shot: Path) -> None:
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.std() > 0.05, "screenshot is blank"
    saturated = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.35
    assert saturated.mean() > 0.01, "no coloured chart or verdict pixels on the screenshot"
