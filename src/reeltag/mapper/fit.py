"""Step: fit the mapper on company labels the way its lineage asks: from scratch when the Tag2Vec space it would
map into has no mapper champion yet, else fine-tune that champion (lineage, not metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from reeltag.mapper import steps as mapper
from reeltag.mapper.data import space_champion
from reeltag.project import Project

FitMode = Literal["auto", "train", "finetune"]


def fit_mode(project: Project, mode: FitMode) -> Literal["train", "finetune"]:
    """``mode`` itself unless 'auto'; then 'finetune' when there is a :func:`space_champion`, else 'train'."""
    if mode != "auto":
        return mode
    return "finetune" if space_champion(project) is not None else "train"


def fit_mapper(project: Project, labels: str | Path, mode: FitMode = "auto") -> mapper.MapperTrained:
    """Train or fine-tune (see :func:`fit_mode`), evaluate, register and gate the mapper."""
    step = mapper.train_mapper if fit_mode(project, mode) == "train" else mapper.finetune_mapper
    return step(project, labels)
