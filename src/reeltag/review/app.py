"""The staff review web app (FastAPI, one of the two fastapi modules besides ``reeltag.api``).

``create_review_app(config)`` returns a self-contained app that ``reeltag review`` serves on 127.0.0.1 and that
``reeltag api`` can mount at ``/review``; its URLs are relative to where it is mounted. A GET changes nothing: the
page asks for a reviewer name once (``POST /reviewer``, claimed for good, then carried by a signed cookie, see
:mod:`reeltag.review.identity`) and leases its item by ``POST /next``. Videos are served by item id (HTTP range
requests) with the media type of their sniffed container, never by a path in the URL. Every POST needs the CSRF
token of the browser's cookie; every response carries ``nosniff`` and a same-origin CSP without framing; errors
are 4xx with the reason, shown in the page's error box.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reeltag.corpus.tags import TagRules
from reeltag.errors import BadInput, NotFound
from reeltag.review import identity as ident
from reeltag.review import queue as q
from reeltag.review.media import UnsupportedMedia, video_media_type
from reeltag.review.pages import build_panel, render
from reeltag.review.store import Item, NewEvent, ReviewConflict, ReviewStore
from reeltag.review.typed import typed_tag
from reeltag.security import SELF_ONLY, SecurityHeaders

STATIC = Path(__file__).with_name("static")
ERROR_HEADERS = {"HX-Retarget": "#error", "HX-Reswap": "innerHTML"}
SQLITE_MAX = 2**63 - 1
ItemId = Annotated[int, PathParam(ge=1, le=SQLITE_MAX)]
Csrf = Annotated[str | None, Header()]


class CsrfRefused(BadInput):
    """A POST without the browser's CSRF token, or before a reviewer name was chosen (HTTP 403)."""


@dataclass(frozen=True, kw_only=True)
class ReviewConfig:
    store: ReviewStore
    queue: str
    reviewer: str  # the name the page offers before one is chosen
    lease_s: float
    order: str
    rules: TagRules
    seed: int = 0
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    cookie_days: int = 400

    def lease(self, reviewer: str) -> q.Lease:
        return q.Lease(queue=self.queue, reviewer=reviewer, lease_s=self.lease_s, order=self.order, seed=self.seed)


