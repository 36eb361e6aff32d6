"""Issue 25, findings 3, 4, 6, 9, 11 and 15: HTTP hygiene of the servers reeltag starts (``reeltag api`` with the
review app at ``/review``, ``reeltag review``) and who a reviewer is.

3: media types from an allow-list (sniffed), nosniff and a CSP without framing; 4: no lease on GET, a reviewer
name claimed once by a POST and carried by a signed cookie; 6: silent connections time out and are capped;
9: a Host allow-list and JSON routes that need ``application/json``; 11: hostile ids, paths and tokens are 4xx;
15: a real ``api.token`` and ``api.catalogue`` under ``--root``."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL
from pydantic import ValidationError
from review_items import review_item
from review_session import item_id, next_panel, page_csrf, sign_in

from reeltag.config import ApiSection, CorpusSection
from reeltag.corpus.tags import TagRules
from reeltag.project import Project
from reeltag.review.app import ReviewConfig, create_review_app
from reeltag.review.store import ReviewStore

pytestmark = pytest.mark.robustness
RULES = TagRules(frozenset(CorpusSection().stop_tags), CorpusSection().min_tag_len, CorpusSection().max_tag_len)
# An ISO base media file (ftyp box) carrying a script in a 'free' box: a valid MP4 head, HTML further on.
MP4_WITH_SCRIPT = (
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x2bfree<script>alert(document.domain)</script>"
)


def fake_mp4(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(MP4_WITH_SCRIPT)
    return path


def review_store(root: Path, names: tuple[str, ...] = ("a.mp4", "b.mp4", "c.mp4")) -> ReviewStore:
    store = ReviewStore(root / "data" / "review" / "review.db").create()
    items = [review_item(fake_mp4(root / "videos" / name), f"{i:064x}") for i, name in enumerate(names)]
    store.add_items("default", items)
    return store


def review_client(store: ReviewStore, secret: bytes = b"k" * 32) -> TestClient:
    config = ReviewConfig(
        store=store, queue="default", reviewer="staff", lease_s=600.0, order="uncertain", rules=RULES, secret=secret
    )
    return TestClient(create_review_app(config), raise_server_exceptions=False)


def next_item(client: TestClient, csrf: dict[str, str]) -> int:
    found = item_id(next_panel(client, csrf))
    assert found is not None
    return found


# --- 3: media types, nosniff, CSP -----------------------------------------------------------------------------


def test_a_video_named_html_is_not_served_as_html(tmp_path: Path, tried) -> None:
    tried.bad_input("review", "an MP4 with a script in a free box, named x.html")
    client = review_client(review_store(tmp_path, ("x.html",)))
    csrf = sign_in(client, "ann")
    item = next_item(client, csrf)
    served = client.get(f"/items/{item}/video")
    assert served.status_code == 415 and b"alert(document.domain)" not in served.content  # the error box, not the file
    assert ".html" in served.text and "<script>" not in served.text


def test_review_add_refuses_a_video_outside_the_suffix_allow_list(tmp_path: Path, tried) -> None:
    tried.bad_input("review add", "a video whose name or bytes are not an allowed container")
    from reeltag.errors import BadInput
    from reeltag.review.media import video_media_type

    assert video_media_type(fake_mp4(tmp_path / "ok.mp4")) == "video/mp4"
    for name, data in (("x.html", MP4_WITH_SCRIPT), ("x.svg", MP4_WITH_SCRIPT), ("fake.mp4", b"<html><script>1</script>")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(BadInput, match="allowed|container"):
            video_media_type(tmp_path / name)


def test_pages_and_media_carry_nosniff_and_a_csp_without_framing(tmp_path: Path) -> None:
    client = review_client(review_store(tmp_path))
    csrf = sign_in(client, "ann")
    item = next_item(client, csrf)
    for answer in (client.get("/"), client.get(f"/items/{item}/video"), client.get("/static/review.js"), client.get("/nope")):
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.request.url
        assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), answer.request.url
    assert client.get(f"/items/{item}/video").headers["content-type"] == "video/mp4"


# --- 4: no lease on GET; a name claimed once, carried by a signed cookie ---------------------------------------


def test_gets_lease_nothing(tmp_path: Path, tried) -> None:
    tried.bad_input("review", "GET /?reviewer=X from an <img> tag on another page")
    store = review_store(tmp_path)
    client = review_client(store)
    for i in range(6):
        assert client.get("/", params={"reviewer": f"ghost{i}"}).status_code == 200
    assert all(item.leased_by is None for item in store.items())
    human = review_client(store)
    assert next_item(human, sign_in(human, "ann")) in {i.id for i in store.items()}


def test_a_claimed_name_cannot_be_taken_by_another_browser(tmp_path: Path, tried) -> None:
    tried.bad_input("review", "another browser claiming a reviewer's name to undo their decision")
    store = review_store(tmp_path)
    ghost = review_client(store)
    csrf = sign_in(ghost, "ghost2")
    decided = next_item(ghost, csrf)
    assert ghost.post(f"/items/{decided}/submit", data={"seconds": "1"}, headers=csrf).status_code == 200
    intruder = review_client(store)
    intruder.get("/", params={"reviewer": "ghost2"})
    theirs = page_csrf(intruder)
    assert intruder.post("/undo", headers=theirs).status_code == 403  # no name yet: nothing to act as
    taken = intruder.post("/reviewer", data={"name": "ghost2"}, headers=theirs)
    assert taken.status_code == 409 and "already" in taken.text
    forged = review_client(store, secret=b"z" * 32)  # a cookie signed with another key is no identity here
    sign_in(forged, "ghost9")
    intruder.cookies.update(forged.cookies)
    assert intruder.post("/undo", headers=theirs).status_code == 403
    assert store.item(decided).status == "decided" and [e.kind for e in store.events(decided)] == ["submit"]


def test_a_released_name_leaves_its_old_cookie_and_can_be_chosen_again(tmp_path: Path) -> None:
    from robust_helpers import invoke_cli

    store = review_store(tmp_path)
    old = review_client(store)
    csrf = sign_in(old, "ann")
    next_item(old, csrf)
    assert invoke_cli("review", "release", "ann", "--root", str(tmp_path)).exit_code == 0
    assert old.post("/next", headers=csrf).status_code == 403
    sign_in(review_client(store), "ann")
    missing = invoke_cli("review", "release", "nobody", "--root", str(tmp_path))
    assert missing.exit_code == 2 and "nobody" in missing.output


def test_a_name_is_set_once_per_browser(tmp_path: Path) -> None:
    client = review_client(review_store(tmp_path))
    csrf = sign_in(client, "ann")
    again = client.post("/reviewer", data={"name": "bob"}, headers=csrf)
    assert again.status_code == 409 and "ann" in again.text


@pytest.mark.parametrize("name", ["ghost3\n", "ghost3\r\n", " ghost3", "<img src=x>", "", "a" * 65])
def test_a_bad_reviewer_name_is_refused(tmp_path: Path, name: str, tried) -> None:
    tried.bad_input("review", "reviewer name with a trailing newline or markup")
    client = review_client(review_store(tmp_path))
    csrf = page_csrf(client)
    answer = client.post("/reviewer", data={"name": name}, headers=csrf)
    assert answer.status_code in (400, 422) and "<img" not in answer.text
    assert client.post("/next", headers=csrf).status_code == 403


def test_a_reviewer_post_without_the_pages_csrf_token_is_refused(tmp_path: Path) -> None:
    client = review_client(review_store(tmp_path))
    client.get("/")
    assert client.post("/reviewer", data={"name": "ann"}).status_code == 403
    assert client.post("/reviewer", data={"name": "ann"}, headers={"X-CSRF-Token": "0" * 64}).status_code == 403


def test_the_cookie_key_is_generated_once_and_private(tmp_path: Path) -> None:
    from reeltag.review.server import review_app_for

    project = Project.open(tmp_path)
    first = TestClient(review_app_for(project))
    csrf = sign_in(first, "ann")
    key = project.paths.review_db.parent / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) >= 32
    again = TestClient(review_app_for(project))  # a restarted server knows the cookie it issued
    again.cookies.update(first.cookies)
    assert again.post("/next", headers=csrf).status_code == 200


# --- 6: idle connections -----------------------------------------------------------------------------------------


@pytest.fixture
def tiny_server(tmp_path: Path) -> Iterator[tuple[int, Project]]:
    """``reeltag``'s uvicorn server for a trivial app, header timeout 1 s, at most 8 connections, heads of 2 KiB."""
    from reeltag.api.server import uvicorn_server
    from reeltag.demo.api_child import free_port

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    project = Project.open(
        tmp_path,
        api={"header_timeout_s": 1.0, "body_timeout_s": 1.0, "keep_alive_s": 1.0, "max_connections": 8, "max_header_kb": 2},
    )
    port = free_port()
    server = uvicorn_server(app, project, host="127.0.0.1", port=port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield port, project
    server.should_exit = True
    thread.join(timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def test_silent_and_slow_connections_are_closed_and_capped(tiny_server, tried) -> None:
    tried.fault("silent sockets holding the server's file descriptors")
    port, _ = tiny_server
    silent = socket.create_connection(("127.0.0.1", port))
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc")
    assert _closed_within(silent, 4.0) and _closed_within(slow, 4.0)
    silent.close()
    slow.close()
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(12)]
    try:
        assert sum(_closed_within(s, 0.5) for s in held[8:]) == 4  # over api.max_connections: closed at once
    finally:
        for s in held:
            s.close()
    time.sleep(0.5)  # the server sees the closes
    ok = socket.create_connection(("127.0.0.1", port))
    ok.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert ok.recv(100).startswith(b"HTTP/1.1 200")
    ok.close()


def _answer(sock: socket.socket) -> bytes:
    """What the server sent before it closed ``sock`` (or 2 s passed)."""
    sock.settimeout(2.0)
    chunks = []
    try:
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    except (TimeoutError, ConnectionError):
        pass
    return b"".join(chunks)


def test_request_heads_over_the_cap_are_431_however_they_arrive(tiny_server, tried) -> None:
    tried.bad_input("api", "request head over api.max_header_kb, whole or as a header that never ends")
    port, _ = tiny_server
    big = socket.create_connection(("127.0.0.1", port))
    big.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n")
    assert _answer(big).startswith(b"HTTP/1.1 431")
    endless = socket.create_connection(("127.0.0.1", port))
    endless.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
    for _ in range(6):  # one field of 3 KiB that never ends, in reads of 512 bytes
        time.sleep(0.05)
        with contextlib.suppress(OSError):
            endless.sendall(b"a" * 512)
    assert _answer(endless).startswith(b"HTTP/1.1 431")
    trickled = socket.create_connection(("127.0.0.1", port))
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fits: " + b"a" * 1500 + b"\r\n\r\n"  # under 2 KiB, in 100-byte reads
    for start in range(0, len(head), 100):
        trickled.sendall(head[start : start + 100])
        time.sleep(0.01)
    assert _answer(trickled).startswith(b"HTTP/1.1 200")
    for sock in (big, endless, trickled):
        sock.close()


def test_the_limits_are_settings_with_ranges() -> None:
    for field in ("max_connections", "limit_concurrency", "keep_alive_s", "header_timeout_s", "body_timeout_s"):
        description = ApiSection.model_fields[field].description or ""
        assert re.search(r"\bs\b|connections|requests", description), field
    with pytest.raises(ValidationError):
        ApiSection(header_timeout_s=0)


# --- 9: Host allow-list; JSON routes need application/json -----------------------------------------------------


def api_client(project: Project) -> TestClient:
    from reeltag.api.app import create_app
    from reeltag.api.service import Service

    service = Service(project, SimpleNamespace(model_id="test", embed_dim=4), None)
    return TestClient(create_app(service, watch=False), base_url=LOCAL, raise_server_exceptions=False)


def test_a_foreign_host_is_refused(tmp_path: Path, tried) -> None:
    tried.bad_input("api", "DNS rebinding: a Host header naming another site")
    client = api_client(Project.open(tmp_path))
    assert client.get("/healthz").status_code == 200
    for host in ("evil.example", "evil.example:8008", "127.0.0.1.evil.example"):
        answer = client.get("/v1/models", headers={"Host": host})
        assert answer.status_code == 400 and "api.allowed_hosts" in answer.json()["detail"]
    assert client.get("/healthz", headers={"Host": "localhost:8008"}).status_code == 200
    named = api_client(Project.open(tmp_path, api={"allowed_hosts": ["reeltag.internal"]}))
    assert named.get("/healthz", headers={"Host": "reeltag.internal:8008"}).status_code == 200
    assert named.get("/healthz", headers={"Host": "localhost"}).status_code == 400


def test_the_standalone_review_server_refuses_a_foreign_host(tmp_path: Path) -> None:
    from reeltag.api.server import review_server_app

    review_store(tmp_path)
    client = TestClient(review_server_app(Project.open(tmp_path)), base_url=LOCAL)
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_json_routes_need_application_json(tmp_path: Path, tried) -> None:
    tried.bad_input("api", "a JSON body sent as text/plain (no CORS preflight)")
    client = api_client(Project.open(tmp_path))
    body = b'{"query": "x", "candidates": ["a"]}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = client.post("/v1/rerank", content=body, headers=headers)
        assert answer.status_code == 415 and "application/json" in answer.json()["detail"]
    assert client.post("/v1/rerank", content=body, headers={"Content-Type": "application/json; charset=utf-8"}).status_code != 415


# --- 11: 4xx, never 500 ------------------------------------------------------------------------------------------


def test_hostile_video_paths_are_4xx(tmp_path: Path, tried) -> None:
    tried.bad_input("api", "NUL byte or a 300-byte component in a video path")
    (tmp_path / "videos").mkdir()
    client = api_client(Project.open(tmp_path, api={"video_root": str(tmp_path / "videos")}))
    for name in ("a\x00b.mp4", "x" * 300 + ".mp4", "sub/" + "y" * 256):
        answer = client.post("/v1/suggest", json={"video": name})
        assert 400 <= answer.status_code < 500, (name[:20], answer.status_code, answer.text[:200])


def test_huge_ids_and_ranks_are_4xx(tmp_path: Path, tried) -> None:
    tried.bad_input("review", "item ids and ranks of 10**20")
    client = review_client(review_store(tmp_path))
    csrf = sign_in(client, "ann")
    item = next_item(client, csrf)
    huge = str(10**20)
    for answer in (
        client.get(f"/items/{huge}/video"),
        client.get(f"/items/{huge}/strip"),
        client.post(f"/items/{huge}/actions", data={"kind": "accept", "rank": "1"}, headers=csrf),
        client.post(f"/items/{item}/actions", data={"kind": "accept", "rank": huge}, headers=csrf),
        client.post(f"/items/{huge}/submit", data={"seconds": "1"}, headers=csrf),
        client.post("/undo", data={"item_id": huge}, headers=csrf),
    ):
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.status_code)


