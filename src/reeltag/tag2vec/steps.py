"""Tag2Vec steps: train (full or incremental) + register + gate, evaluate, neighbours, trends, champion loading."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reeltag.corpus.sentences import heldout_mask, latest_mask, tag_lists, val_mask
from reeltag.corpus.steps import SENTENCES_FILE, read_sentences
from reeltag.corpus.tags import SurfaceForms
from reeltag.errors import BadInput, NotFound
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.registry.gates import Decision, SliceRule, Threshold, comparison_metrics, decide
from reeltag.registry.policy import Candidate, Gate, GateOutcome, Registration, native_copy, register_and_gate
from reeltag.security import check_trusted
from reeltag.slices import SliceFigure, records
from reeltag.tag2vec.baselines import Vocabulary, save_vocabulary
from reeltag.tag2vec.evaluate import (
    GATED,
    MethodScore,
    Queries,
    best_baseline,
    frequency_slices,
    make_queries,
    method_ranks,
    metric_dict,
    recommender,
    score,
)
from reeltag.tag2vec.offer import choose_offer, load_offered_ranker, offer_meta, save_offered, served_ranker_ranks
from reeltag.tag2vec.ranker_model import RankerModel
from reeltag.tag2vec.recency import from_settings, recent_training_set
from reeltag.tag2vec.space import META_FILE, TagSpace, load_space, save_space
from reeltag.tag2vec.trends import TrendReport, trend_report
from reeltag.tracking.off import needs_tracking
from reeltag.tracking.results import log_result

if TYPE_CHECKING:
    from reeltag.config import Tag2VecSection
    from reeltag.tracking.store import VersionInfo

MODEL = "tag2vec"
LOADER = "reeltag.tag2vec.pyfunc:load_pyfunc"


@dataclass(frozen=True, kw_only=True)
class Split:
    train: list[list[str]]  # normalised tags of the training posts
    test: list[list[str]]  # normalised tags of the held-out posts
    train_seq: np.ndarray  # ingestion order of each training post
    corpus_hash: str  # hash of the validated sentences file
    val: np.ndarray | None = None  # True for the training posts that are validation posts (None: no split made)
    train_created: tuple[str | None, ...] = ()  # created_at (ISO UTC) of each training post; the recent mode reads it

    def fit_and_val(self, fraction: float) -> tuple[list[list[str]], list[list[str]]]:
        """Training posts with tags, without and with the validation ones (``val``, else the latest ``fraction``
        by seq); posts without tags give no query and teach nothing."""
        held = self.val if self.val is not None else latest_mask(self.train_seq, fraction)
        return [s for s, v in zip(self.train, held) if s and not v], [s for s, v in zip(self.train, held) if s and v]


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    methods: dict[str, MethodScore]
    recommender: str
    queries: int
    heldout_posts: int
    vocabulary: int
    k: int
    slices: list[dict[str, Any]]  # tag_frequency bands of tag2vec_io (the gated method) against slices_reference
    slices_reference: str  # "baseline <the baseline with the best hit@k>" ("" without a space)
    val: dict[str, MethodScore] = field(default_factory=dict)  # the offered methods on validation posts (the choice)
    recommender_note: str = ""  # how ``recommender`` was chosen

    def metrics(self) -> dict[str, float]:
        return {**metric_dict(self.methods, self.k), "test/queries": float(self.queries)}


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    version: str
    run_id: str
    incremental: bool
    sentences_trained: int
    vocabulary: int
    new_tags: int
    corpus_hash: str
    evaluation: Evaluation
    champion_before: str | None
    champion_metrics: dict[str, float] | None
    slices: list[dict[str, Any]]  # tag_frequency bands of tag2vec_io against slices_reference
    slices_reference: str  # "champion vN" (the gate's comparison, same queries), else the evaluation's baseline
    verdict: str
    promoted: bool
    reasons: tuple[str, ...]
    champion_after: str | None


def load_split(project: Project) -> Split:
    """Validated sentences split into training and held-out posts (``corpus.heldout_sources`` or ``corpus.split``)."""
    frame = read_sentences(project)
    mask = heldout_mask(frame, project.settings.corpus)
    _check_split(mask, project.settings.corpus.heldout_sources)
    digest = sha256_file(project.paths.validation / SENTENCES_FILE)[:16]
    return Split(
        train=tag_lists(frame["tags"][~mask]),
        test=tag_lists(frame["tags"][mask]),
        train_seq=frame["seq"][~mask].to_numpy(),
        corpus_hash=digest,
        val=val_mask(frame[~mask], project.settings.corpus, project.settings.tag2vec.val_fraction),
        train_created=tuple(w if isinstance(w, str) and w else None for w in frame["created_at"][~mask]),
    )


@dataclass(frozen=True)
class Reference:
    """What every method and model is scored on: the training vocabulary and the held-out queries."""

    vocab: Vocabulary
    queries: Queries


def _check_split(mask: np.ndarray, heldout_sources: tuple[str, ...]) -> None:
    if not mask.any():
        where = f"from corpus.heldout_sources {list(heldout_sources)}" if heldout_sources else "held out"
        raise BadInput(f"no validated posts {where}: ingest them (--source-name) and run `reeltag validate`")
    if mask.all():
        raise BadInput("every validated post is held out: nothing is left to train on")


def reference_set(project: Project, split: Split, surface: SurfaceForms) -> Reference:
    """Training vocabulary (counts, co-occurrences) and leave-one-tag-out queries, both in ``surface`` forms."""
    vocab = Vocabulary.fit([surface.sentence(s) for s in split.train], project.settings.tag2vec.min_count)
    return Reference(vocab, make_queries([surface.sentence(s) for s in split.test], vocab))


@dataclass(frozen=True, eq=False)
class Scored:
    """An evaluation and every method's rank of each hidden tag (for paired slices; never logged)."""

    evaluation: Evaluation
    ranks: dict[str, np.ndarray]


