"""The error answers of the API's own exceptions, in one place: FastAPI's exception handlers and the ``/v1/rerank``
fast path (:class:`~reeltag.api.routes_rerank.RerankFastPath`) answer each the same way (status, body, headers)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from reeltag.api.guard import BodyTooLarge
from reeltag.api.lanes import Busy
from reeltag.api.schemas import BodyRefused
from reeltag.api.service import Refused
from reeltag.errors import ReeltagError

KNOWN = (Refused, Busy, BodyTooLarge, BodyRefused, ReeltagError)  # every exception answered 4xx or 503


def refusal(exc: Exception) -> JSONResponse:
    """The answer to one of :data:`KNOWN` (a 4xx or 503 with the reason and the field)."""
    if isinstance(exc, Refused):
        retry = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s is not None else None
        return JSONResponse({"detail": exc.reason, "field": exc.field}, status_code=exc.status, headers=retry)
    if isinstance(exc, Busy):
        return JSONResponse({"detail": exc.reason, "field": exc.field}, status_code=503, headers=_retry(exc.retry_after_s))
    if isinstance(exc, BodyTooLarge):
        return JSONResponse({"detail": str(exc), "field": "video"}, status_code=413)
    if isinstance(exc, BodyRefused):
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=422)
    if isinstance(exc, ReeltagError):
        return JSONResponse({"detail": str(exc)}, status_code=422)
    raise TypeError(f"no answer for {type(exc).__name__}") from exc


def _retry(seconds: int) -> dict[str, Any]:
    return {"Retry-After": str(seconds)}
