"""The robustness summary line: kinds of bad input and faults the robustness tests tried (see
``tests/robustness/conftest.py``), collected from every test report, in this process or sent by an xdist worker."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

CATEGORIES = ("bad input", "fault")
KIND = "robustness-kind"


@dataclass
class Registry:
    """kind name → node ids of the tests that tried it, per category."""

    kinds: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {c: {} for c in CATEGORIES})

    def add(self, category: str, name: str, nodeid: str) -> None:
        self.kinds[category].setdefault(name, set()).add(nodeid)

    def failed(self, category: str, failed_ids: set[str]) -> list[str]:
        return sorted(name for name, ids in self.kinds[category].items() if ids & failed_ids)


REGISTRY = Registry()


def collect_kinds(report: pytest.TestReport) -> None:
    """Collect the kinds from every test's report (in this process, or sent by an xdist worker)."""
    for key, value in report.user_properties:
        if key == KIND:
            category, name = value
            REGISTRY.add(category, name, report.nodeid)


def print_summary(terminalreporter, config) -> None:  # noqa: ANN001 (pytest's reporter and config)
    if not any(REGISTRY.kinds.values()):
        return
    failed_ids = {r.nodeid for r in terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])}
    counts = f"{len(REGISTRY.kinds['bad input'])} kinds of bad input, {len(REGISTRY.kinds['fault'])} faults"
    broken = [f"{c} / {name}" for c in CATEGORIES for name in REGISTRY.failed(c, failed_ids)]
    terminalreporter.write_sep("-", "robustness")
    terminalreporter.write_line(f"robustness: {counts}" + (f"; FAILING: {'; '.join(broken)}" if broken else "; all handled"))
    if config.getoption("verbose") > 0:
        for category in CATEGORIES:
            terminalreporter.write_line(f"  {category}: {'; '.join(sorted(REGISTRY.kinds[category]))}")
