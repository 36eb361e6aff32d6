"""Issue 25, findings 1, 10 and 12: the search path never waits behind an upload.

Video work (decode, image encode) runs in its own bounded lane and holds nothing ``/v1/rerank`` needs; a full lane
is a 503 with Retry-After; a decode budget refuses what is too big to decode (413 with the setting); ``allow`` is
capped; uploads are streamed to a temp file (never held whole in memory), removed on every exit path and left
over ones removed at start, and leave no feature-cache entry; a path under ``api.video_root`` is read as a video,
never as a manifest. No test here is a timing: a held upload is held on an event, and the rerank must answer before
it is released (the isolation figures are bench P9's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL
from robust_helpers import make_video  # noqa: I001 (tests/robustness helpers)
from serving_world import rerank_body, world_service

from reeltag.api.app import create_app
from reeltag.demo.api_child import free_port, stop_process
from reeltag.video.cache import FeatureCache

pytestmark = [pytest.mark.robustness, pytest.mark.integration]

WAIT_S = 120.0  # generous: a held upload is released only after the rerank answered (or this passed)
SMALL = ("-f", "lavfi", "-i", "testsrc=size=96x64:rate=10", "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p")
# the decode bomb at a test size: black frames, one keyframe, so a seek decodes every frame before it
BOMB = ("-f", "lavfi", "-i", "color=c=black:s=640x360:r=25:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "51")


def _upload(client: Any, path: Path, **data: str) -> Any:
    return client.post("/v1/suggest", files={"video": (path.name, path.read_bytes(), "video/mp4")}, data=data)


def _in_thread(call: Callable[[], Any], timeout_s: float = WAIT_S) -> Any:
    """``call()`` in another thread; its result, or None when it did not return within ``timeout_s``."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    try:
        return future.result(timeout=timeout_s)
    except TimeoutError:
        return None


