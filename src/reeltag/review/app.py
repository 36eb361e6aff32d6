"""The staff review web app (FastAPI, one of the two fastapi modules besides ``reeltag.api``).

``create_review_app(config)`` returns a self-contained app that ``reeltag review`` serves on 127.0.0.1 and that
``reeltag api`` can mount at ``/review``; its URLs are relative to where it is mounted. Videos are served by item
id (HTTP range requests), never by a path in the URL. Every POST needs the CSRF token of the reviewer's cookie;
errors are 4xx with the reason, shown in the page's error box.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reeltag.corpus.tags import TagRules
from reeltag.errors import BadInput, NotFound
from reeltag.review import queue as q
from reeltag.review.pages import build_panel, render
from reeltag.review.store import Item, NewEvent, ReviewConflict, ReviewStore
from reeltag.review.typed import typed_tag

COOKIE = "reeltag_reviewer"
REVIEWER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
STATIC = Path(__file__).with_name("static")
ERROR_HEADERS = {"HX-Retarget": "#error", "HX-Reswap": "innerHTML"}


class CsrfRefused(BadInput):
    """A POST without the reviewer's CSRF token (HTTP 403)."""


@dataclass(frozen=True, kw_only=True)
class ReviewConfig:
    store: ReviewStore
    queue: str
    reviewer: str
    lease_s: float
    order: str
    rules: TagRules
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def lease(self, reviewer: str) -> q.Lease:
        return q.Lease(queue=self.queue, reviewer=reviewer, lease_s=self.lease_s, order=self.order)

    def token(self, reviewer: str) -> str:
        return hmac.new(self.secret, reviewer.encode("utf-8"), hashlib.sha256).hexdigest()


def create_review_app(config: ReviewConfig) -> FastAPI:
    app = FastAPI(title="reeltag staff review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    _add_page_routes(app, config)
    _add_action_routes(app, config)
    return app


def _add_page_routes(app: FastAPI, config: ReviewConfig) -> None:
    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, reviewer: str | None = None) -> Response:
        name = _reviewer(request, config, reviewer)
        item = q.lease_next(config.store, config.lease(name))
        html = render("page.html.j2", base=_base(request), token=config.token(name), p=_panel(config, item, name))
        response = HTMLResponse(html)
        response.set_cookie(COOKIE, name, httponly=True, samesite="strict")
        return response

    @app.get("/items/{item_id}/video")
    def video(item_id: int) -> FileResponse:
        return _file(config.store.item(item_id, config.queue).video, "video")

    @app.get("/items/{item_id}/strip")
    def strip(item_id: int) -> FileResponse:
        found = config.store.item(item_id, config.queue).strip
        if not found:
            raise NotFound(f"item {item_id} has no frame strip (its video plays in the browser)")
        return _file(found, "frame strip")

    @app.get("/tags", response_class=HTMLResponse)
    def tags(q_: Annotated[str, Query(alias="q", max_length=1000)] = "") -> str:
        prefix = q_.strip().lstrip("#").lower()[:64]
        return render("options.html.j2", tags=config.store.vocabulary(prefix) if prefix else ())


def _add_action_routes(app: FastAPI, config: ReviewConfig) -> None:
    @app.post("/items/{item_id}/actions", response_class=HTMLResponse)
    def action(
        request: Request,
        item_id: int,
        kind: Annotated[str, Form()],
        rank: Annotated[int | None, Form()] = None,
        tag: Annotated[str | None, Form(max_length=20_000)] = None,
        x_csrf_token: Annotated[str | None, Header()] = None,
    ) -> str:
        name = _checked(request, config, x_csrf_token)
        typed = config.store.canonical(typed_tag(tag or "", config.rules)) if kind == "add" else None
        event = NewEvent(kind=kind, rank=rank, tag=typed)
        q.act(config.store, config.lease(name), item_id, event)
        return _panel_html(request, config, config.store.item(item_id, config.queue), name)

    @app.post("/items/{item_id}/submit", response_class=HTMLResponse)
    def submit(
        request: Request, item_id: int, seconds: Annotated[float, Form()], x_csrf_token: Annotated[str | None, Header()] = None
    ) -> str:
        name = _checked(request, config, x_csrf_token)
        q.submit(config.store, config.lease(name), item_id, seconds)
        return _panel_html(request, config, q.lease_next(config.store, config.lease(name)), name)

    @app.post("/undo", response_class=HTMLResponse)
    def undo(
        request: Request, item_id: Annotated[int | None, Form()] = None, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> str:
        name = _checked(request, config, x_csrf_token)
        event = q.undo(config.store, config.lease(name), item_id)
        shown = config.store.item(event.item_id, config.queue) if event else q.lease_next(config.store, config.lease(name))
        return _panel_html(request, config, shown, name, "" if event else "nothing to undo")


def _add_error_handlers(app: FastAPI) -> None:
    codes = ((CsrfRefused, 403), (BadInput, 400), (NotFound, 404), (ReviewConflict, 409))
    for exc_type, status in codes:
        app.add_exception_handler(exc_type, _error_handler(lambda exc, s=status: (s, str(exc))))
    app.add_exception_handler(RequestValidationError, _error_handler(_invalid_request))
    app.add_exception_handler(StarletteHTTPException, _error_handler(lambda exc: (exc.status_code, str(exc.detail))))


def _error_handler(describe: Any) -> Any:
    """An escaped HTML error box (never the request's input echoed back) with the status and reason."""

    def handle(request: Request, exc: Exception) -> Response:
        status, message = describe(exc)
        return HTMLResponse(render("error.html.j2", message=message), status_code=status, headers=ERROR_HEADERS)

    return handle


def _invalid_request(exc: RequestValidationError) -> tuple[int, str]:
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
    return 422, f"invalid request ({problems})"


def _reviewer(request: Request, config: ReviewConfig, asked: str | None = None) -> str:
    name = asked or request.cookies.get(COOKIE) or config.reviewer
    if not REVIEWER_NAME.match(name):
        raise BadInput("reviewer names are 1-64 letters, digits or . _ @ -")
    return name


def _checked(request: Request, config: ReviewConfig, token: str | None) -> str:
    """The reviewer of the cookie, when the request carries that reviewer's CSRF token."""
    name = _reviewer(request, config)
    if not token or not hmac.compare_digest(token, config.token(name)):
        raise CsrfRefused("CSRF token missing or wrong: reload the review page")
    return name


def _panel(config: ReviewConfig, item: Item | None, reviewer: str, message: str = "") -> Any:
    return build_panel(config.store, item, config.queue, reviewer, message)


def _panel_html(request: Request, config: ReviewConfig, item: Item | None, reviewer: str, message: str = "") -> str:
    return render("panel.html.j2", base=_base(request), p=_panel(config, item, reviewer, message))


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _file(path: str, what: str) -> FileResponse:
    found = Path(path)
    if not found.is_file():
        raise NotFound(f"the {what} of this item is no longer on disk")
    return FileResponse(found)
