"""``POST /v1/feedback``: user events on a /v1/rerank answer of the online experiment (see api/experiment.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reeltag.api.experiment import FeedbackRequest

router = APIRouter()
BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": FeedbackRequest.model_json_schema()}}}}


@router.post(
    "/v1/feedback",
    tags=["search"],
    openapi_extra=BODY,
    summary="Clicks, plays and likes on an experiment's /v1/rerank answer (validated, de-duplicated, stored).",
)
async def feedback(request: Request) -> JSONResponse:
    outcome = await run_in_threadpool(request.app.state.experiment.accept_feedback, await request.body())
    return JSONResponse(outcome)
