"""Options every command shares (``--root``, ``--config``, ``--json``) and the error wrapper."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from reeltag.console import error
from reeltag.errors import BadInput, NotFound, ReeltagError
from reeltag.project import Project
from reeltag.tracking.reach import unreachable_server

RootOpt = Annotated[Path | None, typer.Option("--root", help="Project root (default: current directory).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (default: <root>/reeltag.toml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object with the result.")]
WeightsOpt = Annotated[
    str | None, typer.Option("--weights", help="CLIP weights: 'random' or a checkpoint file (default: clip.weights).")
]

F = TypeVar("F", bound=Callable[..., Any])


def open_project(root: Path | None, config: Path | None, **overrides: Any) -> Project:
    """Settings from defaults → reeltag.toml → REELTAG_* env → these flag overrides."""
    clean = {section: {k: v for k, v in values.items() if v is not None} for section, values in overrides.items()}
    try:
        project = Project.open(root, config, **{k: v for k, v in clean.items() if v})
    except ValidationError as exc:  # a bad reeltag.toml, REELTAG_* variable or flag: say which, no traceback
        raise BadInput(f"invalid settings (reeltag.toml, REELTAG_* environment or flags): {settings_errors(exc)}") from None
    if not project.paths.root.exists():  # a mistyped --root would otherwise quietly start a new, empty project
        typer.echo(
            f"note: project root {project.paths.root} does not exist yet: this command starts a new, empty "
            "project there (a mistyped --root?)",
            err=True,
        )
    elif not project.paths.root.is_dir():
        raise BadInput(f"project root {project.paths.root} is a file, not a folder")
    return project


def require_existing(paths: Sequence[Path]) -> None:
    """A path named on the command line that does not exist is a typo, not a bad video: say so, do nothing."""
    missing = [str(p) for p in paths if not Path(p).expanduser().exists()]
    if missing:
        raise NotFound(f"not found: {', '.join(missing)}")


def settings_errors(exc: ValidationError) -> str:
    """Pydantic's multi-line report as one line: ``tag2vec.epochs: Input should be ... (got -1)``."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e['input']!r})"[:300] for e in exc.errors())


def handles_errors(func: F) -> F:
    """Turn :class:`ReeltagError` and OS errors (missing or unwritable files, a full disk) into a clear message
    and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ReeltagError, OSError) as exc:
            error(str(exc), bool(kwargs.get("as_json")))
            raise typer.Exit(getattr(exc, "exit_code", 2)) from exc
        except Exception as exc:
            if (message := unreachable_server(exc)) is None:
                raise
            error(message, bool(kwargs.get("as_json")))
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]
