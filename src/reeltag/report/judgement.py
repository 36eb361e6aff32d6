"""The PoC go/no-go report (pure, except lazy matplotlib in ``figures``): evidence → verdicts → HTML + JSON.

``ReportData`` holds what a manager asks before a PoC decision: tag-suggestion quality against baselines,
search success with and without rerank, tagging time saved, latency and cost, data health and model lineage.
Every verdict comes from :func:`reeltag.registry.gates.decide`; weak evidence (random or demo-trained
encoder weights, demo data, too few evaluation items) is a warning, so such a report can never say GO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from reeltag.registry.gates import GO, NO_GO, NOT_ENOUGH, Decision, Guardrail, SliceRule, Threshold, decide
from reeltag.rerank.curve import CurvePoint
from reeltag.slices import SliceFigure, records, worst_slice

if TYPE_CHECKING:  # online_evidence imports this module; staff_review needs the review store
    from jinja2 import Environment

    from reeltag.report.drift_evidence import DriftEvidence
    from reeltag.report.online_evidence import OnlineSearch
    from reeltag.report.review_savings import ReviewSavings
    from reeltag.report.staff_review import StaffReview
    from reeltag.report.timeline import Served

WEAK_WEIGHTS = ("random", "demo-trained")


@dataclass(frozen=True, kw_only=True)
class Component:
    """One model's evidence: every method measured on the SAME evaluation data (model and baselines)."""

    name: str
    title: str
    methods: Mapping[str, Mapping[str, float]]
    model: str
    reference: str | None
    thresholds: tuple[Threshold, ...]
    guardrails: tuple[Guardrail, ...] = ()
    chart_metrics: tuple[str, ...] = ()
    n_eval: int = 0
    min_eval: int = 1
    uses_encoder: bool = False
    notes: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ()  # every baseline method, the reference among them
    warnings: tuple[str, ...] = ()  # component-specific weak evidence (e.g. a CI of the gain that includes 0)
    slices: tuple[SliceFigure, ...] = ()  # the model against ``slices_reference`` per slice band (reeltag.slices)
    slices_reference: str = ""  # what the slices compare with (the champion the gate saw, or a baseline)
    slice_rule: SliceRule | None = None  # the worst-slice gate over ``slices`` (set when they compare with a champion)
    bias: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)  # per method: popularity bias, coverage

    @property
    def deciding_slice(self) -> SliceFigure | None:
        """The band the worst-slice gate refuses on (``None`` when none loses)."""
        if self.slice_rule is None:
            return None
        return worst_slice(self.slices, min_items=self.slice_rule.min_items, max_loss=self.slice_rule.max_loss)

    @property
    def gains(self) -> dict[str, float]:
        """Model minus reference on every metric both have (what the model adds; shown, not decided on)."""
        model, ref = self.methods.get(self.model, {}), self.methods.get(self.reference or "", {})
        return {m: model[m] - ref[m] for m in model if m in ref and "/" not in m}

    @property
    def gains_over_baselines(self) -> dict[str, float]:
        """Model minus each baseline on the first gated metric (the reference alone is compared on every metric)."""
        model = self.methods.get(self.model, {})
        metric = self.thresholds[0].metric if self.thresholds else ""
        if metric not in model:
            return {}
        return {b: model[metric] - self.methods[b][metric] for b in self.baselines if metric in self.methods.get(b, {})}

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics the table shows: charted ones, then those the gate checks (thresholds, guardrails)."""
        gated = [t.metric for t in self.thresholds] + [g.metric for g in self.guardrails]
        return tuple(dict.fromkeys([*self.chart_metrics, *gated]))


@dataclass(frozen=True, kw_only=True)
class SearchDetail:
    """Per-topic effect of reranking on ``metric`` with a bootstrap confidence interval of the mean delta."""

    metric: str
    per_topic: Mapping[str, tuple[float, float]]  # qid → (base, reranked)
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    label: str = "reranked vs base"  # which comparison the per-topic values, counts and CI describe

    @property
    def deltas(self) -> tuple[float, ...]:
        return tuple(after - before for before, after in self.per_topic.values())

    def counts(self, eps: float = 1e-9) -> dict[str, int]:
        """Topics that the rerank wins, loses or ties."""
        d = self.deltas
        return {"wins": sum(x > eps for x in d), "losses": sum(x < -eps for x in d), "ties": sum(abs(x) <= eps for x in d)}


@dataclass(frozen=True, kw_only=True)
class DepthChoice:
    """The depth–cost curve the registered reranker's depth was chosen from (``rerank tune --latency-budget-ms``)."""

    measure: str
    points: tuple[CurvePoint, ...]
    chosen: CurvePoint
    budget_ms: float | None


@dataclass(frozen=True)
class TimeSaved:
    minutes_per_tag: float
    accepted_per_video: float  # acceptance proxy: expected correct tags among the top-k suggestions
    proxy: str

    @property
    def minutes_per_1000_videos(self) -> float:
        return 1000.0 * self.accepted_per_video * self.minutes_per_tag


@dataclass(frozen=True)
class StageCost:
    stage: str
    seconds_per_video: float
    cores: int

    @property
    def cpu_hours_per_1000(self) -> float:
        return self.seconds_per_video * self.cores * 1000.0 / 3600.0


@dataclass(frozen=True, kw_only=True)
class ContractResult:
    suite: str
    success: bool
    failed: tuple[str, ...] = ()
    when: str = ""


