"""Robustness suite: each test names the kind of bad input or fault it tries; the summary counts them.

``tried.bad_input("video", "zero-byte file")`` / ``tried.fault("SIGKILL during training")`` register a kind on the
test's report; ``tests/robustness_summary.py`` (loaded by ``tests/conftest.py``, so pytest-xdist's controller has
it too) prints ``robustness: N kinds of bad input, M faults`` (kinds whose test failed are counted apart and named).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from robustness_summary import KIND


@dataclass(frozen=True)
class Tried:
    """Kinds a test tries, carried in its report's ``user_properties`` (so pytest-xdist's workers report them too)."""

    node: pytest.Item

    def bad_input(self, area: str, name: str) -> None:
        self.node.user_properties.append((KIND, ("bad input", f"{area}: {name}")))

    def fault(self, name: str) -> None:
        self.node.user_properties.append((KIND, ("fault", name)))


@pytest.fixture
def tried(request: pytest.FixtureRequest) -> Tried:
    return Tried(request.node)
