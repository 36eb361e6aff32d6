"""The closed loop's trigger: the review-loop flow runs finetune-mapper on the exported review labels once
``review.decisions_per_finetune`` new decisions accumulated since the last fine-tune, and not before."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from review_items import review_item

from reeltag.project import Project
from reeltag.review import queue as q
from reeltag.review.store import NewEvent, ReviewStore

pytestmark = pytest.mark.flow
LEASE = q.Lease(queue="default", reviewer="ann", lease_s=60.0)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    (root / "reeltag.toml").write_text("[review]\ndecisions_per_finetune = 2\ncontrol_share = 0.0\n", encoding="utf-8")
    project = Project.open(root)
    store = ReviewStore(project.paths.review_db).create()
    store.add_items("default", [review_item(root / f"{n}.mp4", n * 8) for n in "abcde"])
    return project


def decide(project: Project, n: int) -> None:
    store = ReviewStore(project.paths.review_db)
    for _ in range(n):
        item = q.lease_next(store, LEASE)
        assert item is not None
        q.act(store, LEASE, item.id, NewEvent(kind="accept", rank=1))
        q.submit(store, LEASE, item.id, 3.0)


@pytest.fixture
def finetunes(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """finetune-mapper replaced by a recorder (its own tests fit real mappers)."""
    import flows.review_loop

    calls: list[dict[str, Any]] = []

    def fake(root: str, **params: Any) -> SimpleNamespace:
        calls.append({"root": root, **params})
        return SimpleNamespace(run_id=f"run{len(calls)}")

    monkeypatch.setattr(flows.review_loop, "finetune_mapper", fake)
    return calls


def test_finetune_runs_only_once_enough_new_decisions_accumulated(project: Project, finetunes: list) -> None:
    from flows.review_loop import review_loop

    root, labels = str(project.paths.root), project.paths.data / "inbox" / "labels.csv"
    decide(project, 1)
    first = review_loop(root, report=False)
    assert (first.decided, first.new_decisions, first.due) == (1, 1, False)
    assert finetunes == [] and not labels.exists()  # too few: nothing exported, no fine-tune

    decide(project, 1)
    second = review_loop(root, report=False)
    assert (second.new_decisions, second.due) == (2, True)
    assert finetunes == [{"root": root, "labels": str(labels), "report": False, "tracking": None}]
    with labels.open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 2  # the two decided items

    decide(project, 1)  # 3 decided, 2 of them already fine-tuned on: one new is too few
    third = review_loop(root, report=False)
    assert (third.at_last_finetune, third.new_decisions, third.due) == (2, 1, False) and len(finetunes) == 1
    decide(project, 1)
    assert review_loop(root, report=False).due and len(finetunes) == 2


def test_no_review_store_is_not_due(tmp_path: Path, finetunes: list) -> None:
    from flows.review_loop import review_loop

    (tmp_path / "reeltag.toml").write_text("", encoding="utf-8")
    due = review_loop(str(tmp_path), report=False)
    assert not due.due and due.note == "no review store yet" and finetunes == []
