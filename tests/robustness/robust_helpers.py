"""Helpers of the robustness suite: make videos with the ffmpeg binary, run the CLI in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_video(out: Path, *args: str) -> Path:
    """Run the ffmpeg binary that imageio-ffmpeg ships (``args`` between ``-y`` and the output)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(out)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


def reeltag_cmd(*args: str) -> list[str]:
    """The ``reeltag`` console script of this interpreter's venv (falls back to ``python -m``)."""
    script = Path(sys.executable).with_name("reeltag")
    return [str(script), *args] if script.is_file() else [sys.executable, "-c", "from reeltag.cli import app; app()", *args]


def invoke_cli(*args: str, env: dict[str, str] | None = None):  # noqa: ANN201 (a click Result)
    """``reeltag ARGS`` in-process: tracking off, no line wrapping (messages are matched whole)."""
    from typer.testing import CliRunner

    from reeltag.cli import app

    outcome = CliRunner().invoke(app, list(args), env={"REELTAG_TRACKING__ENABLED": "false", "COLUMNS": "1000", **(env or {})})
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    return outcome


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without REELTAG_* settings, telemetry off, plus ``extra``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("REELTAG_")}
    return {**keep, "DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true", **extra}


def train_first_tag2vec(root: Path, toml: str, posts: Path) -> Path:
    """``root`` with ``reeltag.toml`` = ``toml``, ``posts`` ingested and validated, and a Tag2Vec champion (v1)."""
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.project import Project
    from reeltag.tag2vec.steps import train_tag2vec

    (root / "reeltag.toml").write_text(toml, encoding="utf-8")
    project = Project.open(root)
    ingest_posts(project, [posts])
    validate_corpus(project)
    assert train_tag2vec(project).champion_after == "1"
    return root
