"""``POST /v1/rerank``. The body is validated from its bytes and the answer written by pydantic's JSON
serializer directly (no intermediate Python dicts, no second validation of the response); an experiment's answer
is recorded on the A/B store's own lane before it is returned."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reeltag.api import rerank_service as rerank
from reeltag.api.openapi import answers, body_of
from reeltag.api.schemas import RerankRequest, RerankResponse, parse_body

router = APIRouter()


@router.post(
    "/v1/rerank",
    response_model=RerankResponse,
    tags=["search"],
    openapi_extra=body_of(RerankRequest),
    responses=answers(413, 415, 422, 503),
    summary="Rerank a query's engine top-k with the champion CLIPRerank setting.",
)
async def rerank_candidates(request: Request) -> Response:
    body = parse_body(RerankRequest, await request.body())
    experiment = request.app.state.experiment
    score = partial(rerank.rerank, request.app.state.service, body)  # score(arm): the champion's or challenger's answer
    result, served = await run_in_threadpool(experiment.arrange_response, body, score)
    if served is not None:
        await experiment.lane.run(experiment.record, served)
    return Response(result.model_dump_json(), media_type="application/json")
