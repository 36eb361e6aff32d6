"""What ``reeltag demo`` prints per finished run: every flow and the demo flow's own tasks; a sub-flow's task only
when it did not simply complete (cached, failed)."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from reeltag.commands.demo_log import FINISHED, StageLines


def _finished(state: str, flow: str, task: str | None = None) -> logging.LogRecord:
    record = logging.LogRecord(
        "prefect.task_runs" if task else "prefect.flow_runs", logging.INFO, "", 0, FINISHED + state, (), None
    )
    record.flow_name = flow
    if task:
        record.task_run_name = task
    return record


def test_sub_flow_tasks_show_only_when_not_simply_completed() -> None:
    out = io.StringIO()
    lines = StageLines(Console(file=out, width=200))
    for record in (
        _finished("Completed()", "tune-rerank", "tune-rerank-1"),
        _finished("Cached(type=COMPLETED)", "tune-rerank", "extract-features-2"),
        _finished("Failed('boom')", "ab-online", "summarise-online-day-3"),
        _finished("Completed()", "poc-demo", "simulated-users-4"),
        _finished("Completed()", "tune-rerank"),
    ):
        lines.emit(record)
    shown = [line.split(":")[0] for line in out.getvalue().splitlines()]
    assert shown == ["  task extract-features-2", "  task summarise-online-day-3", "  task simulated-users-4", "flow tune-rerank"]
