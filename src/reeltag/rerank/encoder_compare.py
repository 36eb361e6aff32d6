"""``reeltag encoders compare``: one search set run through two or more CLIP encoders, side by side.

For each encoder (an open_clip architecture with ``random`` weights, a checkpoint file or a pretrained tag) the
catalogue's head documents are decoded and encoded afresh (a read-only, empty feature cache: frames/s is the
extraction pipeline's, never a cache hit), the topics' texts encoded, and the base run reranked with the configured
setting (``rerank.alpha``, ``normalisation``, ``pooling``) and with CLIP alone (α = 1). MAP and P@5 of both, ms per
query (query text encode + frame similarities + scoring, each topic timed alone) and frames/s are returned per
encoder, with the engine's MAP and P@5 as the reference.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reeltag.project import Project
from reeltag.rerank.apply import head_docids, prepare_topic, rerank_topic
from reeltag.rerank.formats import Qrels, Run, read_qrels
from reeltag.rerank.metrics import evaluate
from reeltag.rerank.search_inputs import SearchInputs, load_search_inputs
from reeltag.rerank.tuning import Setting

if TYPE_CHECKING:
    from reeltag.video.encoder import ClipEncoder

MEASURES = ("AP", "P@5")


@dataclass(frozen=True, kw_only=True)
class EncoderSpec:
    """One encoder to compare: ``arch`` and ``weights`` as ``[clip]`` takes them."""

    arch: str
    weights: str

    @classmethod
    def parse(cls, text: str) -> EncoderSpec:
        """``ARCH=WEIGHTS`` (``reeltag-tiny=random``, ``reeltag-tiny-rn=enc.pt``, ``ViT-B-32=openai``); ``ARCH`` alone
        is random init."""
        arch, _, weights = text.partition("=")
        return cls(arch=arch.strip(), weights=weights.strip() or "random")


@dataclass(frozen=True, kw_only=True)
class EncoderFigures:
    """One encoder's row: quality of the reranked run, per-query latency and extraction cost."""

    model_id: str
    weights_kind: str
    map: float
    p_at_5: float
    clip_map: float  # CLIP alone (alpha 1)
    clip_p_at_5: float
    ms_per_query: float  # mean over topics
    ms_per_query_p95: float
    frames_per_s: float
    frames: int
    videos: int
    extract_s: float
    load_s: float


@dataclass(frozen=True, kw_only=True)
class EncoderComparison:
    setting: Setting
    depth: int
    topics: int
    engine_map: float
    engine_p_at_5: float
    encoders: dict[str, EncoderFigures]  # name (arch=weights) → figures
    notes: tuple[str, ...]


def compare_encoders(
    project: Project,
    specs: Sequence[EncoderSpec],
    *,
    files: tuple[Path, Path, Path, Path],
    on_progress: Callable[[int], None] | None = None,
) -> EncoderComparison:
    """``files``: base run, topics, qrels, manifest. Every encoder sees the same run, topics, qrels and setting."""
    run_path, topics_path, qrels_path, manifest_path = files
    cfg = project.settings.rerank
    inputs = load_search_inputs(project, run_path, topics_path, manifest_path)
    qrels = read_qrels(qrels_path)
    setting = Setting(cfg.alpha, cfg.normalisation, cfg.pooling)
    engine = evaluate(inputs.run, qrels, MEASURES)
    rows = {_name(s): _measure(project, s, inputs, qrels, setting, on_progress) for s in specs}
    kinds = sorted({r.weights_kind for r in rows.values()})
    return EncoderComparison(
        setting=setting,
        depth=cfg.depth,
        topics=len([q for q in inputs.run.qids if q in inputs.topics.texts]),
        engine_map=engine.mean["AP"],
        engine_p_at_5=engine.mean["P@5"],
        encoders=rows,
        notes=tuple(f"{k} weights compared: no general visual meaning" for k in kinds if k in ("random", "demo-trained")),
    )


def _name(spec: EncoderSpec) -> str:
    return f"{spec.arch}={spec.weights}"


