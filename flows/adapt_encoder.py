"""adapt-encoder: contrastive adaptation of the CLIP encoder on (video segment, text) pairs → a local checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task

from flows._cache import ContentInputs, cached_result, videos_named_by, weights_digest
from flows._common import project_for
from reeltag.config import ClipSection, TrackingSection, VideoSection
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.security import resolve_path
from reeltag.video.adapt_encoder import AdaptResult
from reeltag.video.adapt_encoder import adapt_encoder as adapt_step


def base_weights(inputs: dict[str, Any]) -> str:
    """Derived input: the weights adaptation starts from (``from_``, else clip.weights), by content when a file."""
    project = inputs["project"]
    return weights_digest(project, inputs["from_"] or project.settings.clip.weights)


ADAPT_CACHE = ContentInputs(
    paths=("pairs",), outputs=("out",), derived={"videos": videos_named_by("pairs"), "base": base_weights}
)


@task(name="adapt-encoder", cache_policy=ADAPT_CACHE)
def adapt_task(project: Project, pairs: str, from_: str | None, out: str | None) -> AdaptResult:
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
    pairs = str(resolve_path(root) / pairs)  # relative to the project root (an absolute one stays as it is)
    served = {"pairs": pairs, "out": out}
    project = project_for(root, paths=served, weights={"from_": from_}, clip=clip, video=video, tracking=tracking)
    args = {"project": project, "pairs": pairs, "from_": from_, "out": out}
    return adapt_task.with_options(refresh_cache=stale_output(args))(project=project, pairs=pairs, from_=from_, out=out)


def stale_output(args: dict[str, Any]) -> bool:
    """True when the checkpoint the cached result for these inputs names (``out``, or the default path it chose)
    is missing or holds other weights."""
    cached = cached_result(adapt_task, ADAPT_CACHE.key(adapt_task.name, args))
    if cached is None:
        return False
    checkpoint = Path(cached.checkpoint)
    return not checkpoint.is_file() or cached.model_id.rsplit("@", 1)[-1] != sha256_file(checkpoint)[:16]
