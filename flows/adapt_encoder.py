"""adapt-encoder: contrastive adaptation of the CLIP encoder on (video segment, text) pairs → a local checkpoint."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task

from flows._common import cached_result, check_served_paths, content_key_except, output_key, project_for
from reeltag.config import ClipSection, TrackingSection, VideoSection
from reeltag.io import sha256_file
from reeltag.pipelines.encoder import AdaptResult
from reeltag.pipelines.encoder import adapt_encoder as adapt_step
from reeltag.pipelines.report_evidence import labelled_videos
from reeltag.project import Project


@task(name="adapt-encoder", cache_key_fn=content_key_except("out"))
def adapt_task(project: Project, pairs: str, videos: list[str], from_: str | None, out: str | None) -> AdaptResult:
    """Cached on the pairs file, the videos it names, the base weights, the settings and the output path."""
    return adapt_step(project, pairs, from_=from_, out=out)


@flow(name="adapt-encoder", validate_parameters=True)
def adapt_encoder(
    root: str = ".",
    pairs: str = "data/inbox/pairs.jsonl",
    from_: str | None = None,
    out: str | None = None,
    clip: ClipSection | None = None,
    video: VideoSection | None = None,
    tracking: TrackingSection | None = None,
) -> AdaptResult:
    """A missing output checkpoint, or one that is not the checkpoint the cached result describes (another
    run wrote there since), refreshes the cache: the step must write it again."""
    project = project_for(root, clip=clip, video=video, tracking=tracking)
    pairs = str(Path(pairs) if Path(pairs).is_absolute() else project.paths.root / pairs)
    check_served_paths(root, pairs=pairs, out=out)
    args = {
        "project": project,
        "pairs": pairs,
        "videos": labelled_videos(pairs, project.settings.paths.allow_absolute_manifest_paths),
        "from_": from_,
        "out": out,
    }
    return adapt_task.with_options(refresh_cache=stale_output(args))(**args)


def stale_output(args: dict) -> bool:
    """True when the checkpoint the cached result for these inputs names (``out``, or the default path it chose)
    is missing or holds other weights."""
    cached = cached_result(adapt_task, output_key(adapt_task.name, args, ("out",)))
    if cached is None:
        return False
    checkpoint = Path(cached.checkpoint)
    return not checkpoint.is_file() or cached.model_id.rsplit("@", 1)[-1] != sha256_file(checkpoint)[:16]
