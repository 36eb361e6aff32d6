"""``POST /v1/rerank``. The body is validated from its bytes and the answer written by pydantic's JSON
serializer directly (no intermediate Python dicts, no second validation of the response)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reeltag.api import rerank_service as rerank
from reeltag.api.schemas import RerankRequest, RerankResponse, parse_body

router = APIRouter()
BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": RerankRequest.model_json_schema()}}}}


@router.post(
    "/v1/rerank",
    response_model=RerankResponse,
    tags=["search"],
    openapi_extra=BODY,
    summary="Rerank a query's engine top-k with the champion CLIPRerank setting.",
)
async def rerank_candidates(request: Request) -> Response:
    body = parse_body(RerankRequest, await request.body())
    score = partial(rerank.rerank, request.app.state.service, body)  # score(arm): the champion's or challenger's answer
    result = await run_in_threadpool(request.app.state.experiment.arrange_response, body, score)
    return Response(result.model_dump_json(), media_type="application/json")
