"""Acceptance (issue 26, search side): the depth–cost curve of the tiny demo search set over 6 depths × 2 frame
counts (the real scoring path timed), the depth a latency budget picks, registered and served by the API.

The tiny demo's runs rank its 24 videos, so the depths are small (3 … 24) and 100 is capped. The budget test
plants the latencies of the measured curve (p95 growing with depth × frames) so which depths fit the budget does
not depend on this machine's load; the qualities are the measured ones, and the tuner re-measures the chosen depth.
"""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL
from typer.testing import CliRunner

from reeltag.api.app import create_app
from reeltag.api.service import Service
from reeltag.cli import app as cli
from reeltag.project import Project
from reeltag.rerank.depth_cost import DepthCurve
from reeltag.rerank.steps import tune_rerank

pytestmark = pytest.mark.integration

DEPTHS, FRAMES = (3, 6, 12, 18, 24, 100), (4, 8)
TOML = """[rerank]
alpha_grid = [0.0, 0.5, 1.0]
tune_normalisations = ["minmax"]
tune_poolings = ["max"]
bootstrap = 300
curve_repeats = 3
[tracking]
trigger = "test"
"""


@pytest.fixture(scope="module")
def measured(demo_tiny: Path, demo_encoder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("curve")
    (root / "reeltag.toml").write_text(TOML, encoding="utf-8")
    s = demo_tiny / "search"
    args = ["rerank", "curve", str(s / "base.run"), "--topics", str(s / "topics.txt"), "--qrels", str(s / "qrels.txt")]
    args += ["--manifest", str(s / "manifest.csv"), "--depths", ",".join(map(str, DEPTHS)), "--frames", "4,8"]
    args += ["--weights", demo_encoder.clip["weights"], "--root", str(root), "--json"]
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == 0, outcome.output[-3000:]
    return root, json.loads(outcome.stdout.strip().splitlines()[-1])


def test_the_curve_covers_every_depth_and_frame_count_with_latencies_and_a_pareto_front(measured) -> None:
    root, curve = measured
    points = curve["points"]
    assert [(p["frames"], p["depth"]) for p in points] == [(f, d) for f in FRAMES for d in DEPTHS]
    assert all(0.0 < p["p50_ms"] <= p["p95_ms"] for p in points)
    assert all(p["ci_low"] <= p["quality"] <= p["ci_high"] for p in points)
    assert curve["topics"] == 4 and curve["longest_run"] == 24 and "100" in curve["capped"]
    assert [p["capped_topics"] for p in points if p["depth"] in (24, 100)] == [0, 4, 0, 4]
    assert any(p["pareto"] for p in points)
    record = json.loads((root / "data" / "reports" / "rerank-curve.json").read_text())
    assert record["points"] == points and Path(record["plot"]).read_bytes()[:4] == b"\x89PNG"
    runs = Project.open(root).tracker.runs("rerank")
    assert [r["tags"].get("reeltag.kind") for r in runs] == ["curve"]


def _planted(curve: dict) -> DepthCurve:
    """The measured curve (its qualities) with p95 = depth × frames / 100 ms."""
    from reeltag.rerank.curve import CurvePoint, mark_pareto

    points = [CurvePoint(**{**p, "p95_ms": p["depth"] * p["frames"] / 100, "p50_ms": 0.0}) for p in curve["points"]]
    fields = {
        k: curve[k] for k in ("measure", "topics", "longest_run", "capped", "repeats", "encoder_model_id", "encoder_weights")
    }
    return DepthCurve(
        run=Path(curve["run"]),
        depths=DEPTHS,
        frames=FRAMES,
        points=mark_pareto(points),
        record=None,
        plot=None,
        input_issues=(),
        **fields,
    )


def test_a_budget_excluding_the_largest_depth_picks_a_smaller_one_within_the_ci_and_the_api_serves_it(
    measured, demo_tiny: Path, demo_encoder
) -> None:
    root, measured_curve = measured
    curve, s = _planted(measured_curve), demo_tiny / "search"
    budget = 18 * 8 / 100  # excludes depths 24 and 100 at 8 frames per video (the served count)
    project = Project.open(root, rerank={"latency_budget_ms": budget}, clip=demo_encoder.clip)
    result = tune_rerank(
        project,
        s / "base.run",
        s / "topics.txt",
        s / "qrels.txt",
        s / "manifest.csv",
        categories=s / "categories.txt",
        curve=curve,
    )
    served = [p for p in curve.points if p.frames == 8]
    best = max(served, key=lambda p: p.quality)
    chosen = result.depth_point
    assert chosen is not None and chosen.frames == 8 and chosen.p95_ms <= budget and chosen.pareto
    assert result.depth == chosen.depth < 24 and chosen.quality >= best.ci_low
    assert chosen.quality == max(p.quality for p in served if p.p95_ms <= budget)
    assert result.cross_validated == pytest.approx(chosen.quality)  # the tuner re-measured the chosen depth
    assert any(r.startswith(f"depth {chosen.depth}: the best cross-validated") for r in result.reasons)
    assert {f.slice for f in result.slices} == {"relevant_count", "topic_category", "topic_length"}
    assert sum(f.items for f in result.slices if f.slice == "topic_category") == 4

    tracker = project.tracker
    version = tracker.version("reranker", result.registered_version)
    assert version.tags["reeltag.depth"] == str(chosen.depth)
    logged = tracker.read_dict(result.run_id, "result.json")["result"]
    assert logged["depth_point"]["depth"] == chosen.depth and len(logged["curve"]["points"]) == len(DEPTHS) * len(FRAMES)
    assert tracker.read_dict(result.run_id, "curve/depth-curve.json")["points"] == logged["curve"]["points"]
    assert {r["slice"] for r in logged["slices"]} == {"relevant_count", "topic_category", "topic_length"}
    tracker.promote("reranker", version.version)  # by hand (4 topics: not enough evidence to promote)
    api = {"catalogue": str(s / "manifest.csv"), "video_root": str(demo_tiny)}
    service = Service.start(Project.open(root, api=api, clip=demo_encoder.clip))
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        models = client.get("/v1/models").json()
    assert models["serving"]["reranker"] == version.version and models["reranker"]["depth"] == chosen.depth