def test_a_non_ascii_csrf_token_is_403(tmp_path: Path, tried) -> None:
    tried.bad_input("review", "a non-ASCII X-CSRF-Token")
    client = review_client(review_store(tmp_path))
    sign_in(client, "ann")
    answer = client.post("/next", headers={"X-CSRF-Token": "é".encode() * 32})
    assert answer.status_code == 403


# --- 15: api.token and api.catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["x", " ", "  padded-but-short ", "\t" * 40])
def test_a_weak_or_blank_token_is_refused(token: str, tried) -> None:
    tried.bad_input("settings", "a one-character or whitespace api.token")
    with pytest.raises(ValidationError, match="api.token|token"):
        ApiSection(token=token)
    assert ApiSection(token="s3cret-" + "x" * 16).token is not None


def test_a_relative_catalogue_is_under_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reeltag.api.service import Service

    root = tmp_path / "project"
    fake_mp4(root / "videos" / "a.mp4")
    (root / "cat.csv").write_text("docid,path\nd1,videos/a.mp4\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    project = Project.open(root, api={"catalogue": "cat.csv", "video_root": "videos"}, tracking={"enabled": False})
    service = Service.start(project, encoder=SimpleNamespace(model_id="test", embed_dim=4))
    assert service.catalogue is not None and service.catalogue.manifest == root / "cat.csv"
    from reeltag.api.suggest_service import resolve_video

    assert resolve_video(service, "a.mp4") == (root / "videos" / "a.mp4").resolve()
