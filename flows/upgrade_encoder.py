"""upgrade-encoder: a registered candidate encoder → backfill → reranker tuned, mapper and fusion fitted for it →
shadow gate against the serving set → on GO, the whole set promoted (the API swaps encoder + catalogue + models at once).

Run on demand when a new encoder is registered (``reeltag flows run upgrade-encoder --param 'version="N"'``); it has no
schedule. Every model it registers records ``depends_on.encoder_version = N``. The fusion is fitted for the candidate's
mapper (named: it is not the champion yet); a GO at its own gate is held back (no alias) and moves with the set.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task

from flows._common import inbox, project_for
from reeltag.config import TrackingSection
from reeltag.mapper.steps import MapperTrained, train_mapper
from reeltag.project import Project
from reeltag.registry.serving_set import SetMove, promote_set
from reeltag.rerank.formats import search_set
from reeltag.rerank.model import PARAMS_FILE, RerankerParams, read_params
from reeltag.rerank.shadow import SearchSet, ShadowResult, shadow_search
from reeltag.rerank.steps import TuneResult, tune_rerank
from reeltag.suggest.fusion_fit import fit_fusion
from reeltag.suggest.fusion_model import FusionFitted
from reeltag.video.backfill import BackfillResult, backfill_features
from reeltag.video.registered import encoder_choice, load_chosen


@dataclass(frozen=True, kw_only=True)
class UpgradeResult:
    encoder_version: str
    backfill: BackfillResult
    reranker: TuneResult
    mapper: MapperTrained | None
    fusion: FusionFitted | None  # None without labels
    shadow: ShadowResult
    moved: SetMove | None  # None: not promoted (NO-GO, or swap=False)


@task(name="backfill", retries=2, retry_delay_seconds=5)  # I/O: a killed or failed try resumes from the cache
def backfill_task(project: Project, inputs: list[str], version: str) -> BackfillResult:
    return backfill_features(project, inputs, version=version)


@task(name="tune-rerank-for-candidate")
def tune_task(candidate: Project, files: dict[str, Path]) -> TuneResult:
    return tune_rerank(candidate, files["run_path"], files["topics_path"], files["qrels_path"], files["manifest_path"])


@task(name="fit-mapper-for-candidate")
def mapper_task(candidate: Project, labels: str) -> MapperTrained:
    return train_mapper(candidate, labels)


@task(name="fit-fusion-for-candidate")
def fusion_task(candidate: Project, labels: str, mapper: MapperTrained) -> FusionFitted:
    return fit_fusion(candidate, labels, mapper_version=mapper.version)


@task(name="shadow-search")
def shadow_task(project: Project, files: dict[str, Path], version: str, reranker: str) -> ShadowResult:
    serving_encoder, serving_version = load_chosen(project, _champion(project, "encoder"))
    candidate_encoder, _ = load_chosen(project, version)
    champion = _champion(project, "reranker")
    serving = SearchSet(
        name=f"serving set (encoder v{serving_version}, reranker v{champion})",
        encoder=serving_encoder,
        params=_params(project, champion),
    )
    candidate = SearchSet(name=f"encoder v{version} set", encoder=candidate_encoder, params=_params(project, reranker))
    keys = ("run_path", "topics_path", "qrels_path", "manifest_path")
    return shadow_search(project, files=tuple(files[k] for k in keys), serving=serving, candidate=candidate)  # type: ignore[arg-type]


def _champion(project: Project, model: str) -> str:
    info = project.tracker.by_alias(model, "champion")
    if info is None:
        raise ValueError(f"reeltag.{model} has no champion: the serving set to judge against is missing")
    return info.version


def _params(project: Project, version: str) -> RerankerParams:
    with tempfile.TemporaryDirectory(prefix="reeltag-upgrade-") as tmp:
        return read_params(project.tracker.download_native(project.tracker.version("reranker", version), tmp) / PARAMS_FILE)


@flow(name="upgrade-encoder", validate_parameters=True)
def upgrade_encoder(
    root: str = ".",
    version: str = "",
    search: str | None = None,
    labels: str | None = None,
    swap: bool = True,
    tracking: TrackingSection | None = None,
) -> UpgradeResult:
    project = project_for(root, paths={"search": search}, tracking=tracking)
    files = search_set(search or str(inbox(project, "search")))
    candidate = project_for(root, clip=encoder_choice(project, version).clip, tracking=tracking)
    backfill = backfill_task(project, [str(files["manifest_path"]), *([labels] if labels else [])], version)
    tuned = tune_task(candidate, files)
    mapper = mapper_task(candidate, labels) if labels else None
    fusion = fusion_task(candidate, labels, mapper) if labels and mapper else None
    shadow = shadow_task(project, files, version, str(tuned.registered_version))
    moved = (
        promote_set(project, version, reason=f"upgrade-encoder: shadow {shadow.verdict}", by="upgrade-encoder")
        if shadow.go and swap
        else None
    )
    return UpgradeResult(
        encoder_version=version, backfill=backfill, reranker=tuned, mapper=mapper, fusion=fusion, shadow=shadow, moved=moved
    )
