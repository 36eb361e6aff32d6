"""``reeltag api`` serves the staff review app at ``/review`` (its page, its static files) beside /v1."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL

from reeltag.api.server import api_app_for
from reeltag.project import Project

pytestmark = pytest.mark.integration


def test_review_page_answers_through_the_api_app(served_project) -> None:
    with TestClient(api_app_for(Project.open(served_project.root), watch=False), base_url=LOCAL) as client:
        page = client.get("/review/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "reeltag_reviewer" in page.headers.get("set-cookie", "")
        assert client.get("/review/static/review.css").status_code == 200
        assert client.get("/healthz").json() == {"status": "ok"}
