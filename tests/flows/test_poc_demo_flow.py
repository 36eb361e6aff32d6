"""Smoke test of the `make demo` path: the poc-demo flow on the tiny demo with reduced settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.flow

REDUCED_TOML = """
[clip]
arch = "{arch}"
weights = "{checkpoint}"
adapt_steps = 5
adapt_frames_per_pair = 1
[mapper]
epochs = 10
patience = 5
[rerank]
alpha_grid = [0.0, 0.5, 1.0]
tune_normalisations = ["minmax"]
tune_poolings = ["max"]
bootstrap = 200
[tracking]
trigger = "demo"
"""


def test_poc_demo_flow_writes_a_report_that_does_not_say_go(tmp_path: Path) -> None:
    from flows.poc_demo import poc_demo
    from reeltag.pipelines.demo import CHECKPOINT, DEMO_ARCH

    root = tmp_path / "demo"
    root.mkdir()
    (root / "reeltag.toml").write_text(REDUCED_TOML.format(arch=DEMO_ARCH, checkpoint=CHECKPOINT), encoding="utf-8")
    summary = poc_demo(str(root), size="tiny", seed=1)  # prepare_demo keeps a reeltag.toml without the demo's header

    assert Path(summary.report).is_file() and Path(summary.decision).is_file()
    decision = json.loads(Path(summary.decision).read_text(encoding="utf-8"))
    assert summary.verdict == decision["verdict"] != "GO"
    assert decision["weights_kind"] == "demo-trained" and decision["demo_data"]
    assert (root / CHECKPOINT).is_file()
