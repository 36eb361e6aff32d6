"""Retrieval metrics per topic: AP, P@k, R@k, nDCG@k through ir-measures (pytrec_eval), and xinfAP.

xinfAP follows NIST's ``sample_eval`` (Yilmaz, Kanoulas & Aslam, SIGIR 2008): each stratum ``s`` of the
pool was judged with sampling rate ``p_s = judged_s / size_s``; the number of relevant documents is
estimated as ``R̂ = Σ_s rel_s / p_s``; for each judged relevant document at rank ``k`` the expected precision
at ``k`` is ``1/k + (k−1)/k · Σ_t (n_t/(k−1)) · (r_t + ε)/(r_t + n̄_t + 2ε)``, where above rank ``k``
``n_t`` documents are in stratum ``t``, ``r_t`` of them judged relevant and ``n̄_t`` judged non-relevant
(ε = 1e−5; unpooled documents count as non-relevant); xinfAP = ``Σ_d PC(k_d) / p_{s(d)} / R̂``. Plain
qrels are one fully judged stratum.

Every measure sees the run in its canonical order (see :mod:`reeltag.rerank.formats`): the library gets
strictly decreasing scores ``n − position``, so its own tie rule never reorders a ranking. Topics are the
qrels topics with at least one relevant document; a topic missing from the run scores 0 on every measure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ir_measures

from reeltag.errors import BadInput
from reeltag.rerank.formats import Qrels, Run

DEFAULT_MEASURES: tuple[str, ...] = ("AP", "P@10", "R@100", "nDCG@10")
XINFAP = "xinfAP"
EPSILON = 1e-5


@dataclass(frozen=True)
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
        """MLflow-safe names: ``map``, ``p_at_10``, ``recall_at_100``, ``ndcg_at_10``, ``xinfap``."""
        return {f"{prefix}{metric_key(m)}": v for m, v in self.mean.items()}


def metric_key(measure: str) -> str:
    """``AP`` → ``map``, ``P@10`` → ``p_at_10``, ``R@100`` → ``recall_at_100``, ``nDCG@10`` → ``ndcg_at_10``."""
    name, _, k = measure.partition("@")
    base = {"AP": "map", "P": "p", "R": "recall", "nDCG": "ndcg", XINFAP: "xinfap"}.get(name, name.lower())
    return f"{base}_at_{k}" if k else base


def check_measures(measures: Iterable[str]) -> tuple[str, ...]:
    """Validated measure names (``MAP`` is accepted for ``AP``); unknown names raise :class:`BadInput`."""
    out = []
    for name in measures:
        name = "AP" if name.strip() in ("MAP", "map") else name.strip()
        if name != XINFAP:
            try:
                ir_measures.parse_measure(name)
            except (NameError, ValueError, SyntaxError) as exc:
                raise BadInput(f"unknown measure {name!r} (try AP, P@10, R@100, nDCG@10, xinfAP): {exc}") from None
        out.append(name)
    return tuple(dict.fromkeys(out))


def evaluate(run: Run, qrels: Qrels, measures: Sequence[str] = DEFAULT_MEASURES) -> Evaluation:
    """Every measure for every judged topic with a relevant document."""
    names = check_measures(measures)
    topics = tuple(sorted(q for q, docs in qrels.judgments.items() if any(r > 0 for r in docs.values())))
    per_topic = _library_values(run, qrels, [m for m in names if m != XINFAP], topics)
    if XINFAP in names:
        per_topic[XINFAP] = {q: xinfap(_docids(run, q), qrels.judgments[q], _strata(qrels, q)) for q in topics}
    per_topic = {m: per_topic[m] for m in names}
    mean = {m: (sum(v.values()) / len(v) if v else float("nan")) for m, v in per_topic.items()}
    return Evaluation(
        names, mean, per_topic, topics,
        missing_in_run=tuple(q for q in topics if q not in run.rankings),
        unknown_in_run=tuple(sorted(q for q in run.rankings if q not in qrels.judgments)),
        no_relevant=tuple(sorted(q for q in qrels.judgments if q not in topics)),
        sampled=qrels.sampled,
    )


def _docids(run: Run, qid: str) -> tuple[str, ...]:
    return run.rankings[qid].docids if qid in run.rankings else ()


def _strata(qrels: Qrels, qid: str) -> Mapping[str, int] | None:
    return qrels.strata.get(qid, {}) if qrels.strata is not None else None


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


def xinfap(ranking: Sequence[str], judgments: Mapping[str, int], strata: Mapping[str, int] | None = None) -> float:
    """Stratified inferred AP of one ranking (see the module docstring); NaN when no relevant document."""
    strata = strata if strata is not None else {d: 1 for d in judgments}
    rate = _sampling_rates(judgments, strata)
    estimated_rel = sum(1.0 / rate[strata[d]] for d, r in judgments.items() if r > 0 and d in strata)
    if estimated_rel == 0:
        return float("nan")
    above, rel_above, non_above = Counter[int](), Counter[int](), Counter[int]()
    total = 0.0
    for k, docid in enumerate(ranking, 1):
        stratum = strata.get(docid)
        if stratum is None:
            continue
        rel = judgments.get(docid, -1)
        if rel > 0:
            total += _precision_at(k, above, rel_above, non_above) / rate[stratum]
        above[stratum] += 1
        rel_above[stratum] += rel > 0
        non_above[stratum] += rel == 0
    return total / estimated_rel


def _sampling_rates(judgments: Mapping[str, int], strata: Mapping[str, int]) -> dict[int, float]:
    size = Counter(strata.values())
    judged = Counter(s for d, s in strata.items() if judgments.get(d, -1) >= 0)
    return {s: judged[s] / size[s] for s in size}


def _precision_at(k: int, above: Counter[int], rel_above: Counter[int], non_above: Counter[int]) -> float:
    """Expected precision at rank ``k`` of a relevant document, from the strata above it."""
    if k == 1:
        return 1.0
    share = sum(n * (rel_above[t] + EPSILON) / (rel_above[t] + non_above[t] + 2 * EPSILON) for t, n in above.items())
    return 1.0 / k + (k - 1) / k * (share / (k - 1))
