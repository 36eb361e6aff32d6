"""``POST /v1/suggest``: a JSON body (docid or path under ``api.video_root``) or a multipart upload.

The work runs on the service's video lane and the handler awaits it without holding a thread; a place in the lane
is taken before an upload's body is read, so a full lane answers 503 (``Retry-After``) at once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from reeltag.api import suggest_service as suggest
from reeltag.api.openapi import REF, answers
from reeltag.api.schemas import SuggestRequest, SuggestResponse, parse_body
from reeltag.api.service import Refused, Service

router = APIRouter()
FORM_FIELDS = ("k", "exclude", "allow", "min_score", "text")
BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": REF.format(model="SuggestRequest")}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["video"],
                    "additionalProperties": False,
                    "properties": {
                        "video": {"type": "string", "format": "binary"},
                        "k": {"type": "integer", "minimum": 1},
                        "exclude": {"type": "string", "description": "JSON list or space-separated tags"},
                        "allow": {"type": "string", "description": "JSON list or space-separated tags"},
                        "min_score": {"type": "number", "minimum": -1.0, "maximum": 1.0},
                        "text": {"type": "string", "description": "Title/description of the video (optional)"},
                    },
                }
            },
        },
    }
}


@router.post(
    "/v1/suggest",
    response_model=SuggestResponse,
    tags=["tags"],
    openapi_extra=BODIES,
    responses=answers(403, 404, 413, 415, 422, 503),
    summary="Ranked hashtags for one video (a catalogue docid, a path under api.video_root, or an upload), with its optional text.",
)
async def suggest_tags(request: Request) -> SuggestResponse:
    service: Service = request.app.state.service
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await _suggest_upload(request, service)
    req = parse_body(SuggestRequest, await request.body())
    path = suggest.resolve_video(service, req.video)
    return await service.video_lane.run(suggest.suggest, service, path, req.video, req)


async def _suggest_upload(request: Request, service: Service) -> SuggestResponse:
    """The lane's place first, then the body: parsed into a spooled temp file, handed to the lane as a file."""
    slot = service.video_lane.reserve()
    try:
        async with request.form(max_files=1, max_fields=len(FORM_FIELDS) + 1) as form:
            upload, unknown = form.get("video"), sorted(set(form) - {"video", *FORM_FIELDS})
            if not isinstance(upload, UploadFile):
                raise Refused(422, "video", "multipart body needs a file field 'video'")
            if unknown:
                raise Refused(422, unknown[0][:80], f"unknown form field; the fields are video, {', '.join(FORM_FIELDS)}")
            fields = {k: _field(k, form.get(k)) for k in FORM_FIELDS if form.get(k) is not None}
            options = parse_body(SuggestRequest, fields | {"video": "upload"})
            job = slot.run(suggest.suggest_upload, service, upload.file, upload.filename or "video", options)
            return await asyncio.wrap_future(job)
    finally:
        slot.free()


def _field(name: str, value: Any) -> Any:
    """A form field as the JSON body would carry it: lists as JSON or space-separated, numbers as text."""
    if name == "text":
        return str(value)  # as sent: an empty or odd text is the text branch's to note, not a form error
    text = str(value).strip()
    if name not in ("exclude", "allow"):
        return text
    try:
        return json.loads(text) if text.startswith("[") else text.split()
    except json.JSONDecodeError as exc:
        raise Refused(422, name, f"not a JSON list of tags: {exc}") from None
    except RecursionError:
        raise Refused(422, name, "not a JSON list of tags: nested too deeply") from None
