"""Acceptance: a second (differently seeded) encoder goes backfill → set → swap while a client loop sends reranks and
suggests to a real ``reeltag api`` process; then `promote encoder --version OLD` rolls back the same way. Zero
non-2xx, every answer names its encoder, and the swap happens once each way."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from api_helpers import free_port, start_server, stop_server
from encoder_helpers import register_encoder, register_reranker
from mapper_helpers import register_tag2vec_champion
from test_api_server import _reeltag_command

from reeltag.mapper.steps import train_mapper
from reeltag.project import Project
from reeltag.registry.serving_set import promote_set
from reeltag.video.backfill import backfill_features
from reeltag.video.registered import encoder_choice

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOML = '[clip]\nweights = "registry"\nthreads = 1\nbatch_size = 16\n\n[tracking]\ntrigger = "test"\n\n[tag2vec]\nworkers = 1\n'


def _set_up(root: Path, demo: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """Tag2Vec champion; two encoders, each with its backfilled features, a mapper and a reranker; the first set served."""
    manifest, labels = demo / "search" / "manifest.csv", demo / "labels.csv"
    (root / "reeltag.toml").write_text(TOML + f'\n[api]\ncatalogue = "{manifest}"\nreload_s = 0.5\n', encoding="utf-8")
    project = Project.open(root)
    register_tag2vec_champion(project, demo / "corpus" / "posts.jsonl")
    encoders = []
    for seed in (1, 2):
        version, model_id = register_encoder(project, root, seed)
        backfill_features(project, [manifest, labels], version=version)
        made_with = Project.open(root, clip=encoder_choice(project, version).clip.model_dump())
        train_mapper(made_with, labels)
        register_reranker(project, model_id, 0.5 + 0.2 * (seed - 1))
        encoders.append((version, model_id))
    promote_set(project, encoders[0][0], reason="test: first set", by="test")
    return encoders[0], encoders[1]


def _loop(url: str, stop: threading.Event, seen: list[tuple[str, int, str, str]]) -> None:
    """Alternate reranks and suggests; record (route, status, encoder, model version) of each answer."""
    body = {"query": "a red circle", "candidates": [{"docid": f"s{i:04d}", "score": 1.0 - i / 30} for i in range(24)]}
    with httpx.Client(base_url=url, timeout=60.0) as client:
        while not stop.is_set():
            r = client.post("/v1/rerank", json=body)
            ok = r.status_code == 200
            seen.append(
                ("rerank", r.status_code, r.json()["model"]["encoder"] if ok else "", r.json()["model"]["version"] if ok else "")
            )
            s = client.post("/v1/suggest", json={"video": "s0003"})
            ok = s.status_code == 200
            seen.append(("suggest", s.status_code, s.json()["encoder"] if ok else "", s.json()["mapper_version"] if ok else ""))


def _wait_encoder(url: str, version: str, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/v1/models", timeout=10.0).json()["encoder"]["version"] == version:
            return
        time.sleep(0.1)
    raise AssertionError(f"encoder v{version} not served after {limit_s} s")


def _switches(encoders: list[str]) -> int:
    return sum(1 for a, b in zip(encoders, encoders[1:]) if a != b)


def test_encoder_upgrade_and_rollback_under_live_traffic(demo_tiny: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (old, old_id), (new, new_id) = _set_up(root, demo_tiny)
    project = Project.open(root)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(
        [*_reeltag_command(), "api", "--root", str(root), "--port", str(port)], f"{url}/readyz", tmp_path / "api.log", 300.0
    )
    seen: list[tuple[str, int, str, str]] = []
    stop = threading.Event()
    loop = threading.Thread(target=_loop, args=(url, stop, seen))
    try:
        loop.start()
        time.sleep(2.0)
        promote_set(project, new, reason="test: upgrade", by="test")
        _wait_encoder(url, new)
        time.sleep(2.0)
        promote_set(project, old, reason="test: rollback", by="test")  # what `reeltag promote encoder --version OLD` runs
        _wait_encoder(url, old)
        time.sleep(2.0)
    finally:
        stop.set()
        loop.join(timeout=120)
        code = stop_server(proc)
    log = (tmp_path / "api.log").read_text()[-3000:]
    assert len(seen) > 10 and all(200 <= status < 300 for _, status, _, _ in seen), (sorted({s for _, s, _, _ in seen}), log)
    assert {enc for _, _, enc, _ in seen} == {old_id, new_id}  # every answer names its encoder; both sets served
    reranks = [(enc, version) for route, _, enc, version in seen if route == "rerank"]
    assert len(set(reranks)) == 2  # one reranker per encoder: never the old encoder with the new reranker
    assert _switches([enc for _, _, enc, _ in seen]) == 2 and seen[0][2] == seen[-1][2] == old_id  # one swap each way
    assert code in (0, -2), log
