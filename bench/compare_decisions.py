"""Do two go/no-go decisions say the same? Every leaf of two ``decision.json`` files side by side, run ids,
timestamps, timings and paths left out (they differ by design between two runs).

    python -m bench.compare_decisions OLD/data/reports/decision.json NEW/data/reports/decision.json

Used to show that a change which should not move a figure (a refactor) moves none: run ``reeltag demo`` on the
old and the new code on the same machine, then compare. Exit 1 when a figure differs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VARIES = re.compile(r"run_id|generated_at|seconds|latency|_ms\b|root|path|uri|environment|elapsed")


def leaves(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{where}[{i}]")
    else:
        yield where, re.sub(r"latency_ms=[\d.]+", "latency_ms=…", value) if isinstance(value, str) else value


def differences(old: dict[str, Any], new: dict[str, Any]) -> tuple[int, list[str]]:
    """How many compared leaves are equal, and a line for each that is not."""
    a, b = dict(leaves(old)), dict(leaves(new))
    keys = sorted(k for k in set(a) | set(b) if not VARIES.search(k.lower()))
    return sum(a.get(k) == b.get(k) for k in keys), [f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]


def main(argv: list[str]) -> int:
    old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[:2])
    equal, lines = differences(old, new)
    print("\n".join(lines))
    print(f"verdict {old.get('verdict')} → {new.get('verdict')}; {equal} figures equal, {len(lines)} differ")
    return 1 if lines or old.get("verdict") != new.get("verdict") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
