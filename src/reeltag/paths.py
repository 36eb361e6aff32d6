"""Where things live under a project root. Pure: nothing here creates a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProjectPaths:
    """Every store of a reeltag project, derived from its root folder."""

    root: Path

    @classmethod
    def at(cls, root: str | Path) -> "ProjectPaths":
        return cls(Path(root).expanduser().resolve())

    def under_root(self, path: str | Path) -> Path:
        """A setting's path: relative ones are under the project root, not the current folder."""
        return self.root / Path(path).expanduser()

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def corpus(self) -> Path:
        return self.data / "corpus"

    @property
    def features(self) -> Path:
        return self.data / "features"

    @property
    def quarantine(self) -> Path:
        return self.data / "quarantine"

    @property
    def models(self) -> Path:
        """Local checkpoints (encoders) and working copies of models."""
        return self.data / "models"

    @property
    def api(self) -> Path:
        """The HTTP service's working files (memory-mapped catalogue matrices, uploads in flight)."""
        return self.data / "api"

    @property
    def feature_queue(self) -> Path:
        """JSONL ``docid, path`` of videos the API met without cached features (``reeltag features extract`` it)."""
        return self.data / "queue" / "features.jsonl"

    @property
    def reports(self) -> Path:
        return self.data / "reports"

    @property
    def validation(self) -> Path:
        return self.data / "validation"

    @property
    def mlruns(self) -> Path:
        return self.root / "mlruns"

    @property
    def mlflow_db(self) -> Path:
        return self.mlruns / "mlflow.db"

    @property
    def artifacts(self) -> Path:
        return self.mlruns / "artifacts"

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    @property
    def prefect_home(self) -> Path:
        return self.data / "prefect"

    @property
    def contracts(self) -> Path:
        return self.root / "data_contracts"

    @property
    def review_db(self) -> Path:
        """Staff review store (SQLite, WAL): items, suggestions, the append-only event log."""
        return self.data / "review" / "review.db"

    @property
    def ab_events_db(self) -> Path:
        """Online A/B event store (SQLite, WAL): served requests and their append-only feedback events."""
        return self.data / "ab" / "events.db"

    @property
    def alias_history(self) -> Path:
        """Registry alias history (SQLite, WAL): every champion / challenger / rollback move, append-only."""
        return self.data / "registry" / "history.db"

    @property
    def demo_log(self) -> Path:
        """``reeltag demo``'s log: Prefect's and MLflow's records, library warnings, its API child's output."""
        return self.data / "logs" / "demo.log"
