"""Step ``build_report``: gather the evidence, judge each component through the gates, write HTML + JSON, log them.

Files: ``<out>`` (default ``data/reports/report.html``) and ``decision.json`` beside it (``<out stem>.decision.json``
when ``out`` is given: see :func:`decision_path`), both written atomically; MLflow run in ``reeltag/report`` with the verdicts as tags and both files as artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from reeltag.io import write_json_atomic, write_text_atomic
from reeltag.mapper.labels import labelled_videos
from reeltag.project import Project
from reeltag.report import evidence as ev
from reeltag.report.drift_evidence import drift_evidence
from reeltag.report.figures import all_charts
from reeltag.report.judgement import WEAK_WEIGHTS, ReportData, decision_json, judge, markdown_summary, render_html
from reeltag.report.online_evidence import online_judgement, online_search
from reeltag.report.timeline import serving_timeline
from reeltag.video.weights import weights_kind

if TYPE_CHECKING:
    from reeltag.report.review_savings import ReviewSavings
    from reeltag.report.staff_review import StaffReview

TITLE = "reeltag PoC go/no-go"


@dataclass(frozen=True, kw_only=True)
class ReportResult:
    html: str
    decision: str
    verdict: str
    components: dict[str, str]
    weights_kind: str
    demo_data: bool
    warnings: tuple[str, ...]
    markdown: str
    run_id: str | None


def gather_evidence(project: Project, labels: str | None = None, search: str | None = None) -> ReportData:
    """Everything the report shows, measured now or read from MLflow and the stores."""
    videos = (
        labelled_videos(labels, project.settings.paths.allow_absolute_manifest_paths)[
            : project.settings.gates.report_sample_videos
        ]
        if labels
        else []
    )
    timed = ev.time_videos(project, videos)
    costs, suggested = timed if timed else ((), None)
    latency = sum(c.seconds_per_video for c in costs) * 1000.0 if costs else None
    coverage = suggested.suggested / max(suggested.inputs, 1) if suggested else None
    mapper = ev.mapper_component(project, labels, latency, coverage)
    rerank, search_detail = ev.rerank_component(project, search)
    counts, samples = ev.quarantine_evidence(project)
    return ReportData(
        title=TITLE,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        weights_kind=_weights_kind(project, suggested),
        demo=ev.is_demo(project),
        components=tuple(c for c in (ev.tag2vec_component(project), mapper, rerank) if c is not None),
        search=search_detail,
        time_saved=ev.time_saved(project, mapper),
        costs=costs,
        contracts=ev.contract_results(project),
        quarantine=counts,
        quarantine_samples=samples,
        lineage=ev.lineage(project),
        serving=serving_timeline(project),
        examples=_examples(suggested),
        top_tags=ev.top_tags(project),
        staff_review=_staff_review(project),
        review_order=project.settings.review.order,
        review_savings=_review_savings(project),
        online_search=online_search(project),
        depth_choice=ev.depth_choice(project),
        drift=drift_evidence(project),
    )


def _staff_review(project: Project) -> StaffReview | None:
    """Measured staff-review evidence (``reeltag.report.staff_review``), when the project has a review store."""
    from reeltag.report.staff_review import staff_review
    from reeltag.review.store import ReviewStore

    settings = project.settings
    return staff_review(ReviewStore(project.paths.review_db), settings.gates.min_review_items, settings.review.seed)


def _review_savings(project: Project) -> ReviewSavings | None:
    """The labels the order in use saves against random, from the learning-curve bench's record, when there is one."""
    from reeltag.report.review_savings import read_review_savings

    review = project.settings.review
    return read_review_savings(project.paths.root / review.curve_record, review.order)


def _weights_kind(project: Project, suggested: object | None) -> str:
    """The weakest kind of CLIP weights behind the registered mapper and reranker (else the configured kind)."""
    tagged = [
        found[0].tags.get("reeltag.encoder_weights")
        for found in map(ev.model_run, (project,) * 2, ("mapper", "reranker"))
        if found
    ]
    kinds = [k for k in tagged if k] + ([str(getattr(suggested, "encoder_weights"))] if suggested is not None else [])
    weak = [k for k in kinds if k in WEAK_WEIGHTS]
    if weak or kinds:
        return (weak or kinds)[0]
    clip = project.settings.clip
    return weights_kind(clip.weights, clip.weights_kind, project.paths.root)


def _examples(suggested: object | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if suggested is None:
        return ()
    return tuple((Path(v.video).name, tuple(s.tag.lstrip("#") for s in v.tags[:5])) for v in getattr(suggested, "videos"))


def build_report(project: Project, labels: str | None = None, search: str | None = None, out: str | None = None) -> ReportResult:
    """Write the report and ``decision.json``; log both to MLflow ``reeltag/report``."""
    data = gather_evidence(project, labels, search)
    judgements = [judge(data, c) for c in data.components] + online_judgement(data.online_search)
    html_path = Path(out) if out else project.paths.reports / "report.html"
    decision = decision_json(data, judgements)
    write_text_atomic(html_path, render_html(data, judgements, all_charts(data)))
    json_path = write_json_atomic(decision_path(html_path, chosen=out is not None), decision)
    markdown = markdown_summary(data, judgements)
    components = {j.component: j.decision.verdict for j in judgements}
    warnings = tuple(sorted({r for j in judgements for r in j.decision.reasons if r.startswith("warning:")}))
    run_id = _log(project, html_path, json_path, decision["verdict"], components, markdown)
    return ReportResult(
        html=str(html_path),
        decision=str(json_path),
        verdict=decision["verdict"],
        components=components,
        weights_kind=data.weights_kind,
        demo_data=data.demo,
        warnings=warnings,
        markdown=markdown,
        run_id=run_id,
    )


def decision_path(html: Path, chosen: bool) -> Path:
    """``decision.json`` beside the default report; ``<report name>.decision.json`` beside a report written to a
    path the user chose, so ``--out ~/x/report.html`` never replaces a ``decision.json`` that is not ours."""
    return html.with_name(f"{html.stem}.decision.json" if chosen else "decision.json")


def _log(project: Project, html: Path, decision: Path, verdict: str, components: dict[str, str], markdown: str) -> str | None:
    tags = {"decision": verdict, **{f"decision.{name}": v for name, v in components.items()}}
    with project.tracker.run("report", project.settings, tags=tags) as run:
        project.tracker.log_artifact(run.run_id, html)
        project.tracker.log_artifact(run.run_id, decision)
        project.tracker.log_text(run.run_id, markdown, "summary.md")
    return run.run_id
