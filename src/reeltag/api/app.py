"""The FastAPI app: routers, error bodies, metrics, the guard, the watcher; ``extra_routers`` is the mount
point for other pages (e.g. ``[("/review", review_router)]`` once the staff review pages exist)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from reeltag import __version__
from reeltag.api import feedback, openapi, routes_ops, routes_rerank, routes_suggest
from reeltag.api.experiment import Experiment
from reeltag.api.guard import Guard
from reeltag.api.refusals import KNOWN, refusal
from reeltag.api.routes_rerank import RerankFastPath
from reeltag.api.service import Service
from reeltag.api.uploads import remove_leftovers, upload_folder
from reeltag.api.watcher import Watcher
from reeltag.security import SecurityHeaders

log = logging.getLogger("reeltag.api")


def create_app(
    service: Service,
    extra_routers: Sequence[tuple[str, APIRouter]] = (),
    watch: bool = True,
    mounts: Sequence[tuple[str, Any]] = (),
) -> Any:
    """The ASGI app: metrics outermost, then nosniff and CSP headers, the guard (Host, token, content type, body
    cap), the ``/v1/rerank`` fast path, then FastAPI; ``mounts`` are self-contained sub-apps (the staff review app at ``/review``)."""
    app = FastAPIOffline(  # /docs and /redoc with Swagger UI and ReDoc served from the package, never a CDN
        title="reeltag API",
        version=__version__,
        lifespan=_lifespan(service, watch),
        description="Hashtag suggestion and CLIPRerank for other systems (see the README, 'HTTP API').",
    )
    app.state.service, app.state.experiment = service, Experiment.for_project(service.project, service.metrics)
    app.state.experiment.require_arms(service.champions)
    for router in (routes_ops.router, routes_rerank.router, routes_suggest.router, feedback.router):
        app.include_router(router)
    for prefix, router in extra_routers:
        app.include_router(router, prefix=prefix)
    for prefix, sub_app in mounts:
        app.mount(prefix, sub_app)
    _add_error_bodies(app)
    openapi.install(app, service.project.settings)
    cfg = service.project.settings.api
    token = cfg.token.get_secret_value() if cfg.token else None
    return Measured(SecurityHeaders(Guard.of(RerankFastPath.of(app), cfg, cfg.host, token)), service)


def _lifespan(service: Service, watch: bool) -> Any:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        removed = remove_leftovers(upload_folder(service.project))  # this pid's too: a dead namesake's (containers)
        if removed:
            log.info("removed %d upload files left by a server that stopped mid-upload", removed)
        watcher = Watcher(service, service.project.settings.api.reload_s).start() if watch else None
        yield
        if watcher:
            watcher.stop()

    return lifespan


def _add_error_bodies(app: FastAPI) -> None:
    async def known(_: Request, exc: Exception) -> JSONResponse:
        return refusal(exc)

    for kind in KNOWN:
        app.add_exception_handler(kind, known)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else "body"
        detail = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in errors[:20]]
        return JSONResponse(
            {"detail": f"{where}: {errors[0]['msg'] if errors else 'invalid'}", "field": where, "errors": detail}, status_code=422
        )


class Measured:
    """ASGI wrapper: count every response by route template and status, and time it."""

    def __init__(self, app: Any, service: Service):
        self.app, self.service = app, service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def recording(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.service.metrics.observe(route, status[0], time.perf_counter() - started)
