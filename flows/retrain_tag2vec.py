"""retrain-tag2vec: validate → train + gate; a new champion chains finetune-mapper → tune-rerank → poc-report."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, task

from flows._cache import ContentInputs, champion_of, validated_sentences
from flows._common import project_for
from flows.finetune_mapper import finetune_mapper
from flows.poc_report import poc_report
from flows.tune_rerank import tune_rerank
from flows.validate_data import validate_data
from reeltag.config import CorpusSection, Tag2VecSection, TrackingSection
from reeltag.project import Project
from reeltag.tag2vec.steps import TrainResult, train_tag2vec


def continued_champion(inputs: dict[str, Any]) -> Any:
    """Derived input: the Tag2Vec champion an incremental training continues (none for a training from scratch)."""
    return champion_of("tag2vec")(inputs) if inputs["incremental"] else None


TRAIN_CACHE = ContentInputs(derived={"sentences": validated_sentences, "continues": continued_champion})


@task(name="train-tag2vec", cache_policy=TRAIN_CACHE)
def train_task(project: Project, incremental: bool) -> TrainResult:
    """Cached on the validated sentences' content + settings (+ the champion an incremental run continues): the
    same corpus is not trained twice on the same start."""
    return train_tag2vec(project, incremental=incremental)


@flow(name="retrain-tag2vec", validate_parameters=True)
def retrain_tag2vec(
    root: str = ".",
    incremental: bool = False,
    labels: str | None = None,
    search: str | None = None,
    chain: Literal["new-champion", "always", "never"] = "new-champion",
    corpus: CorpusSection | None = None,
    tag2vec: Tag2VecSection | None = None,
    tracking: TrackingSection | None = None,
) -> TrainResult:
    """A failing contract raises in ``validate_data`` and nothing is trained. ``chain`` says when the mapper,
    rerank and report flows follow (on a new champion by default; the demo runs them ``always``)."""
    project = project_for(root, paths={"labels": labels, "search": search}, corpus=corpus, tag2vec=tag2vec, tracking=tracking)
    validate_data(root, corpus=corpus, tracking=tracking)
    result = train_task(project, incremental)
    if chain == "always" or (chain == "new-champion" and result.promoted):  # the gate's decision, not a metric
        finetune_mapper(root, labels=labels, tracking=tracking, report=False)
        tune_rerank(root, search=search, tracking=tracking, report=False)
        poc_report(root, labels=labels, search=search, tracking=tracking)
    return result
