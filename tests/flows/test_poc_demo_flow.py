"""Smoke test of the `make demo` path: the poc-demo flow on the tiny demo with reduced settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


def test_poc_demo_flow_writes_a_report_that_does_not_say_go(tmp_path: Path) -> None:
    from flows.poc_demo import poc_demo
    from reeltag.pipelines.demo import CHECKPOINT, demo_toml

    root = tmp_path / "demo"
    summary = poc_demo(str(root), size="tiny", seed=1, quick=True)
    assert (root / "reeltag.toml").read_text(encoding="utf-8") == demo_toml("tiny", quick=True)

    assert Path(summary.report).is_file() and Path(summary.decision).is_file()
    decision = json.loads(Path(summary.decision).read_text(encoding="utf-8"))
    assert summary.verdict == decision["verdict"] != "GO"
    assert decision["weights_kind"] == "demo-trained" and decision["demo_data"]
    assert (root / CHECKPOINT).is_file()
    review = decision["staff_review"]  # the simulated reviewer decided every labelled demo video
    assert review["simulated"] and review["reviewers"] == ["simulated"] and review["items_reviewed"] > 0
    assert "Staff review (simulated reviewer)" in Path(summary.report).read_text(encoding="utf-8")
    assert "fusion: reeltag.fusion v1 (" in Path(summary.report).read_text(encoding="utf-8")  # fit-fusion ran, figures shown
