"""``POST /v1/rerank`` on the search lane: the body is validated from its bytes and scored there, off the event loop
(a new query text is first encoded on the query lane, so no search thread waits for it), and the answer written
from its columns straight to JSON (:class:`~reeltag.api.schemas.RerankAnswer`: no per-result models, no second
validation of the response); an experiment's answer is recorded on the A/B store's own lane before it is
returned.

:class:`RerankFastPath` answers ``POST /v1/rerank`` in front of FastAPI (behind the guard, the security headers and
the metrics): the same :func:`answer` and the same error answers (:mod:`reeltag.api.refusals`), without FastAPI's
routing over every route, its request object and its dependency solving (P7 measured them at about a tenth of a
millisecond per request). The FastAPI route stays: it is what the OpenAPI document describes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reeltag.ab.events import ServedRequest
from reeltag.api import rerank_service as rerank
from reeltag.api.experiment import Experiment
from reeltag.api.openapi import answers, body_of
from reeltag.api.refusals import KNOWN, refusal
from reeltag.api.schemas import RerankRequest, RerankResponse, parse_json_native
from reeltag.api.service import Service

PATH = "/v1/rerank"
router = APIRouter()
Answered = tuple[bytes, ServedRequest | None]  # the answer's JSON, and what to record of it for the experiment


@router.post(
    PATH,
    response_model=RerankResponse,
    tags=["search"],
    openapi_extra=body_of(RerankRequest),
    responses=answers(413, 415, 422, 503),
    summary="Rerank a query's engine top-k with the champion CLIPRerank setting.",
)
async def rerank_candidates(request: Request) -> Response:
    written = await answer(request.app.state.service, request.app.state.experiment, await request.body())
    return Response(written, media_type="application/json")


async def answer(service: Service, experiment: Experiment, raw: bytes) -> bytes:
    """The JSON answer to the body ``raw`` (raises what :mod:`reeltag.api.refusals` answers)."""
    body, answered = await service.search_lane.run(_answer_if_cached, service, experiment, raw)
    if answered is None:  # a new query text: encoded on the query lane while no search thread waits for it
        await run_in_threadpool(service.query_vector, body.query)
        answered = await service.search_lane.run(_answer, service, experiment, body)
    written, served = answered
    if served is not None:
        await experiment.lane.run(experiment.record, served)
    return written


def _answer_if_cached(service: Service, experiment: Experiment, raw: bytes) -> tuple[RerankRequest, Answered | None]:
    """The checked body, and its answer when its query's vector is cached."""
    body = parse_json_native(RerankRequest, raw)
    rerank.check_request(service, body)
    return body, _answer(service, experiment, body) if service.queries.cached(body.query) else None


def _answer(service: Service, experiment: Experiment, body: RerankRequest) -> Answered:
    score = partial(rerank.rerank, service, body, champs=service.champions)  # score(arm): one serving set's answer
    answer, served = experiment.arrange_response(body, score)
    return answer.json(), served


class RerankFastPath:
    """ASGI: ``POST /v1/rerank`` answered by :func:`answer` directly; every other request goes on to ``app``."""

    def __init__(self, app: Any, route: Any):
        self.app, self.route = app, route

    @classmethod
    def of(cls, app: Any) -> RerankFastPath:
        """The fast path in front of the FastAPI ``app`` that includes :data:`router` (its route labels the metrics)."""
        return cls(app, next(r for r in router.routes if getattr(r, "path", None) == PATH))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # what FastAPI would have set: the metrics' route label
        state = self.app.state
        try:
            reply: Response = Response(
                await answer(state.service, state.experiment, await _body(receive)), media_type="application/json"
            )
        except KNOWN as exc:
            reply = refusal(exc)
        await reply(scope, receive, send)


async def _body(receive: Any) -> bytes:
    """The whole request body (the guard has read it, capped, and replays it as one message)."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
