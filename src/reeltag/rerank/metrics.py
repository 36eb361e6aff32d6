"""Retrieval metrics per topic: AP, P@k, R@k, nDCG@k through ir-measures (pytrec_eval), and NIST's inferred
measures ``xinfAP`` (also accepted as ``infAP``), ``infNDCG`` and ``iP@k`` (see :mod:`reeltag.rerank.inferred`, which
follows ``sample_eval.pl`` step by step). Plain qrels are one fully judged stratum for the inferred measures.

Every measure sees the run in its canonical order (see :mod:`reeltag.rerank.formats`): the library gets
strictly decreasing scores ``n − position``, so its own tie rule never reorders a ranking (trec_eval and
sample_eval order tied scores by docid descending; for runs without tied scores the orders are the same). A
docid repeated in a run keeps its first line here (sample_eval keeps the last score); one judged twice keeps its
first judgement (the script keeps the last and counts both lines in its stratum sizes). Topics are the qrels topics
with at least one relevant document; a topic missing from the run scores 0 on every measure. sample_eval
instead averages over the run's topics that are in the qrels (with or without a relevant shot); the means are
the same when the run answers every qrels topic and every qrels topic has a relevant shot, as on TRECVID qrels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ir_measures

from reeltag.errors import BadInput
from reeltag.rerank.formats import Qrels, Run
from reeltag.rerank.inferred import Estimates, estimate, summarise_pool

DEFAULT_MEASURES: tuple[str, ...] = ("AP", "P@10", "R@100", "nDCG@10")
XINFAP = "xinfAP"
INFNDCG = "infNDCG"
INFERRED_PRECISION = "iP"
_ALIASES = {"MAP": "AP", "map": "AP", "infAP": XINFAP}


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """Mean and per-topic values of each measure (``per_topic[measure][qid]``)."""

    measures: tuple[str, ...]
    mean: dict[str, float]
    per_topic: dict[str, dict[str, float]]
    topics: tuple[str, ...]
    missing_in_run: tuple[str, ...]  # judged topics the run does not answer (scored 0)
    unknown_in_run: tuple[str, ...]  # run topics without judgements (not scored)
    no_relevant: tuple[str, ...]  # judged topics without any relevant document (not scored)
    sampled: bool

    def metrics(self, prefix: str = "") -> dict[str, float]:
        """MLflow-safe names: ``map``, ``p_at_10``, ``recall_at_100``, ``ndcg_at_10``, ``xinfap``, ``infndcg``, ``ip_at_10``."""
        return {f"{prefix}{metric_key(m)}": v for m, v in self.mean.items()}


def metric_key(measure: str) -> str:
    """``AP`` → ``map``, ``P@10`` → ``p_at_10``, ``R@100`` → ``recall_at_100``, ``nDCG@10`` → ``ndcg_at_10``,
    ``iP@10`` → ``ip_at_10``, ``infNDCG`` → ``infndcg``."""
    name, _, k = measure.partition("@")
    base = {"AP": "map", "P": "p", "R": "recall", "nDCG": "ndcg", XINFAP: "xinfap"}.get(name, name.lower())
    return f"{base}_at_{k}" if k else base


def check_measures(measures: Iterable[str]) -> tuple[str, ...]:
    """Validated measure names (``MAP`` is accepted for ``AP``, ``infAP`` for ``xinfAP``); unknown names raise
    :class:`BadInput`."""
    out = []
    for name in measures:
        name = _ALIASES.get(name.strip(), name.strip())
        if not _is_inferred(name):
            try:
                ir_measures.parse_measure(name)
            except (NameError, ValueError, SyntaxError) as exc:
                raise BadInput(
                    f"unknown measure {name!r} (try AP, P@10, R@100, nDCG@10, xinfAP, infNDCG, iP@10): {exc}"
                ) from None
        out.append(name)
    return tuple(dict.fromkeys(out))


def _is_inferred(name: str) -> bool:
    return name in (XINFAP, INFNDCG) or _precision_rank(name) is not None


def _precision_rank(name: str) -> int | None:
    """``k`` of ``iP@k``; None for other names; :class:`BadInput` when ``k`` is not a positive whole number."""
    base, at, k = name.partition("@")
    if base != INFERRED_PRECISION or not at:
        return None
    if not k.isdigit() or int(k) < 1:
        raise BadInput(f"measure {name!r}: the rank of iP@k must be a positive whole number, e.g. iP@10")
    return int(k)


def evaluate(run: Run, qrels: Qrels, measures: Sequence[str] = DEFAULT_MEASURES) -> Evaluation:
    """Every measure for every judged topic with a relevant document."""
    names = check_measures(measures)
    topics = tuple(sorted(q for q, docs in qrels.judgments.items() if any(r > 0 for r in docs.values())))
    per_topic = _library_values(run, qrels, [m for m in names if not _is_inferred(m)], topics)
    per_topic |= _inferred_values(run, qrels, [m for m in names if _is_inferred(m)], topics)
    per_topic = {m: per_topic[m] for m in names}
    mean = {m: (sum(v.values()) / len(v) if v else float("nan")) for m, v in per_topic.items()}
    return Evaluation(
        measures=names,
        mean=mean,
        per_topic=per_topic,
        topics=topics,
        missing_in_run=tuple(q for q in topics if q not in run.rankings),
        unknown_in_run=tuple(sorted(q for q in run.rankings if q not in qrels.judgments)),
        no_relevant=tuple(sorted(q for q in qrels.judgments if q not in topics)),
        sampled=qrels.sampled,
    )


def _docids(run: Run, qid: str) -> tuple[str, ...]:
    return run.rankings[qid].docids if qid in run.rankings else ()


def _inferred_values(run: Run, qrels: Qrels, names: Sequence[str], topics: Sequence[str]) -> dict[str, dict[str, float]]:
    """The inferred measures of every topic, from one pass of the estimator per topic."""
    values: dict[str, dict[str, float]] = {m: {} for m in names}
    if not names:
        return values
    for qid in topics:
        strata = qrels.strata[qid] if qrels.strata is not None else None
        estimates = estimate(_docids(run, qid), summarise_pool(qrels.judgments[qid], strata))
        for name in names:
            values[name][qid] = _inferred_value(estimates, name)
    return values


def _inferred_value(estimates: Estimates, name: str) -> float:
    rank = _precision_rank(name)
    if rank is not None:
        return estimates.precision_at(rank)
    return estimates.inf_ap if name == XINFAP else estimates.inf_ndcg


def _library_values(run: Run, qrels: Qrels, names: Sequence[str], topics: Sequence[str]) -> dict[str, dict[str, float]]:
    """ir-measures on judged documents only (sampled rel −1 dropped); rank-derived scores keep our order."""
    values: dict[str, dict[str, float]] = {m: {q: 0.0 for q in topics} for m in names}
    if not names:
        return values
    judged = {q: {d: r for d, r in qrels.judgments[q].items() if r >= 0} for q in topics}
    ranked = {q: {d: float(len(docs) - i) for i, d in enumerate(docs)} for q in topics if (docs := _docids(run, q))}
    parsed = {str(ir_measures.parse_measure(m)): m for m in names}
    for metric in ir_measures.iter_calc([ir_measures.parse_measure(m) for m in names], judged, ranked):
        values[parsed[str(metric.measure)]][metric.query_id] = float(metric.value)
    return values