def _measure(
    project: Project,
    spec: EncoderSpec,
    inputs: SearchInputs,
    qrels: Qrels,
    setting: Setting,
    on_progress: Callable[[int], None] | None,
) -> EncoderFigures:
    from reeltag.video.encoder import load_encoder

    started = time.perf_counter()
    clip = project.settings.clip.model_copy(update={"arch": spec.arch, "weights": spec.weights, "weights_kind": "auto"})
    encoder = load_encoder(clip, project.paths)
    load_s = time.perf_counter() - started
    depth = project.settings.rerank.depth
    frames, extract_s, n_frames, videos = _fresh_frames(project, encoder, inputs, depth, on_progress)
    fused, clip_only, timings = _rerank_timed(encoder, inputs, frames, setting, depth, project.settings.rerank.top_m)
    quality, alone = evaluate(fused, qrels, MEASURES).mean, evaluate(clip_only, qrels, MEASURES).mean
    return EncoderFigures(
        model_id=encoder.model_id,
        weights_kind=encoder.weights_kind,
        map=quality["AP"],
        p_at_5=quality["P@5"],
        clip_map=alone["AP"],
        clip_p_at_5=alone["P@5"],
        ms_per_query=round(float(np.mean(timings)) * 1000, 3),
        ms_per_query_p95=round(float(np.percentile(timings, 95)) * 1000, 3),
        frames_per_s=round(n_frames / extract_s, 2) if extract_s > 0 else 0.0,
        frames=n_frames,
        videos=videos,
        extract_s=round(extract_s, 3),
        load_s=round(load_s, 3),
    )


def _fresh_frames(
    project: Project,
    encoder: ClipEncoder,
    inputs: SearchInputs,
    depth: int,
    on_progress: Callable[[int], None] | None,
) -> tuple[dict[str, np.ndarray], float, int, int]:
    """Frame vectors of every head document, decoded and encoded now (an empty read-only cache): the vectors, the
    seconds it took, the frames encoded and the videos read."""
    from reeltag.video.cache import FeatureCache
    from reeltag.video.extraction import LazyEncoder, extract_videos
    from reeltag.video.inputs import VideoInput

    docids = head_docids(inputs.run, depth, set(inputs.topics.texts))
    located = {d: inputs.manifest.paths[d] for d in docids if d in inputs.manifest.paths}
    videos = [VideoInput(path=p, docid=d) for d, p in sorted(located.items())]
    lazy = LazyEncoder(project.settings.clip, project.paths, encoder)
    with tempfile.TemporaryDirectory(prefix="reeltag-compare-") as tmp:
        cache = FeatureCache(Path(tmp), writable=False)
        started = time.perf_counter()
        done = extract_videos(
            videos, encoder.model_id, lazy=lazy, video=project.settings.video, cache=cache, on_progress=on_progress
        )
        seconds = time.perf_counter() - started
    frames = {f.docid: f.frames for f in done.features if f.docid is not None}
    return frames, seconds, sum(len(f) for f in frames.values()), len(done.features)


def _rerank_timed(
    encoder: ClipEncoder,
    inputs: SearchInputs,
    frames: dict[str, np.ndarray],
    setting: Setting,
    depth: int,
    top_m: int,
) -> tuple[Run, Run, list[float]]:
    """The run reranked with ``setting`` and with CLIP alone, and each topic's seconds (text encode + scoring)."""
    alone = Setting(1.0, setting.normalisation, setting.pooling)
    fused, clip_only, timings = {}, {}, []
    for qid in [q for q in inputs.run.qids if q in inputs.topics.texts]:
        started = time.perf_counter()
        query = encoder.encode_texts([inputs.topics.texts[qid]])[0]
        topic = prepare_topic(inputs.run.rankings[qid], query, frames, depth)
        fused[qid] = rerank_topic(topic, setting, top_m)
        timings.append(time.perf_counter() - started)
        clip_only[qid] = rerank_topic(topic, alone, top_m)
    return Run(fused, "fused"), Run(clip_only, "clip"), timings or [0.0]
