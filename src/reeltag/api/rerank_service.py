"""``/v1/rerank`` without HTTP: the request's candidates in run order, scored by the champion reranker
through the same functions as ``reeltag rerank`` (frames gathered from the catalogue matrix)."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from reeltag.api.schemas import RerankModel, RerankRequest, RerankResponse
from reeltag.api.service import Refused, Service
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
    long = next((c.docid for c in req.candidates if len(c.docid) > cfg.max_docid_chars), None)
    if long is not None:
        raise Refused(
            422, "candidates.docid", f"a docid of {len(long)} characters; at most api.max_docid_chars={cfg.max_docid_chars}"
        )
    seen: set[str] = set()
    for c in req.candidates:
        if c.docid in seen:
            raise Refused(422, "candidates.docid", f"docid {c.docid[:80]!r} appears twice; each candidate once")
        seen.add(c.docid)


def engine_ranking(req: RerankRequest) -> Ranking:
    """The candidates in the order a TREC run of them would have: score ↓, then rank, then docid."""
    docs = {c.docid: (False, c.score, c.rank if c.rank is not None else i + 1) for i, c in enumerate(req.candidates)}
    return topic_ranking(req.qid or "api", docs)


def rerank(service: Service, req: RerankRequest, arm: str = "champion") -> RerankResponse:
    """Rerank one query's candidates with the champion (or the challenger) reranker serving when the request
    started; none loaded is a 503 with the reason."""
    check_request(service, req)
    slot = SLOTS[arm]
    reranker = getattr(service.champions, slot)
    if reranker is None:
        raise Refused(503, slot, service.champions.errors.get(slot, f"no {slot} reranker loaded"))
    p = reranker.params
    setting = Setting(req.alpha if req.alpha is not None else p.alpha, p.normalisation, p.pooling)
    engine, matrix = engine_ranking(req), service.matrix
    topic = prepare_candidates(matrix, engine, service.query_vector(req.query), req.depth or p.depth)
    scored = score_topic(topic, setting, p.top_m)
    missing = [d for d in engine.docids if d not in matrix.index]
    service.metrics.missing.inc(len(missing))
    service.queue_missing(missing)
    model = RerankModel(
        version=reranker.version,
        alpha=setting.alpha,
        normalisation=p.normalisation,
        pooling=p.pooling,
        encoder=service.encoder.model_id,
        weights_kind=service.encoder.weights_kind,
    )
    results = _results(engine, topic.docids, scored, ranking_of(topic, scored))
    return RerankResponse.model_validate(  # one validation of the whole answer (1,000 model inits cost 5× more)
        {"request_id": uuid.uuid4().hex, "qid": req.qid, "model": model, "results": results, "missing": missing}
    )


def _results(engine: Ranking, head: tuple[str, ...], scored: Reranked, ranked: Ranking) -> list[dict[str, Any]]:
    engine_rank = {d: i + 1 for i, d in enumerate(engine.docids)}
    clip = {d: float(c) for d, c in zip(head, scored.clip) if np.isfinite(c)}
    return [
        {"docid": d, "score": s, "rank": i + 1, "engine_rank": engine_rank[d], "clip": clip.get(d)}
        for i, (d, s) in enumerate(zip(ranked.docids, ranked.scores))
    ]
