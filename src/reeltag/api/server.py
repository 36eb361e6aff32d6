"""``reeltag api`` and ``reeltag review`` under uvicorn (loopback by default; anything else needs api.token).

Both servers run with the same limits (``[api]``): concurrency, keep-alive, head size, read deadlines and the
connection cap (:mod:`reeltag.api.connections`), behind the :class:`~reeltag.api.guard.Guard`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reeltag.api.guard import Guard, check_bind
from reeltag.project import Project

if TYPE_CHECKING:
    from reeltag.config import ApiSection


def serve(project: Project, host: str, port: int, log_level: str = "info") -> None:
    """Load the champions, then serve until interrupted."""
    token = project.settings.api.token
    check_bind(host, token.get_secret_value() if token else None)
    app: Any = api_app_for(project)
    try:
        with blas_limit(project.settings.api):
            _run(uvicorn_server(app, project, host=host, port=port, log_level=log_level, lifespan="on"))
    finally:
        app.service.close()  # queued video work is dropped, not run on the way out


def blas_limit(cfg: ApiSection) -> Any:
    """A context in which numpy's BLAS uses ``api.blas_threads`` threads (the requests run side by side)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=cfg.blas_threads, user_api="blas")


def serve_review(project: Project) -> None:
    """``reeltag review``: the staff review app alone on 127.0.0.1, until interrupted (Ctrl-C)."""
    from reeltag.review.server import HOST

    _run(uvicorn_server(review_server_app(project), project, host=HOST, port=project.settings.review.port, log_level="warning"))


def review_server_app(project: Project) -> Any:
    """The review app as ``reeltag review`` serves it: behind the guard's Host allow-list and body cap."""
    from reeltag.review.server import HOST, review_app_for

    return Guard.of(review_app_for(project), project.settings.api, HOST, None)


def uvicorn_server(app: Any, project: Project, *, host: str, port: int, log_level: str = "info", lifespan: str = "auto") -> Any:
    """A ``uvicorn.Server`` for ``app`` with the project's HTTP limits (``[api]``); ``.run()`` serves."""
    import uvicorn

    from reeltag.api.connections import timed_protocol

    cfg = project.settings.api
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan=lifespan,  # type: ignore[arg-type]
        http=timed_protocol(cfg),
        limit_concurrency=cfg.limit_concurrency,
        timeout_keep_alive=cfg.keep_alive_s,
    )
    return uvicorn.Server(config)


def _run(server: Any) -> None:
    """Serve until interrupted; Ctrl-C (SIGINT, re-raised by uvicorn after its graceful shutdown) is a clean stop."""
    try:
        server.run()
    except KeyboardInterrupt:
        pass


def api_app_for(project: Project, watch: bool = True) -> Any:
    """The API app over the project's champions, with the staff review app mounted at ``/review``."""
    from reeltag.api.app import create_app
    from reeltag.api.service import Service
    from reeltag.review.server import review_app_for

    return create_app(Service.start(project), watch=watch, mounts=[("/review", review_app_for(project))])
