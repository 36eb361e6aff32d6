"""Build the review app for a project (``reeltag api`` mounts it at ``/review``; ``reeltag review`` serves it
alone on 127.0.0.1 through :func:`reeltag.api.server.serve_review`)."""

from __future__ import annotations

from typing import Any

from reeltag.project import Project
from reeltag.review.store import ReviewStore

HOST = "127.0.0.1"
SECRET_FILE = "secret.key"


def review_app_for(project: Project, reviewer: str | None = None) -> Any:
    """The review FastAPI app over the project's review store (created when missing) and its cookie key."""
    from reeltag.corpus.steps import tag_rules
    from reeltag.review.app import ReviewConfig, create_review_app
    from reeltag.review.identity import load_secret

    settings = project.settings.review
    store = ReviewStore(project.paths.review_db).create()
    configured = settings.secret.get_secret_value() if settings.secret else None
    return create_review_app(
        ReviewConfig(
            store=store,
            queue=settings.queue,
            reviewer=reviewer or settings.reviewer,
            lease_s=settings.lease_s,
            order=settings.order,
            seed=settings.seed,
            rules=tag_rules(project.settings.corpus),
            secret=load_secret(project.paths.review_db.parent / SECRET_FILE, configured),
            cookie_days=settings.cookie_days,
        )
    )
