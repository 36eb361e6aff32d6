"""``/v1/suggest`` without HTTP: a catalogue docid, a video file under ``api.video_root`` or an uploaded file →
``reeltag.suggest.steps.suggest_tags`` with the champions the API serves (the same code as ``reeltag suggest``:
the held champion fusion with the request's ``text`` when it matches them, else the mapper alone, said in
``ranking``). Runs on the service's video lane, within its decode budget (413 over it); an upload's features are
not kept in the feature cache (one-off files would each leave an entry)."""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from reeltag import quarantine
from reeltag.api.champions import Champions
from reeltag.api.schemas import SuggestedTag, SuggestRequest, SuggestResponse
from reeltag.api.service import Refused, Service
from reeltag.api.uploads import stored_upload, upload_folder
from reeltag.config import ApiSection
from reeltag.errors import OverBudget
from reeltag.security import resolve_path
from reeltag.suggest.fusion_model import NO_FUSION, NoFusion
from reeltag.video.executors import extract_locally
from reeltag.video.inputs import VIDEO_SUFFIXES, sniff_container

SOURCE = "api upload"
NAME_MAX = 255  # bytes in one path component (most file systems)
SNIFF_BYTES = 512


def resolve_video(service: Service, name: str) -> Path:
    """A catalogue docid's video, or a video file under ``api.video_root`` (a path leaving it is refused, and so
    is a file without a video suffix: a manifest named here is never read as one)."""
    paths = service.catalogue.paths if service.catalogue else {}
    if name in paths:
        return paths[name]
    root = service.project.settings.api.video_root
    if root is None:
        raise Refused(404, "video", f"{name[:200]!r} is not a catalogue docid, and api.video_root is not set (no paths)")
    if "\x00" in name or any(len(part.encode()) > NAME_MAX for part in Path(name).parts):
        raise Refused(422, "video", f"path {name[:200]!r}: a NUL byte or a component over {NAME_MAX} bytes")
    base = resolve_path(service.project.paths.under_root(root))
    target = resolve_path(Path(name) if Path(name).is_absolute() else base / name)
    if not target.is_relative_to(base):
        raise Refused(403, "video", f"path {name[:200]!r} leaves api.video_root; only files under it are read")
    try:
        found = target.is_file()
    except OSError as exc:  # e.g. a path longer than the system allows
        raise Refused(422, "video", f"path {name[:200]!r} cannot be read ({exc.strerror})") from None
    if not found:
        raise Refused(404, "video", f"no video {name[:200]!r} under api.video_root")
    if target.suffix.lower() not in VIDEO_SUFFIXES:
        known = " ".join(sorted(VIDEO_SUFFIXES))
        raise Refused(415, "video", f"{name[:200]!r} is not a video file ({known}); manifests and other files are not read")
    return target


def check_request(api: ApiSection, req: SuggestRequest) -> None:
    """Bounds from ``[api]``: k and the ``allow`` list."""
    if req.k is not None and req.k > api.max_k:
        raise Refused(422, "k", f"k={req.k}; at most api.max_k={api.max_k}")
    if req.allow is not None and len(req.allow) > api.max_allow_tags:
        raise Refused(422, "allow", f"{len(req.allow)} tags in allow; at most api.max_allow_tags={api.max_allow_tags}")


def suggest(service: Service, video: Path, shown: str, req: SuggestRequest, upload: bool = False) -> SuggestResponse:
    """Ranked tags for one video with the champions serving when the request started (run on the video lane:
    decode outside any lock, the image tower's lock only around its forward passes)."""
    from reeltag.suggest.steps import suggest_tags

    champs = service.champions  # one snapshot: encoder, mapper, Tag2Vec and fusion of the same serving set
    check_request(service.project.settings.api, req)
    if champs.suggester is None or champs.encoder is None:
        raise Refused(503, "mapper", champs.errors.get("mapper", "no champion Tag2Vec and mapper loaded"))
    s, encoder = champs.suggester, champs.encoder.encoder
    extract = partial(extract_locally, encoder=encoder, budget=service.budget, keep_features=not upload)
    try:
        result = suggest_tags(
            service.project,
            [video],
            k=req.k,
            exclude=req.exclude,
            allow=req.allow,
            min_score=req.min_score,
            space=s.space,
            encoder=encoder,
            champion=s.mapper,
            text=req.text,
            fusion=_fusion(champs),
            executor=extract,
        )
    except OverBudget as exc:
        raise Refused(413, "video", f"{shown}: over the decode budget: {exc}") from None
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


def suggest_upload(service: Service, source: BinaryIO, filename: str, req: SuggestRequest) -> SuggestResponse:
    """An uploaded file (``source``: the parsed body's temp file): content sniffed, copied in chunks to a file under
    ``data/api/uploads`` (413 over ``api.max_upload_mb``), removed when done."""
    shown = f"upload:{Path(filename or 'video').name[:200]}"
    suffix = sniff_container(source.read(SNIFF_BYTES))
    source.seek(0)
    if suffix is None:
        reason = "not a video: its first bytes match no known container (mp4/mov, mkv/webm, avi, flv, mpeg, ts)"
        quarantine.record(
            service.project.paths.quarantine,
            [quarantine.QuarantineRecord(kind="videos", item=shown, reason=reason, source=SOURCE)],
        )
        raise Refused(415, "video", f"{shown}: {reason}; quarantined")
    cap = int(service.project.settings.api.max_upload_mb * 2**20)
    with stored_upload(source, upload_folder(service.project), suffix, cap) as path:
        return suggest(service, path, shown, req, upload=True)
