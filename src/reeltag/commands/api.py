"""``reeltag api``: the HTTP service (suggest and rerank for other systems)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, RootOpt, handles_errors, open_project


@handles_errors
def api(
    host: Annotated[str | None, typer.Option("--host", help="Bind address (api.host); not loopback → needs api.token.")] = None,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help="TCP port (api.port).")] = None,
    catalogue: Annotated[
        Path | None, typer.Option("--catalogue", help="Manifest docid,path of the searchable videos (api.catalogue).")
    ] = None,
    video_root: Annotated[
        Path | None, typer.Option("--video-root", help="Folder /v1/suggest may read by path (api.video_root).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve /v1/rerank, /v1/suggest, /v1/models, /healthz, /readyz, /metrics (OpenAPI at /docs)."""
    from reeltag.api.server import serve

    project = open_project(root, config, api={"host": host, "port": port, "catalogue": catalogue, "video_root": video_root})
    cfg = project.settings.api
    serve(project, cfg.host, cfg.port)


def register(app: typer.Typer) -> None:
    app.command("api")(api)
