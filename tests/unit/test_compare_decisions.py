"""``python -m bench.compare_decisions``: equal figures pass, a moved figure or verdict is named, timings ignored."""

from __future__ import annotations

from bench.compare_decisions import differences

OLD = {
    "verdict": "GO",
    "generated_at": "2026-12-07T00:56Z",
    "components": {"mapper": {"reasons": ["p_at_5: 0.6", "guardrail latency_ms=135.6 holds"]}},
    "metrics": {"mapper": {"p_at_5": 0.6}, "seconds": 12.0},
    "lineage": [{"run_id": "abc", "version": "1"}],
}


def test_the_same_figures_with_other_timings_and_run_ids_are_equal() -> None:
    new = {
        **OLD,
        "generated_at": "2026-12-08T01:00Z",
        "components": {"mapper": {"reasons": ["p_at_5: 0.6", "guardrail latency_ms=99.1 holds"]}},
        "metrics": {"mapper": {"p_at_5": 0.6}, "seconds": 30.0},
        "lineage": [{"run_id": "def", "version": "1"}],
    }
    assert differences(OLD, new) == (5, [])


def test_a_moved_figure_is_named() -> None:
    new = {**OLD, "metrics": {"mapper": {"p_at_5": 0.4}, "seconds": 12.0}}
    equal, lines = differences(OLD, new)
    assert lines == [".metrics.mapper.p_at_5: 0.6 → 0.4"] and equal == 4
