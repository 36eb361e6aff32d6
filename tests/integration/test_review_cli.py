"""``reeltag review`` commands' clear errors (exit 2, one line) and the app mounted under a prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from review_helpers import filled_store
from review_session import item_id, next_panel, sign_in
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project
from reeltag.review.server import review_app_for

pytestmark = pytest.mark.integration


def test_export_without_a_store_says_what_to_do(tmp_root: Path) -> None:
    outcome = CliRunner().invoke(app, ["review", "export", "--root", str(tmp_root), "--json"])
    assert outcome.exit_code == 2 and "reeltag review add" in outcome.stdout
    assert not (tmp_root / "data" / "inbox" / "labels.csv").exists()


def test_rescore_without_a_store_does_nothing_and_says_so(tmp_root: Path) -> None:
    outcome = CliRunner().invoke(app, ["review", "rescore", "--root", str(tmp_root), "--json"])
    assert outcome.exit_code == 0 and '"rescored": 0' in outcome.stdout and "no review store" in outcome.stdout


def test_add_without_inputs_or_inbox_says_what_to_do(tmp_root: Path) -> None:
    outcome = CliRunner().invoke(app, ["review", "add", "--root", str(tmp_root), "--json"])
    assert outcome.exit_code == 2 and "inbox" in outcome.stdout and "videos" in outcome.stdout


def test_the_app_mounts_under_a_prefix(tmp_root: Path) -> None:
    filled_store(tmp_root, 2)
    parent = FastAPI()
    parent.mount("/review", review_app_for(Project.open(tmp_root), reviewer="ann"))
    client = TestClient(parent)
    page = client.get("/review/")
    assert page.status_code == 200 and 'src="/review/static/htmx.min.js"' in page.text
    assert 'hx-post="/review/reviewer"' in page.text
    panel = next_panel(client, sign_in(client, "ann", prefix="/review"), prefix="/review")
    item = item_id(panel)
    assert f'src="/review/items/{item}/video"' in panel
    assert client.get(f"/review/items/{item}/video").status_code == 200
    assert client.get("/review/static/htmx.min.js").text.startswith("/*! htmx 2.0.11")