class Hold:
    """Holds the video lane at one point (decode, or inside the image tower) until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.release.wait(WAIT_S)
            return original(*args, **kwargs)

        return held


def _hold(monkeypatch: pytest.MonkeyPatch, service: Any, where: str) -> Hold:
    from reeltag.video import frames

    hold = Hold()
    if where == "decode":
        monkeypatch.setattr(frames, "read_frames", hold.wrap(frames.read_frames))
    else:  # the image tower's forward pass, under whatever the encoder holds around it
        model = service.encoder.model
        monkeypatch.setattr(model, "encode_image", hold.wrap(model.encode_image), raising=False)
    return hold


@contextmanager
def _held_upload(client: Any, video: Path, hold: Hold) -> Iterator[dict[str, Any]]:
    """An upload running in another thread, held until the block ends; its answer under ``"answer"``."""
    got: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: got.update(answer=_upload(client, video)), daemon=True)
    thread.start()
    try:
        assert hold.entered.wait(WAIT_S), "the upload never reached the held step"
        yield got
    finally:
        hold.release.set()
        thread.join(WAIT_S)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return make_video(tmp_path / "clip.mp4", *SMALL)


@pytest.mark.parametrize("where", ["decode", "image encode"])
def test_a_rerank_with_a_new_query_answers_while_an_upload_is_held_in_video_work(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch, where: str, tried
) -> None:
    tried.fault(f"an upload held in {where} while a new query is reranked")
    service = world_service(tmp_path)
    hold = _hold(monkeypatch, service, where)
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client, _held_upload(client, video, hold) as upload:
        answer = _in_thread(lambda: client.post("/v1/rerank", json=rerank_body("a query never encoded before")))
        assert answer is not None, f"/v1/rerank waited behind an upload held in {where}"
        assert answer.status_code == 200, answer.text
    assert upload["answer"].status_code == 200, upload["answer"].text


def test_a_full_video_lane_answers_503_with_retry_after_and_search_goes_on(
    tmp_path: Path, video: Path, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    tried.fault("an upload while the video lane is full")
    service = world_service(tmp_path, video_workers=1, video_queue=0)
    hold = _hold(monkeypatch, service, "decode")
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client, _held_upload(client, video, hold) as first:
        for refused in (
            _in_thread(lambda: _upload(client, video)),
            _in_thread(lambda: client.post("/v1/suggest", json={"video": video.name})),
        ):
            assert refused is not None and refused.status_code == 503, refused and refused.text
            assert int(refused.headers["retry-after"]) >= 1 and "api.video_queue" in refused.json()["detail"]
        assert client.post("/v1/rerank", json=rerank_body("another new query")).status_code == 200
    assert first["answer"].status_code == 200, first["answer"].text
    assert not list((service.project.paths.api / "uploads").glob("*")), "an upload file was left behind"


BUDGETS = {  # what is exceeded → ([api] setting at a test size, the word the reason names)
    "pixels": ({"max_pixels_per_video": 640 * 360 * 50}, "api.max_pixels_per_video"),
    "frames": ({"max_frames_per_video": 50}, "api.max_frames_per_video"),
    "duration": ({"max_video_s": 2.0}, "api.max_video_s"),
    "wall time": ({"max_decode_s": 0.001}, "api.max_decode_s"),
}


@pytest.mark.parametrize("kind", list(BUDGETS))
def test_a_decode_bomb_over_the_budget_is_refused_with_the_reason(tmp_path: Path, kind: str, tried) -> None:
    tried.bad_input("api", f"decode bomb over the {kind} budget")
    setting, word = BUDGETS[kind]
    service = world_service(tmp_path, **setting)
    bomb = make_video(tmp_path / "bomb.mp4", *BOMB, "-g", "100000")
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        for answer in (_upload(client, bomb), client.post("/v1/suggest", json={"video": bomb.name})):
            assert answer.status_code == 413, answer.text
            assert word in answer.json()["detail"], answer.text
        assert client.post("/v1/rerank", json=rerank_body("after the bomb")).status_code == 200
    assert not list((service.project.paths.api / "uploads").glob("*"))


def test_an_allow_list_over_the_cap_is_refused(tmp_path: Path, video: Path, tried) -> None:
    tried.bad_input("api", "a 60,000-tag allow list")
    with TestClient(create_app(world_service(tmp_path), watch=False), base_url=LOCAL) as client:
        answer = client.post("/v1/suggest", json={"video": video.name, "allow": [f"t{i}" for i in range(60_000)]})
    assert answer.status_code == 422 and "api.max_allow_tags" in answer.json()["detail"], answer.text


def test_uploads_leave_no_feature_cache_entry_and_no_file(tmp_path: Path, video: Path, tried) -> None:
    tried.bad_input("api", "a stream of unique uploads (cache growth)")
    service = world_service(tmp_path)
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        for i in range(3):
            unique = tmp_path / f"unique{i}.mp4"
            unique.write_bytes(video.read_bytes() + f"unique {i}".encode())
            assert _upload(client, unique).status_code == 200
    assert len(FeatureCache(service.project.paths.features)) == 0
    assert not list((service.project.paths.api / "uploads").glob("*"))


def test_upload_files_left_by_a_killed_server_are_removed_at_start(tmp_path: Path, tried) -> None:
    tried.fault("upload files left by a server killed mid-upload")
    service = world_service(tmp_path)
    folder = service.project.paths.api / "uploads"
    folder.mkdir(parents=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = [folder / f"{gone.stdout.strip()}-0123abcd.mp4", folder / "4f1c0ffee.mp4"]  # a dead pid's, an old-style name
    for path in dead:
        path.write_bytes(b"\0\0\0\x18ftypmp42")
    with TestClient(create_app(service, watch=False), base_url=LOCAL):
        assert not any(p.exists() for p in dead)


@pytest.mark.parametrize("name", ["m.csv", "m.jsonl", "link.mp4"])
def test_a_manifest_under_the_video_root_is_not_read_as_one(tmp_path: Path, video: Path, name: str, tried) -> None:
    tried.bad_input("api", f"a manifest named as the video ({name})")
    (tmp_path / "m.csv").write_text(f"path\n{video.name}\n", encoding="utf-8")
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": video.name}) + "\n", encoding="utf-8")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "m.csv")
    with TestClient(create_app(world_service(tmp_path), watch=False), base_url=LOCAL) as client:
        answer = client.post("/v1/suggest", json={"video": name})
    assert answer.status_code == 415 and "not a video file" in answer.json()["detail"], answer.text


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_concurrent_big_uploads_are_streamed_and_rss_returns_to_its_level(tmp_path: Path, video: Path, tried) -> None:
    """The smaller version of bench P9's memory row: 4 concurrent 24 MiB uploads to a server process."""
    tried.bad_input("api", "4 concurrent 24 MiB uploads (memory)")
    padded = [tmp_path / f"padded{i}.mp4" for i in range(4)]
    for i, path in enumerate(padded):
        path.write_bytes(video.read_bytes() + b"\0" * (24 * 2**20) + f"{i}".encode())
    port, here = free_port(), Path(__file__).parent
    cmd = [sys.executable, str(here / "serving_world.py"), "--serve", str(port), "--root", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")])}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([*cmd, "--api", json.dumps({"max_upload_mb": 32})], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "server.log")
        assert httpx.post(f"{url}/v1/suggest", files={"video": video.open("rb")}, timeout=WAIT_S).status_code == 200
        before, peak = _rss_mib(proc.pid), _PeakRss(proc.pid)
        with ThreadPoolExecutor(max_workers=len(padded)) as pool, peak:
            answers = list(
                pool.map(lambda p: httpx.post(f"{url}/v1/suggest", files={"video": p.open("rb")}, timeout=WAIT_S), padded)
            )
        assert [a.status_code for a in answers] == [200] * len(padded), [a.text[:200] for a in answers]
        time.sleep(1.0)
        after = _rss_mib(proc.pid)
    finally:
        stop_process(proc)
    assert peak.mib - before < 64, f"RSS rose {peak.mib - before:.0f} MiB for {len(padded)} × 24 MiB uploads (buffered?)"
    assert after <= before * 1.10, f"RSS {before:.0f} MiB before, {after:.0f} MiB after"


class _PeakRss:
    """The highest RSS of ``pid`` seen while the block runs (sampled every 10 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.mib, self._done = pid, 0.0, threading.Event()

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.mib = max(self.mib, _rss_mib(self.pid))

    def __enter__(self) -> _PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, startup_s: float = 180.0) -> str:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return url
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"the test server did not start: {log.read_text()[-2000:]}")
