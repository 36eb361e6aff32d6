"""``POST /v1/rerank`` on the search lane: the body is validated from its bytes and scored there, off the event loop
(a new query text is first encoded on the query lane, so no search thread waits for it), and the answer written
from its columns straight to JSON (:class:`~reeltag.api.schemas.RerankAnswer`: no per-result models, no second
validation of the response); an experiment's answer is recorded on the A/B store's own lane before it is
returned."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reeltag.ab.events import ServedRequest
from reeltag.api import rerank_service as rerank
from reeltag.api.experiment import Experiment
from reeltag.api.openapi import answers, body_of
from reeltag.api.schemas import RerankRequest, RerankResponse, parse_body
from reeltag.api.service import Service

router = APIRouter()
Answered = tuple[bytes, ServedRequest | None]  # the answer's JSON, and what to record of it for the experiment


@router.post(
    "/v1/rerank",
    response_model=RerankResponse,
    tags=["search"],
    openapi_extra=body_of(RerankRequest),
    responses=answers(413, 415, 422, 503),
    summary="Rerank a query's engine top-k with the champion CLIPRerank setting.",
)
async def rerank_candidates(request: Request) -> Response:
    service: Service = request.app.state.service
    experiment: Experiment = request.app.state.experiment
    body, answered = await service.search_lane.run(_answer_if_cached, service, experiment, await request.body())
    if answered is None:  # a new query text: encoded on the query lane while no search thread waits for it
        await run_in_threadpool(service.query_vector, body.query)
        answered = await service.search_lane.run(_answer, service, experiment, body)
    written, served = answered
    if served is not None:
        await experiment.lane.run(experiment.record, served)
    return Response(written, media_type="application/json")


def _answer_if_cached(service: Service, experiment: Experiment, raw: bytes) -> tuple[RerankRequest, Answered | None]:
    """The checked body, and its answer when its query's vector is cached."""
    body = parse_body(RerankRequest, raw)
    rerank.check_request(service, body)
    return body, _answer(service, experiment, body) if service.queries.cached(body.query) else None


def _answer(service: Service, experiment: Experiment, body: RerankRequest) -> Answered:
    score = partial(rerank.rerank, service, body, champs=service.champions)  # score(arm): one serving set's answer
    answer, served = experiment.arrange_response(body, score)
    return answer.json(), served
