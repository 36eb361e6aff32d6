"""The review app in-process (FastAPI TestClient): the keys' requests, video by item id, and hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from review_helpers import corpus_rules, filled_store, write_h264
from review_items import review_item
from review_session import item_id, next_panel, page_csrf, sign_in

from reeltag.review.app import ReviewConfig, create_review_app
from reeltag.review.state import fold
from reeltag.review.store import ReviewStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    filled = filled_store(tmp_path, 3)
    other = write_h264(tmp_path / "videos" / "other.mp4", seed=99)
    hostile = review_item(
        other,
        "f" * 64,
        suggestions=(("<b>bold</b>", 0.9), ("plain", 0.1)),
    )
    filled.add_items("elsewhere", [hostile])
    return filled


@pytest.fixture
def client(store: ReviewStore) -> TestClient:
    config = ReviewConfig(store=store, queue="default", reviewer="ann", lease_s=60.0, order="uncertain", rules=corpus_rules())
    return TestClient(create_review_app(config))


def open_page(client: TestClient, name: str = "ann") -> tuple[int, dict[str, str]]:
    """Sign in as ``name`` and lease the first item: its id and the CSRF headers."""
    csrf = sign_in(client, name)
    item = item_id(next_panel(client, csrf))
    assert item is not None
    return item, csrf


def test_actions_submit_and_undo_through_http(client: TestClient, store: ReviewStore) -> None:
    item, csrf = open_page(client)
    assert client.post(f"/items/{item}/actions", data={"kind": "accept", "rank": "1"}, headers=csrf).status_code == 200
    added = client.post(f"/items/{item}/actions", data={"kind": "add", "tag": "#Sunsets"}, headers=csrf)
    assert added.status_code == 200 and "#sunset" in added.text  # normalised, then the vocabulary's surface form
    nxt = client.post(f"/items/{item}/submit", data={"seconds": "2.5"}, headers=csrf)
    assert nxt.status_code == 200 and f'data-item-id="{item}"' not in nxt.text and 'done <strong id="done">1' in nxt.text
    assert fold(store.events(item)).submitted
    reopened = client.post("/undo", data={"item_id": re.search(r'data-item-id="(\d+)"', nxt.text).group(1)}, headers=csrf)  # type: ignore[union-attr]
    assert f'data-item-id="{item}"' in reopened.text and not fold(store.events(item)).submitted


def test_video_is_served_by_item_id_with_range_requests(client: TestClient) -> None:
    item, _ = open_page(client)
    part = client.get(f"/items/{item}/video", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100 and part.headers["content-type"] == "video/mp4"
    assert part.headers["content-range"].startswith("bytes 0-99/")


def test_autocomplete_from_the_vocabulary(client: TestClient) -> None:
    options = client.get("/tags", params={"q": "#Ca"}).text
    assert re.findall(r'data-tag="([^"]+)"', options) == ["cat", "catwalk", "category", "cathedral"]


# --- hostile input: each refused or escaped -------------------------------------------------------------------


def test_hostile_script_tag_is_refused_and_escaped(client: TestClient, store: ReviewStore) -> None:
    item, csrf = open_page(client)
    answer = client.post(f"/items/{item}/actions", data={"kind": "add", "tag": "<script>alert(1)</script>"}, headers=csrf)
    assert answer.status_code == 400 and "not a word" in answer.text
    assert "<script>" not in answer.text and "&lt;script&gt;" in answer.text
    assert answer.headers["hx-retarget"] == "#error"
    assert not store.events(item)


def test_hostile_10kb_tag_is_refused(client: TestClient, store: ReviewStore) -> None:
    item, csrf = open_page(client)
    answer = client.post(f"/items/{item}/actions", data={"kind": "add", "tag": "a" * 10_000}, headers=csrf)
    assert answer.status_code == 400 and "10000 characters" in answer.text and len(answer.text) < 500
    assert not store.events(item)


def test_hostile_forged_or_missing_csrf_token_is_refused(client: TestClient, store: ReviewStore) -> None:
    item, csrf = open_page(client)
    forged = {"X-CSRF-Token": "0" * 64}
    for headers in (forged, {}):
        answer = client.post(f"/items/{item}/actions", data={"kind": "accept", "rank": "1"}, headers=headers)
        assert answer.status_code == 403 and "CSRF" in answer.text
    other = TestClient(client.app)  # another reviewer's cookie with ann's token
    sign_in(other, "bob")
    assert other.post(f"/items/{item}/submit", data={"seconds": "1"}, headers=csrf).status_code == 403
    assert not store.events(item)


def test_hostile_item_of_another_queue_is_not_found(client: TestClient, store: ReviewStore) -> None:
    _, csrf = open_page(client)
    foreign = store.items("elsewhere")[0].id
    for answer in (
        client.get(f"/items/{foreign}/video"),
        client.post(f"/items/{foreign}/actions", data={"kind": "accept", "rank": "1"}, headers=csrf),
        client.post(f"/items/{foreign}/submit", data={"seconds": "1"}, headers=csrf),
    ):
        assert answer.status_code == 404 and "not in queue" in answer.text
    assert not store.events(foreign)


@pytest.mark.parametrize(
    "url",
    [
        "/items/../../etc/passwd/video",
        "/items/%2Fetc%2Fpasswd/video",
        "/items/1%2F..%2F..%2Fx/video",
        "/items/..%2F..%2Fetc%2Fpasswd",
        "/static/..%2F..%2Fstore.py",
        "/items/-1/video",
    ],
)
def test_hostile_path_in_the_video_url_is_refused(client: TestClient, url: str) -> None:
    answer = client.get(url)
    assert 400 <= answer.status_code < 500 and b"root:" not in answer.content and b"import" not in answer.content


def test_hostile_invalid_fields_are_not_echoed(client: TestClient) -> None:
    item, csrf = open_page(client)
    evil = "<img src=x onerror=alert(1)>"
    for answer in (
        client.post(f"/items/{item}/actions", data={"kind": "accept", "rank": evil}, headers=csrf),
        client.post(f"/items/{item}/actions", data={"kind": "add", "tag": evil * 2000}, headers=csrf),
        client.post(f"/items/{item}/submit", data={"seconds": evil}, headers=csrf),
    ):
        assert answer.status_code == 422 and "invalid request" in answer.text
        assert "<img" not in answer.text and "onerror" not in answer.text
        assert answer.headers["hx-retarget"] == "#error"


def test_stored_strings_are_escaped_in_the_page(store: ReviewStore) -> None:
    config = ReviewConfig(store=store, queue="elsewhere", reviewer="ann", lease_s=60.0, order="uncertain", rules=corpus_rules())
    client = TestClient(create_review_app(config))
    page = next_panel(client, sign_in(client, "ann"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page


def test_bad_reviewer_name_is_refused(client: TestClient) -> None:
    csrf = page_csrf(client)
    answer = client.post("/reviewer", data={"name": "<img src=x>"}, headers=csrf)
    assert answer.status_code == 400 and "<img" not in answer.text
