"""``/v1/suggest`` without HTTP: a catalogue docid, a path under ``api.video_root`` or an uploaded file →
``reeltag.suggest.steps.suggest_tags`` with the champions the API serves (the same code as ``reeltag suggest``:
the held champion fusion with the request's ``text`` when it matches them, else the mapper alone, said in
``ranking``)."""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Any

from reeltag import quarantine
from reeltag.api.champions import Champions
from reeltag.api.schemas import SuggestedTag, SuggestRequest, SuggestResponse
from reeltag.api.service import Refused, Service
from reeltag.security import resolve_path
from reeltag.suggest.fusion_model import NO_FUSION, NoFusion
from reeltag.video.executors import extract_locally
from reeltag.video.inputs import sniff_container

SOURCE = "api upload"


def resolve_video(service: Service, name: str) -> Path:
    """A catalogue docid's video, or a file under ``api.video_root`` (a path leaving it is refused)."""
    paths = service.catalogue.paths if service.catalogue else {}
    if name in paths:
        return paths[name]
    root = service.project.settings.api.video_root
    if root is None:
        raise Refused(404, "video", f"{name[:200]!r} is not a catalogue docid, and api.video_root is not set (no paths)")
    try:
        base = resolve_path(root)
        target = resolve_path(Path(name) if Path(name).is_absolute() else base / name)
        inside = target.is_relative_to(base)
        found = inside and target.is_file()
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system
        raise Refused(422, "video", f"{name[:200]!r} is not a usable path: {exc}") from None
    if not inside:
        raise Refused(403, "video", f"path {name[:200]!r} leaves api.video_root; only files under it are read")
    if not found:
        raise Refused(404, "video", f"no video {name[:200]!r} under api.video_root")
    return target


def suggest(service: Service, video: Path, shown: str, req: SuggestRequest) -> SuggestResponse:
    """Ranked tags for one video with the champions serving when the request started."""
    from reeltag.suggest.steps import suggest_tags

    cfg, champs = service.project.settings, service.champions
    if req.k is not None and req.k > cfg.api.max_k:
        raise Refused(422, "k", f"k={req.k}; at most api.max_k={cfg.api.max_k}")
    if champs.suggester is None:
        raise Refused(503, "mapper", champs.errors.get("mapper", "no champion Tag2Vec and mapper loaded"))
    s = champs.suggester
    with service.encoder_lock:
        result = suggest_tags(
            service.project,
            [video],
            k=req.k,
            exclude=req.exclude,
            allow=req.allow,
            min_score=req.min_score,
            space=s.space,
            encoder=service.encoder,
            champion=s.mapper,
            text=req.text,
            fusion=_fusion(champs),
            executor=partial(extract_locally, encoder=service.encoder),
        )
    if result.quarantined or not result.videos:
        reason = result.quarantine[0].reason if result.quarantine else "no frames"
        raise Refused(422, "video", f"{shown}: unreadable video ({reason}); quarantined")
    found = result.videos[0]
    tags = [SuggestedTag(tag=t.tag, score=t.score, branch=t.branch) for t in found.tags]
    return SuggestResponse(
        request_id=uuid.uuid4().hex,
        video=shown,
        tags=tags,
        k=result.k,
        mapper_version=result.mapper_version,
        tag2vec_version=result.tag2vec_version,
        encoder=result.encoder_id,
        weights_kind=result.encoder_weights,
        ranking=result.ranking,
        note=found.note,
    )


def _fusion(champs: Champions) -> Any:
    """The fusion the request ranks with: the held champion, else why there is none (the mapper then ranks alone)."""
    held = champs.fusion
    return held.fusion if held is not None else NoFusion(champs.errors.get("fusion", NO_FUSION))


def suggest_upload(service: Service, data: bytes, filename: str, req: SuggestRequest) -> SuggestResponse:
    """An uploaded file: size cap, content sniffed, written to a temp file under ``data/api/uploads``."""
    cap = service.project.settings.api.max_upload_mb
    shown = f"upload:{Path(filename or 'video').name[:200]}"
    if len(data) > cap * 2**20:
        raise Refused(413, "video", f"upload of {len(data) / 2**20:.1f} MiB; at most api.max_upload_mb={cap:g}")
    suffix = sniff_container(data[:512])
    if suffix is None:
        reason = "not a video: its first bytes match no known container (mp4/mov, mkv/webm, avi, flv, mpeg, ts)"
        quarantine.record(
            service.project.paths.quarantine,
            [quarantine.QuarantineRecord(kind="videos", item=shown, reason=reason, source=SOURCE)],
        )
        raise Refused(415, "video", f"{shown}: {reason}; quarantined")
    folder = service.project.paths.api / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    try:
        path.write_bytes(data)
        return suggest(service, path, shown, req)
    finally:
        path.unlink(missing_ok=True)
