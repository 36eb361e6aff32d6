"""``reeltag api``: start the service under uvicorn (loopback by default; anything else needs api.token)."""

from __future__ import annotations

from typing import Any

from reeltag.api.guard import check_bind
from reeltag.project import Project


def serve(project: Project, host: str, port: int, log_level: str = "info") -> None:
    """Load the champions, then serve until interrupted."""
    import uvicorn

    token = project.settings.api.token
    check_bind(host, token.get_secret_value() if token else None)
    app: Any = api_app_for(project)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on")
    finally:
        app.service.close()  # queued video work is dropped, not run on the way out


def api_app_for(project: Project, watch: bool = True) -> Any:
    """The API app over the project's champions, with the staff review app mounted at ``/review``."""
    from reeltag.api.app import create_app
    from reeltag.api.service import Service
    from reeltag.review.server import review_app_for

    return create_app(Service.start(project), watch=watch, mounts=[("/review", review_app_for(project))])
