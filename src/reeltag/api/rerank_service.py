"""``/v1/rerank`` without HTTP: the request's candidates in run order, scored by the champion reranker
through the same functions as ``reeltag rerank`` (frames gathered from the catalogue matrix)."""

from __future__ import annotations

import math
import uuid
from collections import Counter

import numpy as np

from reeltag.api.champions import Champions, HeldEncoder
from reeltag.api.schemas import CandidateColumns, RerankAnswer, RerankModel, RerankRequest
from reeltag.api.service import Refused, Service, matrix_of
from reeltag.rerank.apply import ranking_of, score_topic, topic_from_similarities
from reeltag.rerank.catalogue import EMPTY_ROW
from reeltag.rerank.formats import Ranking, topic_ranking
from reeltag.rerank.scoring import Reranked
from reeltag.rerank.tuning import Setting

SLOTS = {"champion": "reranker", "challenger": "challenger"}  # arm → the Champions field serving it


def check_request(service: Service, req: RerankRequest) -> None:
    """Bounds from ``[api]``: candidate count, query and docid length, distinct docids."""
    cfg = service.project.settings.api
    docids = req.candidate_columns[0]
    if not docids or len(docids) > cfg.max_candidates:
        raise Refused(422, "candidates", f"{len(docids)} candidates; 1 to api.max_candidates={cfg.max_candidates} allowed")
    if len(req.query) > cfg.max_query_chars:
        raise Refused(422, "query", f"query of {len(req.query)} characters; at most api.max_query_chars={cfg.max_query_chars}")
    longest = max(map(len, docids))
    if longest > cfg.max_docid_chars:
        raise Refused(
            422, "candidates.docid", f"a docid of {longest} characters; at most api.max_docid_chars={cfg.max_docid_chars}"
        )
    if len(set(docids)) < len(docids):
        twice = next(d for d, n in Counter(docids).items() if n > 1)
        raise Refused(422, "candidates.docid", f"docid {twice[:80]!r} appears twice; each candidate once")


def engine_ranking(req: RerankRequest) -> Ranking:
    """The candidates in the order a TREC run of them would have: score ↓, then rank, then docid."""
    docids, scores, ranks = req.candidate_columns
    if _in_run_order(docids, scores, ranks):  # the usual top-k: no sort (the order is the one topic_ranking gives)
        return Ranking(req.qid or "api", tuple(docids), tuple(scores))
    docs = {d: (False, s, _rank_at(ranks, i)) for i, (d, s) in enumerate(zip(docids, scores))}
    return topic_ranking(req.qid or "api", docs)


def _in_run_order(docids: list[str], scores: list[float], ranks: list[int | None] | None) -> bool:
    """Scores never rise, and tied neighbours are in (rank, docid) order."""
    steps = np.diff(np.asarray(scores, dtype=np.float64))
    if (steps > 0).any():
        return False
    ties = np.flatnonzero(steps == 0).tolist()
    return all((_rank_at(ranks, i), docids[i]) < (_rank_at(ranks, i + 1), docids[i + 1]) for i in ties)


def _rank_at(ranks: list[int | None] | None, at: int) -> int:
    """The engine's rank of the candidate at position ``at`` (its position from 1 when it gave none)."""
    rank = ranks[at] if ranks is not None else None
    return at + 1 if rank is None else rank


def rerank(service: Service, req: RerankRequest, arm: str = "champion", champs: Champions | None = None) -> RerankAnswer:
    """Rerank one query's candidates with the champion (or the challenger) reranker of the set serving when the
    request started (``champs``: its snapshot; encoder, catalogue matrix and reranker all from it; ``req`` passed
    :func:`check_request`); none loaded is a 503 with the reason."""
    champs = champs or service.champions
    slot, held = SLOTS[arm], champs.encoder
    reranker = getattr(champs, slot)
    if reranker is None or held is None:
        raise Refused(503, slot, champs.errors.get(slot, f"no {slot} reranker loaded"))
    p = reranker.params
    setting = Setting(req.alpha if req.alpha is not None else p.alpha, p.normalisation, p.pooling)
    engine, matrix, depth = engine_ranking(req), matrix_of(held), req.depth or p.depth
    rows = matrix.rows(engine.docids)  # every candidate's row (EMPTY_ROW: not in the catalogue), looked up once
    sims = matrix.similarities(rows[:depth], service.query_vector(req.query, held))
    topic = topic_from_similarities(engine, sims, matrix.counts[rows[:depth]], depth)  # prepare_candidates' topic
    scored = score_topic(topic, setting, p.top_m)
    missing = [engine.docids[i] for i in np.flatnonzero(rows == EMPTY_ROW).tolist()]
    service.metrics.missing.inc(len(missing))
    service.queue_missing(missing)
    ranked = ranking_of(topic, scored)
    engine_ranks, clip = _served_columns(scored, len(engine.docids))
    return RerankAnswer(
        request_id=uuid.uuid4().hex,
        qid=req.qid,
        model=_model_of(held, reranker.version, setting),
        docids=list(ranked.docids),
        scores=list(ranked.scores),
        missing=missing,
        columns=isinstance(req.candidates, CandidateColumns),
        engine_ranks=engine_ranks,
        clip=clip,
    )


def _served_columns(scored: Reranked, candidates: int) -> tuple[list[int], list[float | None]]:
    """Each served result's engine rank and pooled CLIP score (``None``: no features, or below depth), in the order
    :func:`ranking_of` serves them: the head in ``scored.order`` (the engine's order is the candidates' order), then
    the tail as the engine had it."""
    head = len(scored.order)
    engine_ranks = (scored.order + 1).tolist() + list(range(head + 1, candidates + 1))
    pooled = scored.clip[scored.order]
    clip: list[float | None] = pooled.tolist()
    if not np.isfinite(pooled).all():  # documents without features: null (the usual top-k has none)
        clip = [c if math.isfinite(c) else None for c in pooled.tolist()]
    return engine_ranks, clip + [None] * (candidates - head)


def _model_of(held: HeldEncoder, version: str, setting: Setting) -> RerankModel:
    return RerankModel(
        version=version,
        alpha=setting.alpha,
        normalisation=setting.normalisation,
        pooling=setting.pooling,
        encoder=held.model_id,
        weights_kind=held.encoder.weights_kind,
    )
