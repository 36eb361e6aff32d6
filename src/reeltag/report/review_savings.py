"""The labels a review order saves against ``random``, as the learning-curve bench (L1, ``bench/bench_review_curve.py``)
measured them: read from its JSON record (``review.curve_record``), never assumed.

Saved share = 1 − (decisions the order needed to reach ``random``'s final held-out P@5) / (the decisions random
itself needed to reach it: its curve may flatten before the bench's budget ends).
``random`` saves nothing by definition; an order the record lacks, or one that never reached random's final P@5,
saves nothing that was measured, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ReviewSavings:
    order: str  # review.order in use
    record: str  # the bench record read
    measured: bool  # the record holds this order's figures
    saved_share: float | None  # 1 − share of random's decisions, > 0; None: not measured, not earlier than random, never
    saved_ci: tuple[float | None, float | None]  # 95 % bootstrap CI over seeds (None: unbounded / never reached)
    decisions: int | None  # decisions this order needed to reach random's final P@5
    random_decisions: int  # the decisions random needed to reach its own final P@5
    budget: int  # decisions per order in the bench
    random_final_p_at_5: float
    seeds: tuple[int, ...]
    note: str  # one sentence the report shows


def read_review_savings(path: Path, order: str) -> ReviewSavings | None:
    """The bench's figures for ``order``; None when there is no record at ``path``. A record that cannot be read
    is a note, not an error: the report still renders, and claims nothing."""
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return _savings(record, str(path), order)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        return _unreadable(str(path), order, f"{type(exc).__name__}: {exc}")


def _savings(record: dict[str, Any], path: str, order: str) -> ReviewSavings:
    summary, seeds = record["summary"], tuple(int(s) for s in record["seeds"])
    target, row, needed = float(summary["random_final_p_at_5"]), summary["orders"].get(order), int(summary["random_decisions"])
    common: dict[str, Any] = {
        "order": order,
        "record": path,
        "random_decisions": needed,
        "budget": int(summary["budget"]),
        "random_final_p_at_5": target,
        "seeds": seeds,
    }
    if row is None:
        return ReviewSavings(
            **common,
            measured=False,
            saved_share=None,
            saved_ci=(None, None),
            decisions=None,
            note=f"the bench did not measure {order!r}: no labels saved are claimed",
        )
    share, (low, high) = row["share_of_random_decisions"], row["share_ci95"]
    saved = None if share is None or order == "random" or float(share) >= 1.0 else round(1.0 - float(share), 3)
    ci = (None if high is None else round(1.0 - float(high), 3), None if low is None else round(1.0 - float(low), 3))
    return ReviewSavings(
        **common,
        measured=True,
        saved_share=saved,
        saved_ci=ci if saved is not None else (None, None),
        decisions=row["decisions_to_random_final"],
        note=_note(order, saved, (row["decisions_to_random_final"], needed, int(summary["budget"])), target, len(seeds)),
    )


def _note(order: str, saved: float | None, counts: tuple[int | None, int, int], target: float, n_seeds: int) -> str:
    """``counts``: (decisions this order needed, decisions random needed, the bench's budget)."""
    (decisions, needed, budget), where = counts, f"(learning-curve bench, {n_seeds} seeds, demo world, simulated reviewer)"
    if order == "random":
        return f"random is the baseline the bench measures the other orders against {where}"
    if decisions is None:
        return f"{order} did not reach random's final P@5 {target:.3f} within {budget} decisions {where}: no labels saved"
    if saved is None or saved <= 0:
        return (
            f"{order} needed {decisions} decisions to reach random's final P@5 {target:.3f}, random {needed} {where}: "
            "no labels saved"
        )
    return f"{order} reached random's final P@5 {target:.3f} after {decisions} decisions, random after {needed} {where}"


def _unreadable(path: str, order: str, why: str) -> ReviewSavings:
    return ReviewSavings(
        order=order,
        record=path,
        measured=False,
        saved_share=None,
        saved_ci=(None, None),
        decisions=None,
        random_decisions=0,
        budget=0,
        random_final_p_at_5=0.0,
        seeds=(),
        note=f"the bench record could not be read ({why}): no labels saved are claimed",
    )
