"""``POST /v1/suggest``: a JSON body (docid or path under ``api.video_root``) or a multipart upload."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from reeltag.api import suggest_service as suggest
from reeltag.api.schemas import SuggestRequest, SuggestResponse, parse_body
from reeltag.api.service import Refused

router = APIRouter()
FORM_FIELDS = ("k", "exclude", "allow", "min_score", "text")
BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SuggestRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["video"],
                    "properties": {
                        "video": {"type": "string", "format": "binary"},
                        "k": {"type": "integer"},
                        "exclude": {"type": "string", "description": "JSON list or space-separated tags"},
                        "allow": {"type": "string", "description": "JSON list or space-separated tags"},
                        "min_score": {"type": "number"},
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
    summary="Ranked hashtags for one video (a catalogue docid, a path under api.video_root, or an upload), with its optional text.",
)
async def suggest_tags(request: Request) -> SuggestResponse:
    service = request.app.state.service
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=len(FORM_FIELDS) + 1)
        upload = form.get("video")
        if not isinstance(upload, UploadFile):
            raise Refused(422, "video", "multipart body needs a file field 'video'")
        options = parse_body(
            SuggestRequest, {k: _field(k, form.get(k)) for k in FORM_FIELDS if form.get(k) is not None} | {"video": "upload"}
        )
        data = await upload.read()
        return await run_in_threadpool(suggest.suggest_upload, service, data, upload.filename or "video", options)
    req = parse_body(SuggestRequest, await request.body())
    path = suggest.resolve_video(service, req.video)
    return await run_in_threadpool(suggest.suggest, service, path, req.video, req)


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
