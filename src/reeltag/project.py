"""A project = its settings + where its stores are. Steps take one of these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reeltag.config import Settings, load_settings
from reeltag.paths import ProjectPaths

if TYPE_CHECKING:
    from reeltag.tracking.store import Tracker


@dataclass(frozen=True)
class Project:
    settings: Settings

    @classmethod
    def open(cls, root: str | Path | None = None, config: str | Path | None = None, **overrides: Any) -> "Project":
        return cls(load_settings(root, config, overrides or None))

    @cached_property
    def paths(self) -> ProjectPaths:
        return ProjectPaths.at(self.settings.root)

    @cached_property
    def tracker(self) -> "Tracker":
        """The project's own MLflow client on ``tracking.uri``; a :class:`NullTracker` when tracking is off."""
        from reeltag.tracking.null import NullTracker
        from reeltag.tracking.store import Tracker

        kind = Tracker if self.settings.tracking.enabled else NullTracker
        return kind(self.paths, self.settings.tracking)

    def with_settings(self, **sections: Any) -> "Project":
        """A copy with some sections updated, e.g. ``with_settings(rerank={"alpha": 0.3})``."""
        data = self.settings.model_dump()
        for name, values in sections.items():
            data[name] = {**data[name], **values}
        return Project(type(self.settings).model_validate(data))
