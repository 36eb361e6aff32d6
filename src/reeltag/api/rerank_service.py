"""``/v1/rerank`` without HTTP: the request's candidates in run order, scored by the champion reranker
through the same functions as ``reeltag rerank`` (frames gathered from the catalogue matrix)."""

from __future__ import annotations

import math
import uuid
from collections import Counter

from reeltag.api.champions import Champions, HeldEncoder
from reeltag.api.schemas import Candidate, RerankAnswer, RerankModel, RerankRequest
from reeltag.api.service import Refused, Service, matrix_of
from reeltag.rerank.apply import ranking_of, score_topic
from reeltag.rerank.catalogue import prepare_candidates
from reeltag.rerank.formats import Ranking, topic_ranking
from reeltag.rerank.scoring import Reranked
from reeltag.rerank.tuning import Setting

SLOTS = {"champion": "reranker", "challenger": "challenger"}  # arm → the Champions field serving it


def check_request(service: Service, req: RerankRequest) -> None:
    """Bounds from ``[api]``: candidate count, query and docid length, distinct docids."""
    cfg = service.project.settings.api
    if not req.candidates or len(req.candidates) > cfg.max_candidates:
        raise Refused(
            422, "candidates", f"{len(req.candidates)} candidates; 1 to api.max_candidates={cfg.max_candidates} allowed"
        )
    if len(req.query) > cfg.max_query_chars:
        raise Refused(422, "query", f"query of {len(req.query)} characters; at most api.max_query_chars={cfg.max_query_chars}")
    docids = [c["docid"] for c in req.candidates]
    longest = max(docids, key=len)
    if len(longest) > cfg.max_docid_chars:
        raise Refused(
            422, "candidates.docid", f"a docid of {len(longest)} characters; at most api.max_docid_chars={cfg.max_docid_chars}"
        )
    if len(set(docids)) < len(docids):
        twice = next(d for d, n in Counter(docids).items() if n > 1)
        raise Refused(422, "candidates.docid", f"docid {twice[:80]!r} appears twice; each candidate once")


def engine_ranking(req: RerankRequest) -> Ranking:
    """The candidates in the order a TREC run of them would have: score ↓, then rank, then docid."""
    candidates, scores = req.candidates, [c["score"] for c in req.candidates]
    if _in_run_order(candidates, scores):  # the usual top-k: no sort (the order is the one topic_ranking gives)
        return Ranking(req.qid or "api", tuple(c["docid"] for c in candidates), tuple(scores))
    docs = {c["docid"]: (False, c["score"], _rank_or(c.get("rank"), i + 1)) for i, c in enumerate(candidates)}
    return topic_ranking(req.qid or "api", docs)


def _in_run_order(candidates: list[Candidate], scores: list[float]) -> bool:
    """Scores never rise, and tied neighbours are in (rank, docid) order."""
    if any(a < b for a, b in zip(scores, scores[1:])):
        return False
    ties = [i for i, (a, b) in enumerate(zip(scores, scores[1:])) if a == b]
    return all(_tie_key(candidates[i], i) < _tie_key(candidates[i + 1], i + 1) for i in ties)


def _tie_key(candidate: Candidate, at: int) -> tuple[int, str]:
    return _rank_or(candidate.get("rank"), at + 1), candidate["docid"]


def _rank_or(rank: int | None, position: int) -> int:
    return position if rank is None else rank


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
    engine, matrix = engine_ranking(req), matrix_of(held)
    topic = prepare_candidates(matrix, engine, service.query_vector(req.query, held), req.depth or p.depth)
    scored = score_topic(topic, setting, p.top_m)
    missing = [d for d in engine.docids if d not in matrix.index]
    service.metrics.missing.inc(len(missing))
    service.queue_missing(missing)
    ranked = ranking_of(topic, scored)
    engine_rank = {d: i for i, d in enumerate(engine.docids, start=1)}
    clip = _clip_scores(topic.docids, scored)
    return RerankAnswer(
        request_id=uuid.uuid4().hex,
        qid=req.qid,
        model=_model_of(held, reranker.version, setting),
        docids=list(ranked.docids),
        scores=list(ranked.scores),
        engine_ranks=[engine_rank[d] for d in ranked.docids],
        clip=[clip.get(d) for d in ranked.docids],
        missing=missing,
    )


def _model_of(held: HeldEncoder, version: str, setting: Setting) -> RerankModel:
    return RerankModel(
        version=version,
        alpha=setting.alpha,
        normalisation=setting.normalisation,
        pooling=setting.pooling,
        encoder=held.model_id,
        weights_kind=held.encoder.weights_kind,
    )


def _clip_scores(head: tuple[str, ...], scored: Reranked) -> dict[str, float]:
    """docid → pooled CLIP score, for the head documents that have one."""
    return {d: c for d, c in zip(head, scored.clip.tolist()) if math.isfinite(c)}
