"""Options every command shares (``--root``, ``--config``, ``--json``) and the error wrapper."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from reeltag.console import error
from reeltag.errors import BadInput, ReeltagError
from reeltag.project import Project
from reeltag.tracking.reach import unreachable_server

RootOpt = Annotated[Path | None, typer.Option("--root", help="Project root (default: current directory).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (default: <root>/reeltag.toml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object with the result.")]

F = TypeVar("F", bound=Callable[..., Any])


def open_project(root: Path | None, config: Path | None, **overrides: Any) -> Project:
    """Settings from defaults → reeltag.toml → REELTAG_* env → these flag overrides."""
    clean = {section: {k: v for k, v in values.items() if v is not None} for section, values in overrides.items()}
    try:
        return Project.open(root, config, **{k: v for k, v in clean.items() if v})
    except ValidationError as exc:  # a bad reeltag.toml, REELTAG_* variable or flag: say which, no traceback
        raise BadInput(f"invalid settings (reeltag.toml, REELTAG_* environment or flags): {exc}") from exc


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
