"""Step ``tune_tag2vec``: Tag2Vec hyper-parameters (vector size, window, negative, epochs, min count) searched on
validation posts, one nested MLflow run per setting in ``reeltag/tag2vec``; the held-out test posts are not used.

Val = the latest ``tag2vec_tune.val_fraction`` of the training posts (ingestion order); every setting is scored on
the same leave-one-tag-out queries (vocabulary from the rest, ``tag2vec.min_count``). The best setting by the
hybrid's val hit@k (then MRR@k) is reported; it is not written into the settings.
"""

from __future__ import annotations

import itertools
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.corpus.tags import SurfaceForms
from reeltag.project import Project
from reeltag.tag2vec.baselines import Vocabulary, cooccurrence_scores
from reeltag.tag2vec.evaluate import (
    MethodScore,
    Queries,
    evaluate_methods,
    make_queries,
    metric_dict,
    ranks,
    score,
)
from reeltag.tag2vec.steps import MODEL, load_split

FIELDS = {
    "vector_size": "vector_sizes",
    "window": "windows",
    "negative": "negatives",
    "epochs": "epochs",
    "min_count": "min_counts",
}


@dataclass(frozen=True, kw_only=True)
class SettingScore:
    setting: dict[str, int]
    tag2vec_io: MethodScore
    hybrid: MethodScore


@dataclass(frozen=True, kw_only=True)
class Tag2VecTuned:
    best: dict[str, int]
    settings: tuple[SettingScore, ...]
    cooccurrence: MethodScore  # the baseline on the same val queries
    val_queries: int
    run_id: str | None  # parent MLflow run (None when tracking is off)


def tune_grid(project: Project) -> list[dict[str, int]]:
    grids = project.settings.tag2vec_tune
    names = list(FIELDS)
    return [dict(zip(names, combo)) for combo in itertools.product(*(getattr(grids, FIELDS[n]) for n in names))]


def tune_tag2vec(project: Project) -> Tag2VecTuned:
    """Train and score every setting of the grid on the validation posts; log each as a nested run."""
    fit_part, val_part = _val_split(project)
    surface = SurfaceForms.fit(fit_part)
    sentences = [surface.sentence(s) for s in fit_part]
    vocab = Vocabulary.fit(sentences, project.settings.tag2vec.min_count)
    queries = make_queries([surface.sentence(s) for s in val_part], vocab)
    tracked = project.settings.tracking.enabled
    with project.tracker.run(MODEL, project.settings, tags={"kind": "tune"}) if tracked else nullcontext(None) as parent:
        rows = [
            _score(project, parent=parent, setting=s, sentences=sentences, surface=surface, vocab=vocab, queries=queries)
            for s in tune_grid(project)
        ]
        best = max(rows, key=lambda r: (r.hybrid.hit_at_k, r.hybrid.mrr_at_k))
        if parent is not None:
            project.tracker.log_metrics(
                parent.run_id, metric_dict({"best_hybrid": best.hybrid}, project.settings.tag2vec.eval_k, "val")
            )
            project.tracker.set_tags(parent.run_id, {f"best.{k}": v for k, v in best.setting.items()})
    cooc = score(ranks(lambda c: cooccurrence_scores(vocab, c), queries, len(vocab.tags)), project.settings.tag2vec.eval_k)
    return Tag2VecTuned(
        best=best.setting,
        settings=tuple(rows),
        cooccurrence=cooc,
        val_queries=len(queries.targets),
        run_id=parent.run_id if parent is not None else None,
    )


def _val_split(project: Project) -> tuple[list[list[str]], list[list[str]]]:
    split = load_split(project)
    order = np.argsort(split.train_seq, kind="stable")
    n_val = max(1, round(len(order) * project.settings.tag2vec_tune.val_fraction))
    val = set(order[-n_val:].tolist())
    return [s for i, s in enumerate(split.train) if i not in val], [s for i, s in enumerate(split.train) if i in val]


def _score(
    project: Project,
    *,
    parent: Any,
    setting: dict[str, int],
    sentences: list[list[str]],
    surface: SurfaceForms,
    vocab: Vocabulary,
    queries: Queries,
) -> SettingScore:
    """Train one setting, score it on the val queries, log it as a nested run of ``parent`` (when tracking)."""
    from reeltag.tag2vec.train import to_space, train_new

    cfg = project.settings.tag2vec.model_copy(update=setting)
    with tempfile.TemporaryDirectory() as tmp:
        space = to_space(train_new(sentences, cfg, Path(tmp)), surface)
    methods = evaluate_methods(vocab, queries, space, cfg.eval_k, cfg.hybrid_pseudo_count)
    row = SettingScore(setting=setting, tag2vec_io=methods["tag2vec_io"], hybrid=methods["hybrid"])
    if parent is not None:
        label = "-".join(f"{k}{v}" for k, v in setting.items())
        with project.tracker.run(
            MODEL,
            trigger=project.settings.tracking.trigger,
            parent=parent,
            name=f"{parent.name}-{label}",
            tags={"kind": "tune-setting"},
        ) as run:
            project.tracker.log_params(run.run_id, {f"tag2vec.{k}": v for k, v in setting.items()})
            project.tracker.log_metrics(
                run.run_id, metric_dict({"tag2vec_io": row.tag2vec_io, "hybrid": row.hybrid}, cfg.eval_k, "val")
            )
    return row