@dataclass(frozen=True, kw_only=True)
class Lineage:
    model: str
    version: str
    aliases: tuple[str, ...]
    run_id: str
    depends_on: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ReportData:
    title: str
    generated_at: str
    weights_kind: str
    demo: bool
    components: tuple[Component, ...]
    search: SearchDetail | None = None
    time_saved: TimeSaved | None = None
    costs: tuple[StageCost, ...] = ()
    contracts: tuple[ContractResult, ...] = ()
    quarantine: Mapping[str, int] = field(default_factory=dict)
    quarantine_samples: tuple[tuple[str, str, str], ...] = ()  # (kind, item, reason)
    lineage: tuple[Lineage, ...] = ()
    examples: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (video, suggested tags)
    top_tags: tuple[tuple[str, int], ...] = ()
    staff_review: StaffReview | None = None  # measured on staff decisions, when there are any
    online_search: OnlineSearch | None = None  # the online A/B days, when an experiment has data
    depth_choice: DepthChoice | None = None  # the reranker's depth, when a latency budget chose it
    review_order: str = ""  # the review queue's order in use (review.order)
    serving: tuple[Served, ...] = ()  # the reranker's and mapper's serving aliases over time (the alias history)
    review_savings: ReviewSavings | None = None  # labels that order saves vs random, as the L1 bench measured
    drift: DriftEvidence | None = None  # the newest Tag2Vec drift check, when an ingest has run one


@dataclass(frozen=True)
class Judgement:
    component: str
    title: str
    decision: Decision


def evidence_warnings(data: ReportData, component: Component) -> tuple[str, ...]:
    """Why the evidence for ``component`` is too weak for GO (empty when it is strong enough)."""
    found: list[str] = []
    if component.uses_encoder and data.weights_kind in WEAK_WEIGHTS:
        found.append(f"CLIP encoder weights are {data.weights_kind!r}, not real or adapted published weights")
    if data.demo:
        found.append("measured on synthetic demo data, not company data")
    if component.n_eval < component.min_eval:
        found.append(f"only {component.n_eval} evaluation items (at least {component.min_eval} needed)")
    return tuple(found) + tuple(component.warnings)


def judge(data: ReportData, component: Component) -> Judgement:
    """The component's verdict: its model against its reference baseline, through the house gates."""
    reference = component.methods.get(component.reference) if component.reference else None
    decision = decide(
        component.methods.get(component.model, {}),
        reference,
        component.thresholds,
        component.guardrails,
        evidence_warnings(data, component),
        reference=component.reference or "reference",
        slices=component.slices,
        slice_rule=component.slice_rule,
    )
    return Judgement(component.name, component.title, decision)


def overall(judgements: Sequence[Judgement]) -> str:
    """GO only if every component is GO; NO-GO if any is NO-GO; otherwise NOT ENOUGH EVIDENCE."""
    verdicts = {j.decision.verdict for j in judgements}
    if NO_GO in verdicts:
        return NO_GO
    return GO if verdicts == {GO} else NOT_ENOUGH


def decision_json(data: ReportData, judgements: Sequence[Judgement]) -> dict[str, Any]:
    """The machine-readable decision (``decision.json``)."""
    by_name = {c.name: c for c in data.components}
    return {
        "verdict": overall(judgements),
        "generated_at": data.generated_at,
        "weights_kind": data.weights_kind,
        "demo_data": data.demo,
        "components": {j.component: _component_json(j, by_name.get(j.component)) for j in judgements},
        "metrics": {c.name: {m: dict(v) for m, v in c.methods.items()} for c in data.components},
        "time_saved_minutes_per_1000_videos": data.time_saved.minutes_per_1000_videos if data.time_saved else None,
        "staff_review": _staff_review_json(data.staff_review),
        "review_order": {"order": data.review_order, "savings_vs_random": _jsonable(data.review_savings)},
        "online_search": _jsonable(data.online_search),
        "tag2vec_drift": _jsonable(data.drift),
        "lineage": [
            {
                "model": x.model,
                "version": x.version,
                "aliases": list(x.aliases),
                "run_id": x.run_id,
                "depends_on": dict(x.depends_on),
            }
            for x in data.lineage
        ],
        "serving_timeline": _jsonable(data.serving),
    }


def _component_json(judgement: Judgement, component: Component | None) -> dict[str, Any]:
    decision = judgement.decision
    figures = component.slices if component else ()
    deciding = component.deciding_slice if component else None
    return {
        "verdict": decision.verdict,
        "go": decision.go,
        "reasons": list(decision.reasons),
        "slices": records(figures),
        "slices_reference": component.slices_reference if component else "",
        "deciding_slice": deciding.record() if deciding else None,
        "popularity_bias": {m: dict(v) for m, v in component.bias.items()} if component else {},
    }


def _staff_review_json(review: StaffReview | None) -> dict[str, Any] | None:
    return None if review is None else {**_jsonable(review), "enough": review.enough}


def _jsonable(found: Any) -> Any:
    from reeltag.console import jsonable

    return jsonable(found)


def markdown_summary(data: ReportData, judgements: Sequence[Judgement]) -> str:
    """A short Markdown summary (the Prefect artifact)."""
    lines = [
        f"# {data.title}: **{overall(judgements)}**",
        "",
        f"Encoder weights: `{data.weights_kind}`" + (" · demo data" if data.demo else ""),
        "",
        "| component | verdict | first reason |",
        "|---|---|---|",
    ]
    for j in judgements:
        first = j.decision.reasons[0] if j.decision.reasons else ""
        lines.append(f"| {j.title} | {j.decision.verdict} | {first.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("reeltag.report", "templates"), autoescape=True, undefined=StrictUndefined)


def render_html(data: ReportData, judgements: Sequence[Judgement], charts: Mapping[str, str]) -> str:
    """One self-contained HTML page; ``charts`` maps chart names to base64 PNGs (see ``figures.all_charts``)."""
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            judgements=judgements,
            verdict=overall(judgements),
            charts=charts,
            warnings=sorted({w for c in data.components for w in evidence_warnings(data, c)}),
        )
    )