def evaluate_space(project: Project, space: TagSpace | None, ref: Reference, ranker: RankerModel | None = None) -> Scored:
    """Every method on the same queries (a model is looked up by stem, so its own surface forms do not matter),
    the offered ranker too when there is one, and the gated method's bands against the best baseline. The
    recommender is the one the space's training chose on validation posts (``meta.json``)."""
    cfg = project.settings.tag2vec
    found = method_ranks(ref.vocab, ref.queries, space, cfg.hybrid_pseudo_count)
    if ranker is not None and space is not None:
        found["ranker_tags"] = served_ranker_ranks(space, ref.vocab, ref.queries, ranker)
    methods = {name: score(rank, cfg.eval_k) for name, rank in found.items()}
    chosen, note, val = _chosen(space, methods)
    base = best_baseline(methods)
    figures = band_figures(project, ref, found[GATED], found[base]) if GATED in found else []
    evaluation = Evaluation(
        methods=methods,
        recommender=chosen,
        queries=len(ref.queries.targets),
        heldout_posts=ref.queries.posts,
        vocabulary=len(ref.vocab.tags),
        k=cfg.eval_k,
        slices=records(figures),
        slices_reference=f"baseline {base}" if figures else "",
        val=val,
        recommender_note=note,
    )
    return Scored(evaluation, found)


def _chosen(space: TagSpace | None, methods: dict[str, MethodScore]) -> tuple[str, str, dict[str, MethodScore]]:
    """The recommender the space's training chose on validation posts; a model from before that choice gets the
    old rule on these (test) figures, and says so."""
    meta = space.meta if space is not None else {}
    if meta.get("recommender") in methods and "recommender_note" in meta:
        val = {name: MethodScore(**s) for name, s in meta.get("val", {}).items()}
        return str(meta["recommender"]), str(meta["recommender_note"]), val
    return recommender(methods), "no choice on validation recorded: the old rule on these held-out figures", {}


def band_figures(project: Project, ref: Reference, challenger: np.ndarray, reference: np.ndarray | None) -> list[SliceFigure]:
    """The ``tag_frequency`` bands of two methods' ranks of the same queries."""
    k, bands = project.settings.tag2vec.eval_k, project.settings.slices
    return frequency_slices(ref.vocab, ref.queries, challenger, reference, k=k, bands=bands)


