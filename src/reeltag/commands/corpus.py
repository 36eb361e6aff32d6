"""``reeltag ingest SOURCE...``, ``reeltag validate [--dataset NAME]`` and ``reeltag corpus repair [FILE...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit, progress

FormatOpt = Annotated[str, typer.Option("--format", help="auto (by extension), jsonl, csv or txt.")]
SourceNameOpt = Annotated[str | None, typer.Option("--source-name", help="Source name (default: each file's stem).")]


@handles_errors
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="Post files: JSONL, CSV or plain text (one post per line).")],
    fmt: FormatOpt = "auto",
    source_name: SourceNameOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add new posts to the corpus store (data/corpus/); bad rows go to data/quarantine/posts.jsonl with the reason."""
    from reeltag.corpus.steps import ingest_posts

    project = open_project(root, config)
    total = sum(p.stat().st_size for p in sources if p.is_file())
    with progress("ingest (bytes)", total, enabled=not as_json) as advance:
        result = ingest_posts(project, sources, fmt, source_name, advance)
    emit(result, as_json, title="ingest")


@handles_errors
def validate(
    dataset: Annotated[str, typer.Option("--dataset", help="posts, hashtag_sentences or all.")] = "all",
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the data contracts on the corpus; quarantine failing rows; exit 3 on a critical failure."""
    from reeltag.corpus.steps import validate_corpus

    project = open_project(root, config)
    with progress("validate", None, enabled=not as_json):
        result = validate_corpus(project, dataset)
    emit(result, as_json, title="validate")


corpus_app = typer.Typer(help="The corpus store itself.", no_args_is_help=True)


@corpus_app.command("repair")
@handles_errors
def repair(
    files: Annotated[list[Path] | None, typer.Argument(help="Post files ingested before: their watermarks are rebuilt.")] = None,
    fmt: FormatOpt = "auto",
    source_name: SourceNameOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Drop duplicate posts, renumber seq, drop watermarks that no longer match, rebuild those of FILES."""
    from reeltag.corpus.repair import repair_corpus

    project = open_project(root, config)
    with progress("repair", None, enabled=not as_json):
        result = repair_corpus(project, files or (), fmt, source_name)
    emit(result, as_json, title="corpus repair")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("validate")(validate)
    app.add_typer(corpus_app, name="corpus")
