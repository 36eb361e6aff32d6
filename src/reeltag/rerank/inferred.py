"""Inferred measures on TRECVID sampled qrels, computed as NIST's ``sample_eval.pl`` computes them (pure).

The reference is the TRECVID AVS version of the script (Yilmaz, Kanoulas & Aslam, SIGIR 2008; CHANGE LOG up to
"5 Sep 12"; ``$maxResultSize = 1000`` "Adjusted to 1000 in TV16 for the ad-hoc task"; precision ranks 5, 10, 15,
20, 30, 100, 200, 500, 1000). Line numbers below are that file's. Each stratum ("category") ``c`` of a topic's
pool has ``size_c`` shots (``$docs_per_category``), ``sampled_c`` of them judged (rel ≥ 0, ``$sampled_docs``)
and ``rel_c`` judged relevant (rel > 0, ``$sampled_rel``); rel −1 is pooled but not judged.

1. Inferred number of relevant shots (lines 136-147): ``R = Σ_c rel_c · size_c / sampled_c`` over strata with a
   judged shot; a stratum with none adds nothing (``inum_rel``).
2. Ideal DCG (lines 150-169): the inferred count per grade (line 154), grades high to low, gain ``g / log2(r+1)``
   for ranks ``r = start+1 … start+n_g`` (``n_g`` need not be whole), each grade's loop stopping at rank 1000.
3. The run (lines 233-298): its first 1000 shots in reeltag's order (the script sorts by score, ties by docid
   descending: the same order whenever scores do not tie). Per stratum the walk counts pooled shots seen
   (``$num_docs``, lines 266-268), judged ones (``$num_sampled``, 270-273) and relevant ones (``$num_relevant``,
   258). Shots outside the pool move no count.
4. Expected relevant shots in the top ``k`` (line 280, ``$num_rel_rank_k``):
   ``E_k = Σ_c docs_c · (relevant_c + 0.00001) / (sampled_c + 0.00003)`` over the strata seen. A stratum seen only
   through unjudged shots therefore counts a third of a relevant shot per shot, as in the script.
5. Precision at a relevant shot at rank ``k`` (lines 242-256): ``(1 + E_{k−1}) / k`` — the script's
   ``1/$rank + ($num_depth100/$rank)·$prec_above``, written without the factor ``$num_depth100`` that cancels.
   Summed per stratum (``$SAP_category``, 257); the gain ``rel / log2(k+1)`` likewise (``$gain_category``, 262).
6. iP@k (lines 284-307): ``E_k / k``; past the end of a shorter run ``E_last / k``.
7. infAP (lines 309-338): ``Σ_c (rel_c·size_c/sampled_c / R) · SAP_c / rel_c`` = ``Σ_c SAP_c · size_c / sampled_c / R``
   over strata with a judged shot, 0 when ``R`` is 0; when ``R`` > 1000, times ``R / 1000`` (the "5 Sep 12" change),
   which lets infAP exceed 1.
8. infNDCG (lines 340-356): ``Σ_c docs_c · gain_c / sampled_c / ideal DCG`` with the counts of step 3 (sampling
   rates seen in the run, not the pool's), 0 when the ideal DCG is 0.

Plain qrels are one fully judged stratum; then infAP equals trec_eval's AP up to the smoothing (< 1e-4) for runs
of at most 1000 shots and at most 1000 relevant ones.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MAX_RESULT_SIZE = 1000  # $maxResultSize (line 64)
PRECISION_RANKS = (5, 10, 15, 20, 30, 100, 200, 500, MAX_RESULT_SIZE)  # @precisionranks (line 67)
RELEVANT_SMOOTHING = 0.00001  # line 280
SAMPLED_SMOOTHING = 0.00003  # line 280


@dataclass(frozen=True, kw_only=True)
class Pool:
    """One topic's sampled judgements, summarised per stratum (steps 1-2)."""

    judgments: Mapping[str, int]
    strata: Mapping[str, int]
    size: Mapping[int, int]
    sampled: Mapping[int, int]
    inferred_relevant: float
    ideal_dcg: float


