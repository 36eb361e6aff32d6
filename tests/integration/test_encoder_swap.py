"""The encoder as a registered champion: the API swaps encoder + catalogue matrix + reranker in one assignment, only
once the whole set fits the new encoder, and `promote encoder --version OLD` brings the old set back the same way."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from encoder_helpers import register_encoder, register_reranker

from reeltag.api.rerank_service import rerank
from reeltag.api.schemas import RerankRequest
from reeltag.api.service import Service
from reeltag.project import Project
from reeltag.registry.policy import promote_by_hand
from reeltag.registry.serving_set import promote_set, set_for
from reeltag.video.backfill import backfill_features

CLIP = {"weights": "registry", "threads": 1, "batch_size": 16}


def _request(demo: Path) -> RerankRequest:
    lines = [line.split() for line in (demo / "search" / "base.run").read_text().splitlines() if line.startswith("q01 ")]
    return RerankRequest(query="a red ball", candidates=[{"docid": p[2], "score": float(p[4])} for p in lines])


def _served(service: Service, req: RerankRequest) -> tuple[str, str]:
    answer = rerank(service, req)
    return answer.model.encoder, answer.model.version


@pytest.mark.slow
def test_encoder_set_swaps_at_once_and_rolls_back(demo_tiny: Path, tmp_path: Path) -> None:
    manifest = demo_tiny / "search" / "manifest.csv"
    project = Project.open(tmp_path, tracking={"trigger": "test"}, clip=CLIP, api={"catalogue": str(manifest)})
    old, old_id = register_encoder(project, tmp_path, seed=1)
    new, new_id = register_encoder(project, tmp_path, seed=2)
    r_old, r_new = register_reranker(project, old_id, 0.5), register_reranker(project, new_id, 0.7)
    assert project.tracker.version("reranker", r_new).tags["depends_on.encoder_version"] == new  # lineage by version
    assert set_for(project, new).reranker == r_new and set_for(project, old).reranker == r_old
    promote_set(project, old, reason="test: first set", by="test")
    for version in (old, new):  # the candidate's features next to the serving one's
        assert backfill_features(project, [manifest], version=version).videos > 0

    service = Service.start(project)
    req = _request(demo_tiny)
    assert _served(service, req) == (old_id, r_old) and service.held.version == old
    assert service.catalogue is not None and service.catalogue.matrix.documents > 0

    promote_by_hand(project, "reranker", project.tracker.version("reranker", r_new), "test: half-moved", "test")
    service.refresh()  # the reranker alias moved, the encoder not yet: the old set keeps serving, unmixed
    assert _served(service, req) == (old_id, r_old) and "reranker" in service.champions.failed

    seen: set[tuple[str, str]] = set()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            seen.add(_served(service, req))

    loop = threading.Thread(target=client)
    loop.start()
    try:
        promote_set(project, new, reason="test: upgrade", by="test")
        assert service.refresh() is True
        assert _served(service, req) == (new_id, r_new) and service.held.version == new
        assert not service.champions.failed and service.catalogue.matrix.documents > 0
        promote_set(project, old, reason="test: rollback", by="test")  # `reeltag promote encoder --version OLD`
        assert service.refresh() is True
    finally:
        stop.set()
        loop.join()
    assert _served(service, req) == (old_id, r_old) and service.champions.versions["encoder"] == old
    assert seen <= {(old_id, r_old), (new_id, r_new)}  # never a mix of encoder and reranker
    service.close()
