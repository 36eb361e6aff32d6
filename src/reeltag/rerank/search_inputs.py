"""The inputs every search step reads: run, topics and manifest (their problems quarantined under
``data/quarantine/search.jsonl``), and the CLIP features of the candidates (frames from the video feature cache,
extracted on a miss; the topics' text vectors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reeltag import quarantine
from reeltag.project import Project
from reeltag.rerank.apply import head_docids
from reeltag.rerank.formats import Issue, Manifest, Run, Topics, read_manifest, read_run, read_topics

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder

SOURCE = "rerank"


@dataclass(frozen=True, kw_only=True)
class SearchInputs:
    run: Run
    topics: Topics
    manifest: Manifest
    issues: tuple[Issue, ...]


@dataclass(frozen=True, kw_only=True)
class CandidateFeatures:
    """Query vectors per topic and frame vectors per candidate document, from one encoder."""

    queries: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    encoder_model_id: str
    encoder_weights: str
    videos_encoded: int
    videos_cached: int
    videos_unreadable: int
    docs_not_in_manifest: int


def load_search_inputs(project: Project, run_path: Path, topics_path: Path, manifest_path: Path) -> SearchInputs:
    """Read run, topics and manifest; quarantine what they report."""
    topics = read_topics(topics_path)
    run = read_run(run_path, known_topics=topics.texts)
    manifest = read_manifest(manifest_path, project.settings.paths.allow_absolute_manifest_paths)
    issues = topics.issues + run.issues + manifest.issues
    quarantine_issues(project, issues)
    return SearchInputs(run=run, topics=topics, manifest=manifest, issues=issues)


def quarantine_issues(project: Project, issues: Sequence[Issue]) -> None:
    records = [
        quarantine.QuarantineRecord(kind="search", item=i.item, reason=f"{i.kind}: {i.detail}", source=SOURCE) for i in issues
    ]
    quarantine.record(project.paths.quarantine, records)


def collect_features(
    project: Project,
    inputs: SearchInputs,
    depth: int,
    encoder: "ClipEncoder | None" = None,
    on_progress: Callable[[int], None] | None = None,
) -> CandidateFeatures:
    """Cached (or newly extracted) frame features of every head document, and the topics' text vectors."""
    from reeltag.video.encoder import load_encoder
    from reeltag.video.steps import extract_features

    docids = head_docids(inputs.run, depth, set(inputs.topics.texts))
    located = {d: inputs.manifest.paths[d] for d in docids if d in inputs.manifest.paths}
    encoder = encoder or load_encoder(project.settings.clip, project.paths)
    batch = extract_features(project, sorted(set(located.values())), on_progress, encoder)
    by_video = batch.by_video()
    frames = {d: by_video[str(p)].frames for d, p in located.items() if str(p) in by_video}
    qids = [q for q in inputs.run.qids if q in inputs.topics.texts]
    vectors: np.ndarray | list[np.ndarray] = encoder.encode_texts([inputs.topics.texts[q] for q in qids]) if qids else []
    return CandidateFeatures(
        queries=dict(zip(qids, vectors)),
        frames=frames,
        encoder_model_id=batch.model_id,
        encoder_weights=batch.weights_kind,
        videos_encoded=batch.encoded,
        videos_cached=batch.cached,
        videos_unreadable=batch.quarantined,
        docs_not_in_manifest=len(docids) - len(located),
    )
