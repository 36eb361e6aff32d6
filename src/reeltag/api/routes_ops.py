"""``/healthz``, ``/readyz``, ``/v1/models``, ``/metrics``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from reeltag.api.openapi import answers
from reeltag.api.schemas import Readiness

if TYPE_CHECKING:
    from reeltag.api.service import Service

router = APIRouter()


@router.get("/healthz", tags=["ops"], responses=answers(guarded=False), summary="The process is up.")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["ops"],
    response_model=Readiness,
    responses=answers(guarded=False)
    | {503: {"model": Readiness, "description": "No champion can serve yet, or a named one failed to load."}},
    summary="Champions are loaded: 503 until a capability can serve, and while a named champion failed to load.",
)
def readyz(request: Request) -> Response:
    service: Service = request.app.state.service
    champs = service.champions
    body = {
        "ready": service.ready,
        "rerank": champs.reranker is not None,
        "suggest": champs.suggester is not None,
        "errors": service.errors(),
        "pending": service.pending(),
    }
    return JSONResponse(body, status_code=200 if service.ready else 503)


@router.get(
    "/v1/models",
    tags=["ops"],
    responses=answers(),
    summary="Champion versions serving now, weights kind, when each was loaded.",
)
def models(request: Request) -> dict[str, Any]:
    service: Service = request.app.state.service
    return service.models()


@router.get(
    "/metrics",
    tags=["ops"],
    response_class=PlainTextResponse,
    responses=answers(),
    summary="Prometheus text: requests, latency, query cache, missing features, the A/B store's dropped rows.",
)
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.service.metrics.render()
    return Response(body, media_type=content_type)
