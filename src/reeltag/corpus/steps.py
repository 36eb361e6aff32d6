"""Corpus steps: ingest posts into the Parquet store (the engine: :mod:`reeltag.corpus.ingestion`); validate the
store against its contracts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reeltag import quarantine
from reeltag.config import CorpusSection
from reeltag.console import jsonable
from reeltag.corpus import sentences, store
from reeltag.corpus.ingestion import Advance, Ingestion, ingest_file, start_ingestion
from reeltag.corpus.posts import detect_format
from reeltag.corpus.tags import TagRules
from reeltag.errors import BadInput, ContractFailed, NotFound
from reeltag.io import atomic_path, write_json_atomic
from reeltag.project import Project

SENTENCES_FILE = "sentences.parquet"


@dataclass(frozen=True, kw_only=True)
class IngestSummary:
    files: tuple[str, ...]
    sources: tuple[str, ...]
    lines_read: int
    added: int
    duplicates_by_id: int
    duplicates_by_content: int
    without_hashtags: int
    quarantined: int
    rejected_tags: dict[str, int]
    parts_written: tuple[str, ...]
    total_posts: int
    corpus_hash: str


def tag_rules(corpus: CorpusSection) -> TagRules:
    return TagRules(frozenset(corpus.stop_tags), corpus.min_tag_len, corpus.max_tag_len)


def ingest_posts(
    project: Project, files: Sequence[Path], fmt: str = "auto", source_name: str | None = None, advance: Advance | None = None
) -> IngestSummary:
    """Add new posts from ``files`` to the corpus store (watermark per source and file; dedupe by id and content)."""
    folder, corpus = project.paths.corpus, project.settings.corpus
    _check_files(files)
    with store.locked(folder):
        state = start_ingestion(folder, project.paths.quarantine, tag_rules(corpus), corpus.max_tags_per_post, corpus.part_rows)
        marks = store.load_watermarks(folder)
        sources = []
        for path in files:
            source = source_name or path.stem
            sources.append(source)
            ingest_file(state, marks, path, detect_format(path, fmt), source, advance or (lambda n: None))
        return _summary(state, files, sources)


def _check_files(files: Sequence[Path]) -> None:
    missing = [str(p) for p in files if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"post files not found: {', '.join(missing)}")


def _summary(state: Ingestion, files: Iterable[Path], sources: list[str]) -> IngestSummary:
    c = state.counts
    return IngestSummary(
        files=tuple(str(f) for f in files),
        sources=tuple(dict.fromkeys(sources)),
        lines_read=c["lines_read"],
        added=c["added"],
        duplicates_by_id=c["duplicates_by_id"],
        duplicates_by_content=c["duplicates_by_content"],
        without_hashtags=c["without_hashtags"],
        quarantined=c["quarantined"],
        rejected_tags=dict(state.rejected_tags),
        parts_written=tuple(state.parts),
        total_posts=state.next_seq,
        corpus_hash=store.corpus_hash(state.folder),
    )


@dataclass(frozen=True, kw_only=True)
class SuiteReport:
    suite: str
    contract_version: str
    rows: int
    success: bool
    critical_failed: bool
    failures: tuple[str, ...]
    quarantined_posts: int


@dataclass(frozen=True, kw_only=True)
class ValidateResult:
    ok: bool
    suites: tuple[SuiteReport, ...]
    sentences: int  # validated, non-empty sentences written for training (0 when a critical check failed)
    sentences_path: str | None
    run_id: str | None


DATASETS = ("posts", "hashtag_sentences")


def validate_corpus(project: Project, dataset: str = "all") -> ValidateResult:
    """Run the contracts on the store; quarantine failing rows; write validated sentences; log the summary.

    A critical failure removes the validated sentences (so training cannot use stale ones) and raises
    :class:`~reeltag.errors.ContractFailed` after the summary is written and logged.
    """
    if dataset not in (*DATASETS, "all"):
        raise BadInput(f"unknown dataset {dataset!r}: use one of {', '.join(DATASETS)} or all")
    # Under the store lock: two validate runs would both find a failing row not yet quarantined and record it
    # twice, and an ingest in between would make the sentences disagree with the store that was checked.
    with store.locked(project.paths.corpus):
        return _validate_store(project, dataset)


def _validate_store(project: Project, dataset: str) -> ValidateResult:
    from reeltag.contracts.runner import validate_frame

    posts = store.read_table(project.paths.corpus).to_pandas()
    frames = {"posts": sentences.posts_frame(posts), "hashtag_sentences": sentences.sentences_frame(posts)}
    id_columns = {"posts": "id", "hashtag_sentences": "post_id"}
    reports, bad_ids = [], set()
    for name in DATASETS if dataset == "all" else (dataset,):
        summary = validate_frame(name, frames[name], project.paths.contracts)
        failed = _quarantine_rows(project, name, summary.row_reasons(), frames[name], id_columns[name], posts)
        bad_ids |= failed
        reports.append(_suite_report(summary, len(failed)))
    return _finish(project, posts, tuple(reports), bad_ids, write=dataset == "all")


def _suite_report(summary, quarantined: int) -> SuiteReport:  # noqa: ANN001 (ValidationSummary, imported lazily)
    return SuiteReport(
        suite=summary.suite,
        contract_version=summary.contract_version,
        rows=summary.rows,
        success=summary.success,
        critical_failed=summary.critical_failed,
        failures=tuple(summary.failures()),
        quarantined_posts=quarantined,
    )


def _quarantine_rows(project: Project, suite: str, reasons: dict[int, tuple[str, ...]], frame, id_column: str, posts) -> set[str]:  # noqa: ANN001
    """Record failing rows (once per post id) under kind ``contract-<suite>``; returns the failing post ids."""
    kind = f"contract-{suite}"
    by_id: dict[str, list[str]] = {}
    for index, why in reasons.items():
        by_id.setdefault(str(frame[id_column].iloc[index]), []).extend(why)
    known = {r["item"] for r in quarantine.read(project.paths.quarantine, kind)}
    source = dict(zip(posts["id"], posts["source"], strict=True))
    quarantine.record(
        project.paths.quarantine,
        [
            quarantine.QuarantineRecord(kind=kind, item=pid, reason="; ".join(dict.fromkeys(why)), source=source.get(pid, ""))
            for pid, why in by_id.items()
            if pid not in known
        ],
    )
    return set(by_id)


def _finish(project: Project, posts, reports: tuple[SuiteReport, ...], bad_ids: set[str], write: bool) -> ValidateResult:  # noqa: ANN001
    folder = project.paths.validation
    critical = any(r.critical_failed for r in reports)
    target = folder / SENTENCES_FILE
    kept = posts[~posts["id"].isin(bad_ids) & (posts["tags"].map(len) > 0)]
    if critical:
        target.unlink(missing_ok=True)
    elif write:
        _write_sentences(target, kept)
    for report in reports:
        write_json_atomic(folder / f"{report.suite}.json", jsonable(report))
    n_sentences = 0 if critical or not write else len(kept)
    result = ValidateResult(
        ok=not critical,
        suites=reports,
        sentences=n_sentences,
        sentences_path=str(target) if n_sentences else None,
        run_id=_log_validation(project, reports),
    )
    if critical:
        failed = [f for r in reports for f in r.failures if "(critical)" in f]
        raise ContractFailed(f"critical data-contract failure, later steps stopped: {'; '.join(failed)}")
    return result


def _write_sentences(target: Path, kept) -> None:  # noqa: ANN001
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(kept[sentences.SENTENCE_COLUMNS].reset_index(drop=True), preserve_index=False)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)


def _log_validation(project: Project, reports: tuple[SuiteReport, ...]) -> str | None:
    tags: dict[str, str | bool] = {f"contract.{r.suite}": r.contract_version for r in reports}
    tags["critical_failed"] = any(r.critical_failed for r in reports)
    with project.tracker.run("data-validation", project.settings, tags=tags) as run:
        for r in reports:
            project.tracker.log_metrics(
                run.run_id,
                {
                    f"{r.suite}/rows": r.rows,
                    f"{r.suite}/failed_expectations": len(r.failures),
                    f"{r.suite}/quarantined_posts": r.quarantined_posts,
                    f"{r.suite}/success": float(r.success),
                },
            )
        project.tracker.log_dict(run.run_id, jsonable(reports), "validation_summary.json")
    return run.run_id


def read_sentences(project: Project):  # noqa: ANN201 (pandas DataFrame)
    """The validated sentences; :class:`NotFound` until ``reeltag validate`` has passed."""
    path = project.paths.validation / SENTENCES_FILE
    if not path.is_file():
        raise NotFound(f"no validated sentences at {path}: run `reeltag ingest` then `reeltag validate` first")
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas()
