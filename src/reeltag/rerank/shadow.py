"""Shadow evaluation of a candidate encoder's search set against the serving set, on the same judged topics.

Each set reranks the base run with its own encoder's frame features (read from the feature cache: the candidate's
come from the backfill) and its own reranker's setting; the per-topic values are compared paired and judged by the
reranker's promotion rules (:func:`reeltag.rerank.gate.promotion_decision`: thresholds, CI, worst slice, tiny-data
and random-weight warnings). The candidate's setting was tuned on these topics: its reranker's own registration gate
holds the cross-validated figure; this one says whether the set as a whole beats the set in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reeltag.ab.paired import PairedComparison, compare_paired
from reeltag.project import Project
from reeltag.registry.gates import Decision
from reeltag.rerank.apply import prepare, rerank_prepared
from reeltag.rerank.formats import Qrels, read_qrels
from reeltag.rerank.gate import promotion_decision
from reeltag.rerank.metrics import check_measures, evaluate, metric_key
from reeltag.rerank.model import RerankerParams
from reeltag.rerank.search_inputs import SearchInputs, collect_features, load_search_inputs

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder


@dataclass(frozen=True, kw_only=True)
class SearchSet:
    """One side of the shadow comparison: an encoder and the reranker setting made for it."""

    name: str  # e.g. "serving (encoder v1, reranker v1)"
    encoder: ClipEncoder
    params: RerankerParams


@dataclass(frozen=True, kw_only=True)
class ShadowResult:
    serving: str
    candidate: str
    measure: str
    comparison: PairedComparison
    verdict: str
    reasons: tuple[str, ...]
    go: bool


def shadow_search(
    project: Project, *, files: tuple[Path, Path, Path, Path], serving: SearchSet, candidate: SearchSet
) -> ShadowResult:
    """``files``: base run, topics, qrels, manifest. Paired per-topic ``rerank.tune_measure`` of the two sets."""
    [measure] = check_measures([project.settings.rerank.tune_measure])
    run_path, topics_path, qrels_path, manifest_path = files
    inputs = load_search_inputs(project, run_path, topics_path, manifest_path)
    qrels = read_qrels(qrels_path)
    a, b = (_values(project, inputs, qrels, side, measure) for side in (serving, candidate))
    topics = sorted(set(a) & set(b))
    cfg = project.settings.rerank
    comparison = compare_paired(
        {t: a[t] for t in topics}, {t: b[t] for t in topics}, metric_key(measure), cfg.bootstrap, cfg.seed
    )
    decision: Decision = promotion_decision(
        comparison, candidate.encoder.weights_kind, project.settings.gates, reference=serving.name
    )
    return ShadowResult(
        serving=serving.name,
        candidate=candidate.name,
        measure=measure,
        comparison=comparison,
        verdict=decision.verdict,
        reasons=decision.reasons,
        go=decision.go,
    )


def _values(project: Project, inputs: SearchInputs, qrels: Qrels, side: SearchSet, measure: str) -> dict[str, float]:
    p = side.params
    feats = collect_features(project, inputs, p.depth, side.encoder)
    reranked = rerank_prepared(prepare(inputs.run, feats.queries, feats.frames, p.depth), p.setting, p.top_m)
    return dict(evaluate(reranked, qrels, [measure]).per_topic[measure])
