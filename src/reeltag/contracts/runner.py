"""Run a contract suite on a pandas DataFrame (the only great_expectations import).

``validate_frame(suite_name, frame, contracts_dir)`` → :class:`ValidationSummary` with one
:class:`ExpectationResult` per expectation (critical flag, observed value, failing row indices) and
``row_reasons()`` (row index → reasons) for the quarantine. Reusable for any suite (``company_labels``…).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reeltag.contracts.suites import load_suite


@dataclass(frozen=True, kw_only=True)
class ExpectationResult:
    type: str
    column: str | None
    success: bool
    critical: bool
    row_level: bool
    observed: Any
    unexpected_count: int
    unexpected_percent: float | None
    failing_rows: tuple[int, ...]  # row indices (positions of ``frame.index``) that failed; row-level only

    @property
    def reason(self) -> str:
        column = f"({self.column})" if self.column else ""
        return f"{self.type}{column} failed"


@dataclass(frozen=True, kw_only=True)
class ValidationSummary:
    suite: str
    contract_version: str
    rows: int
    success: bool
    critical_failed: bool
    results: tuple[ExpectationResult, ...]

    def row_reasons(self) -> dict[int, tuple[str, ...]]:
        """Row index → reasons, for rows that failed a row-level expectation."""
        reasons: dict[int, list[str]] = defaultdict(list)
        for result in self.results:
            if result.row_level:
                for index in result.failing_rows:
                    reasons[index].append(result.reason)
        return {index: tuple(items) for index, items in sorted(reasons.items())}

    def failures(self) -> list[str]:
        return [f"{r.reason}{' (critical)' if r.critical else ''}: observed {r.observed}" for r in self.results if not r.success]


def validate_frame(suite_name: str, frame: pd.DataFrame, contracts_dir: Path | None = None) -> ValidationSummary:
    """Validate ``frame`` (its index is reset to 0..n-1) against suite ``suite_name``."""
    spec = load_suite(suite_name, contracts_dir)
    frame = frame.reset_index(drop=True)
    results = tuple(_result(item, found) for item, found in zip(spec["expectations"], _run(spec, frame), strict=True))
    return ValidationSummary(
        suite=suite_name,
        contract_version=str(spec["meta"]["contract_version"]),
        rows=len(frame),
        success=all(r.success for r in results),
        critical_failed=any(r.critical and not r.success for r in results),
        results=results,
    )


def _run(spec: dict[str, Any], frame: pd.DataFrame) -> list[Any]:
    """GX results in the suite's order (GX itself reorders them)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    items = [{"type": e["type"], "kwargs": e.get("kwargs", {}), "meta": e.get("meta", {})} for e in spec["expectations"]]
    suite = context.suites.add(ExpectationSuite(name=spec["name"], expectations=items, meta=spec.get("meta", {})))
    asset = context.data_sources.add_pandas("reeltag").add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    outcome = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    by_id = {r.expectation_config.id: r for r in outcome.results if r.expectation_config is not None}
    return [by_id[e.id] for e in suite.expectations]


def _result(spec_item: dict[str, Any], gx_result: Any) -> ExpectationResult:
    meta, found = spec_item.get("meta", {}), gx_result.result or {}
    indices = found.get("unexpected_index_list") or []
    return ExpectationResult(
        type=spec_item["type"],
        column=spec_item.get("kwargs", {}).get("column"),
        success=bool(gx_result.success),
        critical=bool(meta.get("critical", False)),
        row_level=bool(meta.get("row_level", False)),
        observed=found.get("observed_value", found.get("partial_unexpected_list", [])[:5]),
        unexpected_count=int(found.get("unexpected_count") or 0),
        unexpected_percent=found.get("unexpected_percent"),
        failing_rows=tuple(int(i) for i in indices) if meta.get("row_level") else (),
    )