def gate_thresholds(project: Project) -> list[Threshold]:
    k, tolerance = project.settings.tag2vec.eval_k, project.settings.gates.tolerance
    return [Threshold(metric=f"test/tag2vec_io_{name}_at_{k}", tolerance=tolerance) for name in ("hit", "mrr")]


def evaluation_warnings(project: Project, evaluation: Evaluation) -> list[str]:
    """What makes the figures less trustworthy (too few held-out queries)."""
    if evaluation.queries < project.settings.tag2vec.min_eval_queries:
        return [f"only {evaluation.queries} held-out queries (< tag2vec.min_eval_queries)"]
    return []


def gate(project: Project, challenger: Evaluation, champion: Evaluation | None, slices: Sequence[SliceFigure] = ()) -> Decision:
    """The thresholds against the champion on the same queries, and the worst-slice rule over ``slices``
    (tag2vec_io's bands against the champion's)."""
    warnings, g = evaluation_warnings(project, challenger), project.settings.gates
    return decide(
        challenger.metrics(),
        champion.metrics() if champion else None,
        gate_thresholds(project),
        warnings=warnings,
        slices=slices,
        slice_rule=SliceRule(min_items=g.min_slice_items, max_loss=g.max_slice_loss),
    )


def fetch_space(project: Project, version: str | None = None, alias: str = "champion") -> TagSpace:
    """A registered version (or the alias) as a :class:`TagSpace`; files cached under ``data/models/tag2vec/``."""
    folder, info = fetch_folder(project, version, alias)
    return load_space(folder, info.version)


def fetch_folder(project: Project, version: str | None = None, alias: str = "champion") -> tuple[Path, VersionInfo]:
    """The verified local folder of a registered version (or the alias) and its registry record."""
    info = project.tracker.version(MODEL, version) if version else project.tracker.by_alias(MODEL, alias)
    if info is None:
        raise NotFound(f"no {alias} of reeltag.{MODEL} yet: run `reeltag tag2vec train` first")
    return native_folder(project, info), info


def native_folder(project: Project, info: VersionInfo) -> Path:
    """The verified local copy of a version's Tag2Vec files (see :func:`reeltag.registry.policy.native_copy`)."""
    return native_copy(project, info) / MODEL


def load_champion_tag2vec(project: Project) -> tuple[TagSpace, str]:
    """The champion tag space and its registry version (mappers must be trained against this version)."""
    space = fetch_space(project)
    return space, space.version


@dataclass(frozen=True, kw_only=True)
class EvaluateResult:
    version: str
    evaluation: Evaluation
    run_id: str | None  # None when tracking is off


def evaluate_tag2vec(project: Project, version: str | None = None) -> EvaluateResult:
    """Evaluate the champion (or ``version``) and the baselines on the held-out posts; logged to ``reeltag/tag2vec``."""
    folder, info = fetch_folder(project, version)
    space, split = load_space(folder, info.version), load_split(project)
    ranker = load_offered_ranker(check_trusted(folder, project.paths), space.meta)
    evaluation = evaluate_space(project, space, reference_set(project, split, space.surface), ranker).evaluation
    result = EvaluateResult(
        version=space.version, evaluation=evaluation, run_id=_log_evaluation(project, space.version, split, evaluation)
    )
    log_result(project.tracker, result.run_id, result)
    return result


def _log_evaluation(project: Project, version: str, split: Split, evaluation: Evaluation) -> str | None:
    """The same ``test/…`` metrics a training run logs, tagged ``evaluated_version`` (``version`` is what a training run produced)."""
    tags = {
        "kind": "evaluate",
        "evaluated_version": version,
        "corpus_hash": split.corpus_hash,
        "recommender": evaluation.recommender,
        "warnings": " | ".join(evaluation_warnings(project, evaluation)),
    }
    with project.tracker.run(MODEL, project.settings, tags=tags) as run:
        project.tracker.log_metrics(run.run_id, evaluation.metrics())
    return run.run_id


@dataclass(frozen=True)
class Neighbours:
    tag: str
    version: str
    neighbours: tuple[tuple[str, float], ...]


