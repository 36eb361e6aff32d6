"""``POST /v1/rerank``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from reeltag.api import rerank
from reeltag.api.schemas import RerankRequest, RerankResponse

router = APIRouter()


@router.post("/v1/rerank", response_model=RerankResponse, tags=["search"],
             summary="Rerank a query's engine top-k with the champion CLIPRerank setting.")
def rerank_candidates(body: RerankRequest, request: Request) -> RerankResponse:
    return rerank.rerank(request.app.state.service, body)