@dataclass(frozen=True, kw_only=True)
class Estimates:
    """infAP, infNDCG and the expected relevant count at each rank of one ranking (steps 4-8)."""

    inf_ap: float
    inf_ndcg: float
    expected_relevant: tuple[float, ...]  # E_k for k = 1 … min(len(run), 1000)
    inferred_relevant: float  # inum_rel

    @property
    def inferred_relevant_retrieved(self) -> float:
        """``inum_rel_ret``: E at the last rank walked (0 for an empty ranking)."""
        return self.expected_relevant[-1] if self.expected_relevant else 0.0

    def precision_at(self, k: int) -> float:
        """iP@k (step 6)."""
        if not self.expected_relevant:
            return 0.0
        return self.expected_relevant[min(k, len(self.expected_relevant)) - 1] / k


@dataclass(kw_only=True)
class _Walk:
    """Per-stratum counts of the shots seen so far while walking a ranking (step 3; mutable working state)."""

    docs: Counter[int] = field(default_factory=Counter)
    sampled: Counter[int] = field(default_factory=Counter)
    relevant: Counter[int] = field(default_factory=Counter)
    precision_sum: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    gain: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))

    def see(self, rank: int, stratum: int, rel: int, expected_above: float) -> None:
        if rel > 0:
            self.precision_sum[stratum] += (1.0 + expected_above) / rank
            self.relevant[stratum] += 1
            self.gain[stratum] += rel / math.log2(rank + 1)
        self.docs[stratum] += 1
        self.sampled[stratum] += rel >= 0

    def expected_relevant(self) -> float:
        return sum(
            n * (self.relevant[c] + RELEVANT_SMOOTHING) / (self.sampled[c] + SAMPLED_SMOOTHING) for c, n in self.docs.items()
        )


def summarise_pool(
    judgments: Mapping[str, int], strata: Mapping[str, int] | None = None, max_result_size: int = MAX_RESULT_SIZE
) -> Pool:
    """Steps 1-2 for one topic; ``strata=None`` (plain qrels) puts every judged shot in stratum 1."""
    strata = strata if strata is not None else {d: 1 for d in judgments}
    size = Counter(strata[d] for d in judgments)
    sampled = Counter(strata[d] for d, r in judgments.items() if r >= 0)
    per_grade: defaultdict[int, float] = defaultdict(float)
    for docid, rel in judgments.items():
        if rel > 0:
            per_grade[rel] += size[strata[docid]] / sampled[strata[docid]]
    return Pool(
        judgments=judgments,
        strata=strata,
        size=size,
        sampled=sampled,
        inferred_relevant=sum(per_grade.values()),
        ideal_dcg=_ideal_dcg(per_grade, max_result_size),
    )


def _ideal_dcg(per_grade: Mapping[int, float], max_result_size: int) -> float:
    """Step 2 (lines 160-169), including the script's fractional counts and per-grade stop at the cut."""
    total, start = 0.0, 0.0
    for grade in sorted(per_grade, reverse=True):
        rank = start + 1
        while rank <= start + per_grade[grade]:
            total += grade / math.log2(rank + 1)
            if rank >= max_result_size:
                break
            rank += 1
        start += per_grade[grade]
    return total


def estimate(ranking: Sequence[str], pool: Pool, max_result_size: int = MAX_RESULT_SIZE) -> Estimates:
    """Steps 3-8 for one ranking (best first) of the topic summarised in ``pool``."""
    walk, above = _Walk(), 0.0
    expected: list[float] = []
    for rank, docid in enumerate(ranking[:max_result_size], 1):
        rel = pool.judgments.get(docid)
        if rel is not None:
            walk.see(rank, pool.strata[docid], rel, above)
            above = walk.expected_relevant()
        expected.append(above)
    return Estimates(
        inf_ap=_inf_ap(walk, pool, max_result_size),
        inf_ndcg=_inf_ndcg(walk, pool),
        expected_relevant=tuple(expected),
        inferred_relevant=pool.inferred_relevant,
    )


def _inf_ap(walk: _Walk, pool: Pool, max_result_size: int) -> float:
    """Step 7 (lines 309-338)."""
    if pool.inferred_relevant == 0:
        return 0.0
    ap = sum(walk.precision_sum[c] * pool.size[c] / n for c, n in pool.sampled.items()) / pool.inferred_relevant
    if pool.inferred_relevant > max_result_size:
        ap *= pool.inferred_relevant / max_result_size
    return ap


def _inf_ndcg(walk: _Walk, pool: Pool) -> float:
    """Step 8 (lines 340-356)."""
    if pool.ideal_dcg == 0:
        return 0.0
    dcg = sum(walk.docs[c] * gain / walk.sampled[c] for c, gain in walk.gain.items())
    return dcg / pool.ideal_dcg
