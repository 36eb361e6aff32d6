"""``reeltag info`` and ``reeltag demo-data``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

from reeltag import __version__
from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit
from reeltag.project import Project
from reeltag.video.weights import weights_kind

KEY_LIBRARIES = (
    "torch",
    "torchvision",
    "open_clip_torch",
    "gensim",
    "mlflow",
    "prefect",
    "great_expectations",
    "decord2",
    "decord",
    "scikit-learn",
    "imageio-ffmpeg",
    "numpy",
    "pandas",
    "pyarrow",
)


@dataclass(frozen=True, kw_only=True)
class Info:
    reeltag: str
    versions: dict[str, str | None]
    root: str
    stores: dict[str, str]
    tracking_uri: str
    clip_arch: str
    clip_weights: str
    clip_weights_kind: str


def _version_of(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect_info(project: Project) -> Info:
    paths, clip = project.paths, project.settings.clip
    stores = {
        name: str(getattr(paths, name))
        for name in ("corpus", "features", "quarantine", "models", "reports", "mlruns", "artifacts")
    }
    return Info(
        reeltag=__version__,
        versions={name: _version_of(name) for name in KEY_LIBRARIES},
        root=str(paths.root),
        stores=stores,
        tracking_uri=paths.tracking_uri,
        clip_arch=clip.arch,
        clip_weights=clip.weights,
        clip_weights_kind=weights_kind(clip.weights, clip.weights_kind, paths.root),
    )


@handles_errors
def info(root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Versions of the key libraries, where the stores are, and which kind of CLIP weights is configured."""
    emit(collect_info(open_project(root, config)), as_json, title="reeltag info")


@handles_errors
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo sets into.")] = Path("demo-out"),
    seed: Annotated[int, typer.Option("--seed", help="Seed; the same seed gives byte-identical files.")] = 1,
    size: Annotated[str, typer.Option("--size", help="tiny (tests), small or full (the demo).")] = "full",
    as_json: JsonOpt = False,
) -> None:
    """Write the seeded demo corpus, labelled demo videos and demo search set."""
    from reeltag.demo import generate_demo

    emit(generate_demo(out, seed=seed, size=size), as_json, title="demo data")


def register(app: typer.Typer) -> None:
    app.command("info")(info)
    app.command("demo-data")(demo_data)
