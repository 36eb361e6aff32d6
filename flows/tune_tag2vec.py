"""tune-tag2vec: Tag2Vec hyper-parameters searched on validation posts (one nested MLflow run per setting)."""

from __future__ import annotations

from prefect import flow, task

from flows._cache import ContentInputs, validated_sentences
from flows._common import project_for
from reeltag.config import Tag2VecSection, Tag2VecTuneSection, TrackingSection
from reeltag.project import Project
from reeltag.tag2vec.tune import Tag2VecTuned
from reeltag.tag2vec.tune import tune_tag2vec as tune_step

TUNE_CACHE = ContentInputs(derived={"sentences": validated_sentences})


@task(name="tune-tag2vec", cache_policy=TUNE_CACHE)
def tune_task(project: Project) -> Tag2VecTuned:
    """Cached on the validated sentences' content and the settings (grid included)."""
    return tune_step(project)


@flow(name="tune-tag2vec", validate_parameters=True)
def tune_tag2vec(
    root: str = ".",
    tag2vec: Tag2VecSection | None = None,
    tag2vec_tune: Tag2VecTuneSection | None = None,
    tracking: TrackingSection | None = None,
) -> Tag2VecTuned:
    """Reports the best setting (by the hybrid's val hit@k); set it in ``[tag2vec]`` to train with it."""
    project = project_for(root, tag2vec=tag2vec, tag2vec_tune=tag2vec_tune, tracking=tracking)
    return tune_task(project)