def create_review_app(config: ReviewConfig) -> FastAPI:
    app = FastAPI(title="reeltag staff review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders, csp=SELF_ONLY)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    _add_page_routes(app, config)
    _add_reviewer_routes(app, config)
    _add_action_routes(app, config)
    return app


def _add_page_routes(app: FastAPI, config: ReviewConfig) -> None:
    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> Response:
        visitor = _visitor(request, config) or ident.Visitor.new()
        token = ident.csrf_token(config.secret, visitor)
        html = render("page.html.j2", base=_base(request), token=token, reviewer=visitor.name, offered=config.reviewer)
        return _with_cookie(HTMLResponse(html), config, visitor)

    @app.get("/items/{item_id}/video")
    def video(item_id: ItemId) -> FileResponse:
        found = _on_disk(config.store.item(item_id, config.queue).video, "video")
        return FileResponse(found, media_type=video_media_type(found))

    @app.get("/items/{item_id}/strip")
    def strip(item_id: ItemId) -> FileResponse:
        found = config.store.item(item_id, config.queue).strip
        if not found:
            raise NotFound(f"item {item_id} has no frame strip (its video plays in the browser)")
        return FileResponse(_on_disk(found, "frame strip"), media_type="image/png")

    @app.get("/tags", response_class=HTMLResponse)
    def tags(q_: Annotated[str, Query(alias="q", max_length=1000)] = "") -> str:
        prefix = q_.strip().lstrip("#").lower()[:64]
        return render("options.html.j2", tags=config.store.vocabulary(prefix) if prefix else ())


def _add_reviewer_routes(app: FastAPI, config: ReviewConfig) -> None:
    @app.post("/reviewer", response_class=HTMLResponse)
    def claim(request: Request, name: Annotated[str, Form(max_length=200)], x_csrf_token: Csrf = None) -> Response:
        visitor = _csrf_checked(request, config, x_csrf_token)
        if visitor.name:
            raise ReviewConflict(f"this browser already reviews as {visitor.name!r}; a name is chosen once")
        chosen = ident.checked_name(name)
        if not config.store.claim_reviewer(chosen, visitor.browser):
            raise ReviewConflict(f"the reviewer name {chosen!r} is already taken by another browser: choose another")
        claimed = ident.Visitor(browser=visitor.browser, name=chosen)
        return _with_cookie(HTMLResponse("", headers={"HX-Refresh": "true"}), config, claimed)

    @app.post("/next", response_class=HTMLResponse)
    def next_item(request: Request, x_csrf_token: Csrf = None) -> str:
        name = _checked(request, config, x_csrf_token)
        return _panel_html(request, config, q.lease_next(config.store, config.lease(name)), name)


def _add_action_routes(app: FastAPI, config: ReviewConfig) -> None:
    @app.post("/items/{item_id}/actions", response_class=HTMLResponse)
    def action(
        request: Request,
        item_id: ItemId,
        kind: Annotated[str, Form()],
        rank: Annotated[int | None, Form(ge=1, le=SQLITE_MAX)] = None,
        tag: Annotated[str | None, Form(max_length=20_000)] = None,
        x_csrf_token: Csrf = None,
    ) -> str:
        name = _checked(request, config, x_csrf_token)
        typed = config.store.canonical(typed_tag(tag or "", config.rules)) if kind == "add" else None
        event = NewEvent(kind=kind, rank=rank, tag=typed)
        q.act(config.store, config.lease(name), item_id, event)
        return _panel_html(request, config, config.store.item(item_id, config.queue), name)

    @app.post("/items/{item_id}/submit", response_class=HTMLResponse)
    def submit(request: Request, item_id: ItemId, seconds: Annotated[float, Form()], x_csrf_token: Csrf = None) -> str:
        name = _checked(request, config, x_csrf_token)
        q.submit(config.store, config.lease(name), item_id, seconds)
        return _panel_html(request, config, q.lease_next(config.store, config.lease(name)), name)

    @app.post("/undo", response_class=HTMLResponse)
    def undo(
        request: Request, item_id: Annotated[int | None, Form(ge=1, le=SQLITE_MAX)] = None, x_csrf_token: Csrf = None
    ) -> str:
        name = _checked(request, config, x_csrf_token)
        event = q.undo(config.store, config.lease(name), item_id)
        shown = config.store.item(event.item_id, config.queue) if event else q.lease_next(config.store, config.lease(name))
        return _panel_html(request, config, shown, name, "" if event else "nothing to undo")


def _add_error_handlers(app: FastAPI) -> None:
    codes = ((CsrfRefused, 403), (UnsupportedMedia, 415), (BadInput, 400), (NotFound, 404), (ReviewConflict, 409))
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


def _visitor(request: Request, config: ReviewConfig) -> ident.Visitor | None:
    """The browser of a cookie this server signed, with its name while the store has it claimed by that browser."""
    visitor = ident.read_cookie(config.secret, request.cookies.get(ident.COOKIE))
    if visitor and visitor.name and config.store.claimed_by(visitor.name) != visitor.browser:
        return ident.Visitor(browser=visitor.browser)  # released (reeltag review release): choose a name again
    return visitor


def _with_cookie(response: Response, config: ReviewConfig, visitor: ident.Visitor) -> Response:
    value = ident.cookie_value(config.secret, visitor)
    response.set_cookie(ident.COOKIE, value, max_age=config.cookie_days * 86_400, httponly=True, samesite="strict")
    return response


def _csrf_checked(request: Request, config: ReviewConfig, token: str | None) -> ident.Visitor:
    """The browser of the cookie, when the request carries that browser's CSRF token."""
    visitor = _visitor(request, config)
    if visitor is None or not ident.csrf_ok(config.secret, visitor, token):
        raise CsrfRefused("CSRF token missing or wrong: reload the review page")
    return visitor


def _checked(request: Request, config: ReviewConfig, token: str | None) -> str:
    """The reviewer name of the cookie, when the request carries its CSRF token and a name was chosen."""
    name = _csrf_checked(request, config, token).name
    if not name:
        raise CsrfRefused("choose a reviewer name first: reload the review page")
    return name


def _panel(config: ReviewConfig, item: Item | None, reviewer: str, message: str = "") -> Any:
    return build_panel(config.store, item, config.queue, reviewer, message)


def _panel_html(request: Request, config: ReviewConfig, item: Item | None, reviewer: str, message: str = "") -> str:
    return render("panel.html.j2", base=_base(request), p=_panel(config, item, reviewer, message))


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _on_disk(path: str, what: str) -> Path:
    found = Path(path)
    if not found.is_file():
        raise NotFound(f"the {what} of this item is no longer on disk")
    return found
