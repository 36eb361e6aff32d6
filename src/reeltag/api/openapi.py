"""The OpenAPI document at ``/openapi.json``: request bodies and the error body from the pydantic models (strict;
their nested models under ``components/schemas``, so every ``$ref`` resolves), every route's answers (200 and the 4xx/503 error body it
can give), the bounds that come from settings (``api.max_*``, ``ab.online.max_events``), and the bearer scheme
when ``api.token`` is set (the health probes stay open)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from reeltag.api.experiment import FeedbackRequest
from reeltag.api.schemas import ErrorBody, RerankRequest, SuggestRequest

if TYPE_CHECKING:
    from fastapi import FastAPI

    from reeltag.config import Settings

REF = "#/components/schemas/{model}"
COMPONENT_MODELS: tuple[type[BaseModel], ...] = (RerankRequest, SuggestRequest, FeedbackRequest, ErrorBody)
OPEN_PATHS = ("/healthz", "/readyz")
WHY = {
    400: "Content-Length is not a number of bytes.",
    401: "api.token is set and the Authorization header is missing.",
    403: "api.token is set and the bearer token is wrong, or a path leaves api.video_root.",
    404: "Unknown request id, docid or video; or no online experiment configured.",
    413: "Body over api.max_body_kb (api.max_upload_mb for an upload), or more than ab.online.max_events events.",
    415: "The upload is not a video container.",
    422: "Malformed JSON, a wrong type, an unknown field, a bound from settings, or a rule the schema cannot say.",
    503: "No champion loaded for this route, or the A/B event store is locked or full (with Retry-After).",
}


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads ``model`` as its JSON body itself (from the raw bytes)."""
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def answers(*codes: int, guarded: bool = True) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route: ``codes`` plus the guard's (400, 413; 401 and 403 unless a health probe), each
    the JSON :class:`ErrorBody` (whatever the route's own media type: ``/metrics`` answers text)."""
    common = (400, 401, 403, 413) if guarded else (400, 413)
    error = {"application/json": {"schema": {"$ref": REF.format(model=ErrorBody.__name__)}}}
    return {code: {"description": WHY[code], "content": error} for code in sorted({*common, *codes})}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`document` as the app's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its document


def document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(models_json_schema([(m, "validation") for m in COMPONENT_MODELS], ref_template=REF)[1]["$defs"])
    for where, keyword, value in _bounds(settings):
        _typed(_at(schema, where))[keyword] = value
    if settings.api.token is not None:
        _secured(schema)
    return schema


def _bounds(settings: Settings) -> tuple[tuple[Sequence[str | int], str, int], ...]:
    api, multipart = settings.api, ("paths", "/v1/suggest", "post", "requestBody", "content", "multipart/form-data", "schema")
    columns = ("components", "schemas", "CandidateColumns", "properties")
    return (
        (("components", "schemas", "Candidate", "properties", "docid"), "maxLength", api.max_docid_chars),
        ((*columns, "docids", "items"), "maxLength", api.max_docid_chars),
        (("components", "schemas", "RerankRequest", "properties", "query"), "maxLength", api.max_query_chars),
        (("components", "schemas", "RerankRequest", "properties", "candidates", "oneOf", 0), "maxItems", api.max_candidates),
        *(((*columns, name), "maxItems", api.max_candidates) for name in ("docids", "scores", "ranks")),
        (("components", "schemas", "SuggestRequest", "properties", "k"), "maximum", api.max_k),
        ((*multipart, "properties", "k"), "maximum", api.max_k),
        (("components", "schemas", "FeedbackRequest", "properties", "events"), "maxItems", settings.ab.online.max_events),
    )


def _at(schema: dict[str, Any], where: Sequence[str | int]) -> dict[str, Any]:
    node: Any = schema
    for key in where:  # a key, or a position in a list (oneOf)
        node = node[key]
    found: dict[str, Any] = node
    return found


def _typed(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property (``anyOf: [{...}, {type: null}]``), or the property itself."""
    return next(branch for branch in prop.get("anyOf", [prop]) if branch.get("type") != "null")


def _secured(schema: dict[str, Any]) -> None:
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"bearer": []}]
    for path in OPEN_PATHS:
        for operation in schema["paths"].get(path, {}).values():
            operation["security"] = []
