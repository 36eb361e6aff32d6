"""Gather the go/no-go evidence: MLflow (champions, their runs, lineage) + fresh paired measurements + stores.

Every number comes from a measurement: the champion's run metrics, the champion re-evaluated on the labels'
held-out videos, the champion reranker re-applied to the search set, or a timed sample of videos.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reeltag import quarantine
from reeltag.errors import NotFound
from reeltag.mapper.labels import count_test_videos
from reeltag.project import Project
from reeltag.registry.gates import Guardrail, SliceRule, Threshold, ci_warnings
from reeltag.report.judgement import Component, ContractResult, DepthChoice, Lineage, SearchDetail, StageCost, TimeSaved
from reeltag.rerank.curve import CurvePoint
from reeltag.slices import from_records
from reeltag.suggest.fusion_model import report_figures
from reeltag.tracking.naming import ALIASES
from reeltag.tracking.records import VersionInfo
from reeltag.tracking.results import read_result, require_result

MODELS = ("tag2vec", "mapper", "reranker")
SEARCH_MEASURES = ("AP", "R@10", "P@10", "nDCG@10")
MAPPER_METRICS = ("p_at_5", "hit_at_10")
MAPPER_BASELINES = ("popularity", "knn", "zero_shot")
TAG2VEC_METHODS = ("hybrid", "tag2vec_ii", "tag2vec_io")
TAG2VEC_BASELINES = ("popularity", "cooccurrence")


def strongest(methods: dict[str, dict[str, float]], candidates: tuple[str, ...], metric: str) -> str | None:
    """The best of ``candidates`` on ``metric`` (a model must beat the strongest alternative, not a weak one)."""
    found = [m for m in candidates if metric in methods.get(m, {})]
    return max(found, key=lambda m: methods[m][metric]) if found else None


def model_run(project: Project, model: str) -> tuple[VersionInfo, dict[str, Any]] | None:
    """The champion's version and run, else the challenger's, else the newest version (none passed its gate)."""
    found = project.tracker.by_alias(model, "champion") or project.tracker.by_alias(model, "challenger")
    if found is None:
        versions = project.tracker.versions(model)
        found = versions[-1] if versions else None
    return (found, project.tracker.run_data(found.run_id)) if found else None


def tag2vec_component(project: Project) -> Component | None:
    found = model_run(project, "tag2vec")
    if found is None:
        return None
    version, _ = found
    record = require_result(project.tracker, version.run_id, "TrainResult", f"reeltag.tag2vec v{version.version}")
    evaluation = record["evaluation"]
    k = evaluation["k"]
    methods = {m: {f"hit_at_{k}": s["hit_at_k"], f"mrr_at_{k}": s["mrr_at_k"]} for m, s in evaluation["methods"].items()}
    model = offered_tag_recommender(evaluation, methods, k)
    gates = project.settings.gates
    return Component(
        **slice_evidence(project, record),
        name="tag2vec",
        title="Tag suggestion from posts (Tag2Vec)",
        methods=methods,
        model=model,
        reference=strongest(methods, TAG2VEC_BASELINES, f"hit_at_{k}"),
        thresholds=(Threshold(metric=f"hit_at_{k}", min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta),),
        chart_metrics=(f"hit_at_{k}", f"mrr_at_{k}"),
        n_eval=int(evaluation["queries"]),
        min_eval=gates.min_eval_items,
        baselines=TAG2VEC_BASELINES,
        notes=(
            "Next-tag prediction on held-out posts (leave one tag out); the recommender chosen on validation posts "
            "(what is served) against the strongest baseline (popularity, co-occurrence).",
        ),
    )


def offered_tag_recommender(evaluation: dict[str, Any], methods: dict[str, dict[str, float]], k: int) -> str:
    """The recommender the training run offered (chosen on validation posts; what the pyfunc serves and ``tag2vec
    evaluate`` names); a record without one: the best Tag2Vec-based method on these figures."""
    chosen = str(evaluation.get("recommender", ""))
    if chosen in methods:
        return chosen
    return strongest(methods, TAG2VEC_METHODS, f"hit_at_{k}") or "hybrid"


def slice_evidence(project: Project, record: dict[str, Any]) -> dict[str, Any]:
    """A training run's slice figures (``slices``, ``slices_reference``), gated as its own gate was: only against a
    champion (figures against a baseline are shown, not gated)."""
    gates = project.settings.gates
    versus = str(record.get("slices_reference", ""))
    rule = SliceRule(min_items=gates.min_slice_items, max_loss=gates.max_slice_loss) if versus.startswith("champion") else None
    return {"slices": tuple(from_records(record.get("slices", []))), "slices_reference": versus, "slice_rule": rule}


def mapper_component(project: Project, labels: str | None, latency_ms: float | None, coverage: float | None) -> Component | None:
    """The mapper (champion, else challenger) and the baselines on the same held-out videos (its run's metrics)."""
    found = model_run(project, "mapper")
    if found is None:
        return None
    version = found[0]
    record = require_result(project.tracker, version.run_id, "MapperTrained", f"reeltag.mapper v{version.version}")
    fused, fusion_note = report_figures(project, version.version)
    methods = {method: dict(values) for method, values in record["test"].items()} | fused
    guards = {"latency_ms": latency_ms, "coverage": coverage}
    methods["mapper"] = {**methods.get("mapper", {}), **{k: v for k, v in guards.items() if v is not None}}
    gates = project.settings.gates
    return Component(
        **slice_evidence(project, record),
        bias=record.get("bias", {}),
        name="mapper",
        title="Tag suggestion for videos (mapper)",
        methods=methods,
        model="mapper",
        reference=strongest(methods, MAPPER_BASELINES, "p_at_5"),
        thresholds=tuple(
            Threshold(metric=m, min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta) for m in MAPPER_METRICS
        ),
        guardrails=(Guardrail("latency_ms", max_value=gates.max_latency_ms), Guardrail("coverage", min_value=gates.min_coverage)),
        chart_metrics=("p_at_1", "p_at_5", "hit_at_10", "map"),
        n_eval=count_test_videos(labels) if labels else 0,
        min_eval=gates.min_eval_items,
        uses_encoder=True,
        baselines=MAPPER_BASELINES,
        notes=(
            f"mapper v{found[0].version} ({', '.join(found[0].aliases) or 'not promoted'}) on the held-out labelled "
            "videos of its training run; the reference is the strongest baseline on P@5.",
        )
        + ((fusion_note,) if fusion_note else ()),
    )


def time_videos(project: Project, videos: list[str]) -> tuple[tuple[StageCost, ...], Any] | None:
    """Time ``videos`` cold (a fresh feature cache: decode + CLIP) and, with a mapper champion, the suggestion."""
    from reeltag.suggest.steps import suggest_tags
    from reeltag.video.steps import extract_features

    if not videos:
        return None
    with tempfile.TemporaryDirectory(prefix="reeltag-report-") as tmp:
        started = time.perf_counter()
        extract_features(_scratch_project(project, Path(tmp)), videos)
        cold = (time.perf_counter() - started) / len(videos)
    cores = project.settings.clip.threads
    costs = (StageCost("frames + CLIP features (uncached)", cold, cores),)
    if project.tracker.by_alias("mapper", "champion") is None:
        return costs, None
    suggested = suggest_tags(project, videos)
    return costs + (StageCost("suggest (mapper + nearest tags)", suggested.seconds / max(suggested.inputs, 1), cores),), suggested


def _scratch_project(project: Project, root: Path) -> Project:
    """Same settings on an empty root (its own feature cache); a checkpoint path is made absolute."""
    clip = project.settings.clip
    weights = Path(clip.weights)
    if not weights.is_absolute() and (project.paths.root / weights).is_file():
        clip = clip.model_copy(update={"weights": str(project.paths.root / weights)})
    return Project(project.settings.model_copy(update={"root": root, "clip": clip}))


CV = "cliprerank (cross-validated)"
ENGINE = "engine (base run)"  # on the tune run's topics, beside the cross-validated row: what the gate compares
ENGINE_NOW = "engine (base run, current search set)"  # beside the registered setting re-applied to today's set


def rerank_component(project: Project, search: str | None) -> tuple[Component | None, SearchDetail | None]:
    """Cross-validated CLIPRerank against the ENGINE (never the previous champion reranker), from the last tune run."""
    last = project.tracker.latest_run("rerank", {"kind": "tune"})  # a server-side query: apply runs cannot hide it
    if last is None:
        return None, None
    record = read_result(project.tracker, last["run_id"], "TuneResult") or {}
    engine = record.get("engine_comparison")
    if not engine:
        return _stale_component(project), None
    measure, ci_low, ci_high = engine["metric"], engine["ci_low"], engine["ci_high"]
    cv = {measure: engine["mean_b"], f"ci_low/{measure}": ci_low if ci_low is not None else float("nan")}
    methods = {ENGINE: {measure: engine["mean_a"]}, CV: cv}
    detail = None
    if search is not None:  # the search set may have changed since tuning: its rows stay apart from the gate's
        applied, detail = _apply_champion(project, Path(search))
        methods = {**methods, **applied}
    gates = project.settings.gates
    counts = "/".join(str(engine[k]) for k in ("wins", "losses", "ties"))
    ci = f"[{ci_low:.4f}, {ci_high:.4f}]" if ci_low is not None and ci_high is not None else "not measured"
    component = Component(
        slices=tuple(from_records(record.get("slices", []))),
        slices_reference=ENGINE,
        slice_rule=SliceRule(min_items=gates.min_slice_items, max_loss=gates.max_slice_loss),
        name="rerank",
        title="Search success with and without CLIPRerank",
        methods=methods,
        model=CV,
        reference=ENGINE,
        thresholds=(
            Threshold(
                metric=measure, tolerance=gates.tolerance, min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta
            ),
        ),
        chart_metrics=tuple(dict.fromkeys(k for v in methods.values() for k in v if "/" not in k)),
        n_eval=int(engine["n_topics"]),
        min_eval=gates.min_eval_topics,
        uses_encoder=True,
        warnings=tuple(ci_warnings(measure, ci_low)),
        notes=(
            f"The gate compares cross-validated CLIPRerank (held-out topics, α chosen on other folds) with the engine's "
            f"base run on the same topics: wins/losses/ties {counts}, mean Δ {measure} 95% CI {ci}. The "
            "'registered setting' row re-applies the registered reranker (champion, else challenger) to every topic "
            "of the current search set (in-sample), beside the engine on that set; the per-topic line and chart below "
            "compare those two rows.",
        ),
    )
    return component, detail


def depth_choice(project: Project) -> DepthChoice | None:
    """The depth–cost curve and chosen point recorded by the last tune run (with a latency budget), if any."""
    last = project.tracker.latest_run("rerank", {"kind": "tune"})
    record = read_result(project.tracker, last["run_id"], "TuneResult") if last else None
    if not record or not record.get("curve") or not record.get("depth_point"):
        return None
    curve = record["curve"]
    return DepthChoice(
        measure=str(curve["measure"]),
        points=tuple(CurvePoint(**point) for point in curve["points"]),
        chosen=CurvePoint(**record["depth_point"]),
        budget_ms=project.settings.rerank.latency_budget_ms,
    )


STALE_TUNE = "the last rerank tune run predates the engine comparison (no result.json record of it); re-run `reeltag rerank tune`"


def _stale_component(project: Project) -> Component:
    """The last tune run cannot be judged against the engine: the section shows why, with NOT ENOUGH EVIDENCE."""
    gates = project.settings.gates
    return Component(
        name="rerank",
        title="Search success with and without CLIPRerank",
        methods={ENGINE: {}, CV: {}},
        model=CV,
        reference=ENGINE,
        thresholds=(),
        min_eval=gates.min_eval_topics,
        uses_encoder=True,
        warnings=(STALE_TUNE,),
        notes=(
            "No verdict on CLIPRerank: the last tune run was logged by an older reeltag, without the record of its "
            "comparison with the engine.",
        ),
    )


def _apply_champion(project: Project, search: Path) -> tuple[dict[str, dict[str, float]], SearchDetail]:
    """Base run and the reranker's (champion, else challenger) run on every topic (tracking off: a measurement only)."""
    from reeltag.ab.paired import compare_paired
    from reeltag.rerank.formats import search_set
    from reeltag.rerank.metrics import metric_key
    from reeltag.rerank.model import setting_from_tags
    from reeltag.rerank.steps import evaluate_run, rerank_run

    found = model_run(project, "reranker")
    if found is None:
        raise NotFound("no reeltag.reranker version to re-apply to the search set: run `reeltag rerank tune` first")
    version = found[0]
    setting = asdict(setting_from_tags(version.tags, f"reranker v{version.version}"))
    quiet = project.with_settings(rerank=setting, tracking={"enabled": False})
    with tempfile.TemporaryDirectory(prefix="reeltag-report-") as tmp:
        out, files = Path(tmp) / "reranked.run", search_set(search)
        rerank_run(quiet, files["run_path"], files["topics_path"], files["manifest_path"], out)
        base = evaluate_run(quiet, files["run_path"], files["qrels_path"], SEARCH_MEASURES)
        reranked = evaluate_run(quiet, out, files["qrels_path"], SEARCH_MEASURES)
    methods = {
        ENGINE_NOW: {metric_key(m): v for m, v in base.mean.items()},
        "cliprerank (registered setting)": {metric_key(m): v for m, v in reranked.mean.items()},
    }
    first = SEARCH_MEASURES[0]
    assert base.per_topic is not None and reranked.per_topic is not None  # evaluate_run's default: per topic too
    per_topic = {q: (base.per_topic[first][q], reranked.per_topic[first].get(q, 0.0)) for q in base.per_topic[first]}
    cfg = project.settings.rerank
    paired = compare_paired(
        {q: v[0] for q, v in per_topic.items()},
        {q: v[1] for q, v in per_topic.items()},
        metric_key(first),
        cfg.bootstrap,
        cfg.seed,
    )
    return methods, SearchDetail(
        metric=metric_key(first),
        per_topic=per_topic,
        ci_low=paired.ci_low,
        ci_high=paired.ci_high,
        ci_level=paired.confidence,
        label="registered setting vs engine (base run), in-sample on every topic",
    )


def contract_results(project: Project) -> tuple[ContractResult, ...]:
    """The latest validation summary of each suite (written by validate-data)."""
    import json

    out = []
    for path in sorted(project.paths.validation.glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(report, dict) and "suite" in report:
            when = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(path.stat().st_mtime))
            out.append(
                ContractResult(
                    suite=str(report["suite"]),
                    success=bool(report.get("success")),
                    failed=tuple(report.get("failures", ())),
                    when=when,
                )
            )
    return tuple(out)


def quarantine_evidence(project: Project, per_kind: int = 3) -> tuple[dict[str, int], tuple[tuple[str, str, str], ...]]:
    """Counts per kind and the latest ``per_kind`` records of each kind (raw user text: escaped by the template)."""
    folder = project.paths.quarantine
    counts = quarantine.counts(folder)
    records = [r for kind in counts for r in quarantine.read(folder, kind)[-per_kind:]]
    return counts, tuple((str(r.get("kind")), str(r.get("item")), str(r.get("reason"))) for r in records)


def lineage(project: Project) -> tuple[Lineage, ...]:
    """Every aliased version (champion, challenger, rollback) with what it depends on."""
    rows: dict[tuple[str, str], Lineage] = {}
    for model in MODELS:
        for alias in ALIASES:
            info = project.tracker.by_alias(model, alias)
            if info is None:
                continue
            key = (info.model, info.version)
            aliases = (rows[key].aliases if key in rows else ()) + (alias,)
            depends = {k: v for k, v in info.tags.items() if k.startswith("depends_on.") or k == "reeltag.encoder_weights"}
            rows[key] = Lineage(model=info.model, version=info.version, aliases=aliases, run_id=info.run_id, depends_on=depends)
    return tuple(rows.values())


def top_tags(project: Project, n: int = 15) -> tuple[tuple[str, int], ...]:
    from reeltag.corpus.steps import read_sentences

    try:
        frame = read_sentences(project)
    except NotFound:
        return ()
    counts = Counter(tag for tags in frame["tags"] for tag in tags)
    return tuple(counts.most_common(n))


def is_demo(project: Project) -> bool:
    """Demo data: a champion was trained under the 'demo' trigger, or this report runs under it."""
    runs = [model_run(project, model) for model in MODELS]
    triggers = {run[1]["tags"].get("reeltag.trigger") for run in runs if run}
    return "demo" in triggers or project.settings.tracking.trigger == "demo"


def time_saved(project: Project, mapper: Component | None) -> TimeSaved | None:
    p5 = mapper.methods.get("mapper", {}).get("p_at_5") if mapper else None
    if p5 is None:
        return None
    return TimeSaved(
        project.settings.gates.minutes_per_manual_tag, 5 * p5, "P@5 × 5 suggestions: expected correct tags staff accept"
    )
