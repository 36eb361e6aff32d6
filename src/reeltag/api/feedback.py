"""``POST /v1/feedback``: user events on a /v1/rerank answer of the online experiment (see api/experiment.py),
checked and stored on the A/B store's own lane."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from reeltag.api.experiment import FeedbackAnswer, FeedbackRequest
from reeltag.api.openapi import answers, body_of

router = APIRouter()


@router.post(
    "/v1/feedback",
    tags=["search"],
    openapi_extra=body_of(FeedbackRequest),
    response_model=FeedbackAnswer,
    responses=answers(404, 413, 415, 422, 503),
    summary="Clicks, plays and likes on an experiment's /v1/rerank answer (validated, de-duplicated, stored).",
)
async def feedback(request: Request) -> Response:
    experiment = request.app.state.experiment
    outcome: FeedbackAnswer = await experiment.lane.run(experiment.accept_feedback, await request.body())
    return Response(outcome.model_dump_json(), media_type="application/json")
