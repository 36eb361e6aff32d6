"""``reeltag clip adapt`` (contrastive encoder adaptation) and ``reeltag features extract`` (feature cache)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project, require_existing
from reeltag.console import emit, progress

clip_app = typer.Typer(help="CLIP encoder: adapt it to your videos (contrastive fine-tuning).", no_args_is_help=True)
features_app = typer.Typer(help="Frame features of videos (content-addressed cache under data/features).", no_args_is_help=True)

WeightsOpt = Annotated[
    str | None, typer.Option("--weights", help="'random', a local checkpoint file, or an open_clip pretrained tag.")
]


class SamplingChoice(str, Enum):
    uniform = "uniform"
    fps = "fps"
    scene = "scene"


ArchOpt = Annotated[str | None, typer.Option("--arch", help="open_clip architecture, e.g. reeltag-tiny or ViT-B-32.")]


@handles_errors
def adapt(
    pairs: Annotated[Path, typer.Option("--pairs", help="segments.jsonl, or CSV/JSONL of (video, text|caption|tags).")],
    from_: Annotated[
        str | None, typer.Option("--from", help="Start weights: CHECKPOINT file, 'random', or a pretrained tag.")
    ] = None,
    arch: ArchOpt = None,
    steps: Annotated[int | None, typer.Option("--steps", min=1, help="Optimiser steps (default clip.adapt_steps).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=2, help="Distinct texts per step.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Checkpoint file (default data/models/encoders/<arch>-<UTC>.pt).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fine-tune a CLIP encoder on (frame, text) pairs; save a checkpoint, log it and register reeltag.encoder."""
    from reeltag.video.adapt_encoder import adapt_encoder

    project = open_project(root, config, clip={"adapt_batch_size": batch_size})
    total = steps or project.settings.clip.adapt_steps
    with progress("adapting encoder", total, enabled=not as_json) as advance:
        result = adapt_encoder(project, pairs, from_=from_, arch=arch, steps=steps, out=out, on_progress=advance)
    emit(result, as_json, title=f"clip adapt ({result.weights_kind} weights)")


@handles_errors
def extract(
    inputs: Annotated[
        list[Path], typer.Argument(help="Video files, folders, or manifests (.csv/.tsv/.jsonl with a path column).")
    ],
    weights: WeightsOpt = None,
    arch: ArchOpt = None,
    frames: Annotated[int | None, typer.Option("--frames", min=1, help="Frames sampled per video.")] = None,
    sampling: Annotated[SamplingChoice | None, typer.Option("--sampling", help="Frame sampling strategy.")] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Encode sampled frames of every video (cached videos are not decoded again); bad videos are quarantined."""
    from reeltag.video.inputs import resolve_inputs
    from reeltag.video.steps import extract_features

    require_existing(inputs)
    project = open_project(
        root,
        config,
        clip={"weights": weights, "arch": arch},
        video={"frames_per_video": frames, "sampling": sampling.value if sampling else None},
    )
    total = len(resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths).videos)
    with progress("extracting features", total, enabled=not as_json) as advance:
        batch = extract_features(project, inputs, on_progress=advance)
    emit(batch.summary(), as_json, title=f"features extract ({batch.weights_kind} weights)")


def register(app: typer.Typer) -> None:
    clip_app.command("adapt")(adapt)
    features_app.command("extract")(extract)
    app.add_typer(clip_app, name="clip")
    app.add_typer(features_app, name="features")
