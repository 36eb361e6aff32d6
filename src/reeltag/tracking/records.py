"""What the tracker hands out (pure): runs, registered versions, alias moves, logged models.

Importable without mlflow, so callers (the HTTP API, tests) can name these types cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    run_id: str | None  # None: tracking is off, nothing was logged
    name: str
    experiment: str


@dataclass(frozen=True, kw_only=True)
class VersionInfo:
    model: str
    version: str
    run_id: str
    tags: dict[str, str]
    aliases: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AliasChange:
    alias: str  # champion | challenger | rollback
    version: str | None  # where it points now; None: removed
    previous: str | None  # where it pointed before; None: it did not exist


@dataclass(frozen=True, kw_only=True)
class AliasMove:
    model: str
    champion: str
    rollback: str | None
    changes: tuple[AliasChange, ...] = ()  # every alias this move changed, in the order it was set


@dataclass(frozen=True, kw_only=True)
class LoggedModel:
    uri: str  # runs:/<run id>/model (the pyfunc wrapper)
    native_sha256: str  # digest of every native file, verified before loading


class ChampionMoved(Exception):
    """Compare-and-swap promotion found another champion than the one the gate compared against."""

    def __init__(self, model: str, expected: str | None, current: str | None):
        super().__init__(f"champion of {model} is {current or 'none'}, not {expected or 'none'} as compared")
        self.expected, self.current = expected, current


UNCHECKED = object()  # promote without compare-and-swap (a manual promotion)