def tag_neighbours(project: Project, tag: str, k: int = 10, version: str | None = None) -> Neighbours:
    space = fetch_space(project, version)
    row = space.index_of(tag)
    if row is None:
        raise BadInput(f"tag {tag!r} is not in the vocabulary of reeltag.{MODEL} v{space.version}")
    return Neighbours(space.tags[row], space.version, tuple(space.neighbours(tag, k)))


def tag_trends(project: Project, from_version: str, to_version: str, top: int = 20) -> TrendReport:
    old, new = fetch_space(project, from_version), fetch_space(project, to_version)
    return trend_report(old, new, project.settings.tag2vec.neighbours_k, top)


def comparison(challenger: Evaluation, champion: Evaluation | None) -> dict[str, float]:
    return comparison_metrics(challenger.metrics(), champion.metrics() if champion else None)


@dataclass(frozen=True)
class _Fitted:
    model: object  # gensim Word2Vec, kept opaque outside the adapter
    surface: SurfaceForms
    sentences: int
    recent_months: tuple[str, ...] = ()  # the recent mode: months whose posts could appear (empty: every post)


def train_tag2vec(project: Project, incremental: bool = False) -> TrainResult:
    """Train (or continue the champion), then the registration-and-gate step: evaluate against the champion on
    the same held-out posts, register, promote on GO (compare-and-swap); decision and reasons are tags."""
    from reeltag.tag2vec import train as adapter

    if not project.tracker.enabled:
        raise needs_tracking("tag2vec train (it registers and gates the model)")
    split, champion = load_split(project), project.tracker.by_alias(MODEL, "champion")
    offered = choose_offer(project, *split.fit_and_val(project.settings.tag2vec.val_fraction))
    with tempfile.TemporaryDirectory(prefix="reeltag-tag2vec-") as tmp:
        fitted = _fit(project, split, champion, incremental, Path(tmp))
        meta = _meta(project, split, champion, incremental, fitted) | offer_meta(project, offered)
        space = adapter.to_space(fitted.model, fitted.surface, meta=meta)
        ref = reference_set(project, split, fitted.surface)
        scored = evaluate_space(project, space, ref, offered.ranker)
        challenger_eval = scored.evaluation
        folder = Path(tmp) / MODEL
        adapter.save_model(fitted.model, folder)
        save_space(space, folder)
        save_vocabulary(ref.vocab, folder)
        save_offered(offered, folder)
        gate_against = lambda info: _gate_against(project, scored, ref, info)  # noqa: E731
        found = _record(project, folder, space.meta, challenger_eval, gate_against, champion)
    result = _train_result(found, incremental, fitted, space, split, challenger_eval)
    log_result(project.tracker, result.run_id, result)
    return result


def _gate_against(project: Project, challenger: Scored, ref: Reference, info: VersionInfo | None) -> GateOutcome:
    """The challenger against one champion version (or none) on the same held-out queries, band by band too."""
    space = fetch_space(project, info.version) if info else None
    old = evaluate_space(project, space, ref) if space else None
    new = challenger.evaluation
    if old is None or info is None:
        figures, versus = [], new.slices_reference
    else:
        figures, versus = band_figures(project, ref, challenger.ranks[GATED], old.ranks[GATED]), f"champion v{info.version}"
    old_eval = old.evaluation if old else None
    return GateOutcome(
        decision=gate(project, new, old_eval, figures),
        metrics=comparison(new, old_eval),
        detail=(old_eval, frozenset(space.tags) if space else None, records(figures) or new.slices, versus),
    )


def _train_result(
    found: Registration, incremental: bool, fitted: _Fitted, space: TagSpace, split: Split, evaluation: Evaluation
) -> TrainResult:
    old, old_tags, slices, versus = found.outcome.detail
    return TrainResult(
        version=found.version,
        run_id=found.run_id,
        incremental=incremental,
        sentences_trained=fitted.sentences,
        vocabulary=len(space.tags),
        new_tags=len(set(space.tags) - (old_tags or set())),
        corpus_hash=split.corpus_hash,
        evaluation=evaluation,
        champion_before=found.compared_with,
        champion_metrics=old.metrics() if old else None,
        slices=slices,
        slices_reference=versus,
        verdict=found.decision.verdict,
        promoted=found.promoted,
        reasons=found.decision.reasons + ((f"not promoted: {found.refusal}",) if found.refusal else ()),
        champion_after=found.champion,
    )


