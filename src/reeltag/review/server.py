"""Build the review app for a project and serve it on 127.0.0.1 (uvicorn).

``review_app_for(project)`` is what ``reeltag api`` mounts at ``/review``; ``serve_review`` is ``reeltag review``.
"""

from __future__ import annotations

from typing import Any

from reeltag.project import Project
from reeltag.review.store import ReviewStore

HOST = "127.0.0.1"


def review_app_for(project: Project, reviewer: str | None = None) -> Any:
    """The review FastAPI app over the project's review store (created when missing)."""
    from reeltag.corpus.steps import tag_rules
    from reeltag.review.app import ReviewConfig, create_review_app

    settings = project.settings.review
    store = ReviewStore(project.paths.review_db).create()
    return create_review_app(
        ReviewConfig(
            store=store,
            queue=settings.queue,
            reviewer=reviewer or settings.reviewer,
            lease_s=settings.lease_s,
            order=settings.order,
            rules=tag_rules(project.settings.corpus),
        )
    )


def serve_review(project: Project, port: int | None = None, reviewer: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C)."""
    import uvicorn

    uvicorn.run(
        review_app_for(project, reviewer),
        host=HOST,
        port=port or project.settings.review.port,
        log_level="warning",
        access_log=False,
    )
