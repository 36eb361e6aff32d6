"""Robustness suite: each test names the kind of bad input or fault it tries; the summary counts them.

``tried.bad_input("video", "zero-byte file")`` / ``tried.fault("SIGKILL during training")`` register a kind;
``pytest_terminal_summary`` prints ``robustness: N kinds of bad input, M faults`` (kinds whose test failed
are counted apart and named).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

CATEGORIES = ("bad input", "fault")


@dataclass
class Registry:
    """kind name → node ids of the tests that tried it, per category."""

    kinds: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {c: {} for c in CATEGORIES})

    def add(self, category: str, name: str, nodeid: str) -> None:
        self.kinds[category].setdefault(name, set()).add(nodeid)

    def failed(self, category: str, failed_ids: set[str]) -> list[str]:
        return sorted(name for name, ids in self.kinds[category].items() if ids & failed_ids)


REGISTRY = Registry()


@dataclass(frozen=True)
class Tried:
    nodeid: str

    def bad_input(self, area: str, name: str) -> None:
        REGISTRY.add("bad input", f"{area}: {name}", self.nodeid)

    def fault(self, name: str) -> None:
        REGISTRY.add("fault", name, self.nodeid)


@pytest.fixture
def tried(request: pytest.FixtureRequest) -> Tried:
    return Tried(request.node.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001, ARG001 (pytest hook)
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