def _meta(project: Project, split: Split, champion: VersionInfo | None, incremental: bool, fitted: _Fitted) -> dict:
    return {
        "corpus_hash": split.corpus_hash,
        "max_seq": int(split.train_seq.max(initial=-1)),
        "incremental": incremental,
        "parent_version": champion.version if champion and incremental else None,
        "sentences": fitted.sentences,
        "retrain_mode": "incremental" if incremental else project.settings.tag2vec.retrain_mode,
        "recent_months": list(fitted.recent_months),
        "alarmed_seq": _alarmed_seq(project, champion, int(split.train_seq.max(initial=-1))),
        "hybrid_pseudo_count": project.settings.tag2vec.hybrid_pseudo_count,
    }


def _fit(project: Project, split: Split, info: VersionInfo | None, incremental: bool, workdir: Path) -> _Fitted:
    from reeltag.tag2vec import train as adapter

    cfg = project.settings.tag2vec
    if not incremental:
        posts, months = _training_posts(cfg, split)
        surface = SurfaceForms.fit(posts)
        sentences = [surface.sentence(s) for s in posts]
        return _Fitted(adapter.train_new(sentences, cfg, workdir), surface, len(sentences), months)
    if info is None:
        raise NotFound(f"--incremental needs a champion of reeltag.{MODEL}: train without --incremental first")
    folder = native_folder(project, info)  # verified against the sha256 recorded at registration
    champion = load_space(folder, info.version)
    since = int(champion.meta.get("max_seq", -1))
    new = [s for s, seq in zip(split.train, split.train_seq, strict=True) if seq > since]
    if not new:
        raise BadInput(
            f"no training posts newer than champion v{champion.version} (seq > {since}): ingest and validate new posts"
        )
    surface = SurfaceForms.fit(new, keep=champion.surface)
    model = adapter.load_model(folder, project.paths)
    sentences = [surface.sentence(s) for s in new]
    return _Fitted(adapter.train_more(model, sentences, cfg, workdir), surface, len(sentences))


def _alarmed_seq(project: Project, champion: VersionInfo | None, max_seq: int) -> list[list[int]]:
    """``seq`` ranges of the posts drift alarms brought in, left out of the drift baseline's calm posts: the
    champion's, plus the posts since it when this training is the one a drift alarm started (trigger ``drift``)."""
    if champion is None:
        return []
    before = json.loads((native_folder(project, champion) / META_FILE).read_text(encoding="utf-8"))
    ranges = [[int(lo), int(hi)] for lo, hi in before.get("alarmed_seq", [])]
    since = int(before.get("max_seq", -1)) + 1
    return ranges + ([[since, max_seq]] if project.settings.tracking.trigger == "drift" and since <= max_seq else [])


def _training_posts(cfg: Tag2VecSection, split: Split) -> tuple[list[list[str]], tuple[str, ...]]:
    """Every training post (``retrain_mode = "full"``), or the recency-weighted set of them and its months."""
    if cfg.retrain_mode == "full":
        return split.train, ()
    found = recent_training_set(split.train, split.train_created, from_settings(cfg), cfg.seed)
    return found.posts, found.months


def _record(
    project: Project, folder: Path, meta: dict, challenger: Evaluation, gate_against: Gate, champion: VersionInfo | None
) -> Registration:
    """Log the run (metrics, native files + pyfunc), then the registration-and-gate step."""
    tracker = project.tracker
    tags = {
        "kind": "train",
        "incremental": meta["incremental"],
        "corpus_hash": meta["corpus_hash"],
        "parent_version": meta["parent_version"] or "",
        "recommender": challenger.recommender,
    }
    with tracker.run(MODEL, project.settings, tags=tags) as run:
        tracker.log_metrics(run.run_id, challenger.metrics())
        logged = tracker.log_model(run.run_id, {MODEL: folder}, loader=LOADER)
    candidate = Candidate(model=MODEL, run=run, logged=logged, tags={"corpus_hash": meta["corpus_hash"]})
    return register_and_gate(project, candidate, gate_against, champion)
