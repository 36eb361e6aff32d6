"""fit_mode: the mapper's lineage (which Tag2Vec champion it was fitted on) decides train vs fine-tune."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reeltag.mapper.fit import fit_mode
from reeltag.tracking.records import VersionInfo


def _project(tag2vec: str | None, mapper_on: str | None) -> SimpleNamespace:
    """A project whose registry has a Tag2Vec champion ``tag2vec`` and a mapper champion fitted on ``mapper_on``."""
    champions = {
        "tag2vec": VersionInfo(model="tag2vec", version=tag2vec, run_id="t", tags={}, aliases=("champion",)) if tag2vec else None,
        "mapper": VersionInfo(
            model="mapper", version="1", run_id="m", tags={"depends_on.tag2vec": mapper_on}, aliases=("champion",)
        )
        if mapper_on
        else None,
    }
    return SimpleNamespace(
        tracker=SimpleNamespace(by_alias=lambda model, alias: champions[model] if alias == "champion" else None)
    )


@pytest.mark.parametrize(
    ("tag2vec", "mapper_on", "mode", "expected"),
    [
        ("3", "3", "auto", "finetune"),  # the mapper champion maps into the current space
        ("4", "3", "auto", "train"),  # the Tag2Vec champion moved on: its space changed
        ("3", None, "auto", "train"),  # no mapper champion yet
        ("4", "3", "finetune", "finetune"),  # an explicit mode is kept
        ("3", "3", "train", "train"),
    ],
)
def test_fit_mode_follows_the_lineage(tag2vec: str | None, mapper_on: str | None, mode: str, expected: str) -> None:
    assert fit_mode(_project(tag2vec, mapper_on), mode) == expected  # type: ignore[arg-type]
