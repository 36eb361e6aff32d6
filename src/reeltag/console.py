"""Output for the CLI: one JSON object with ``--json``, readable tables otherwise; progress bars."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

Advance = Callable[[int], None]


def jsonable(obj: Any) -> Any:
    """Dataclasses, paths, tuples, numpy scalars and NaN → plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):
        return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def emit(result: Any, as_json: bool, title: str = "") -> None:
    """Print a command's result: one JSON object on stdout, or a key/value table."""
    data = jsonable(result)
    if as_json:
        sys.stdout.write(json.dumps(data, sort_keys=True) + "\n")
        return
    console().print(_table(data, title) if isinstance(data, dict) else data)


def console(stderr: bool = False) -> Console:
    """A console that prints text as it is: file names, tags and topic ids are user strings, and rich markup
    (``[red]``, ``[/]``) or emoji codes in them would be styled away or raise ``MarkupError``."""
    return Console(stderr=stderr, markup=False, emoji=False)


def _table(data: dict[str, Any], title: str) -> Table:
    table = Table(title=title or None, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in data.items():
        text = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)
        table.add_row(key, text if len(text) < 400 else text[:397] + "...")
    return table


def emit_slices(slices: Sequence[Mapping[str, Any]], reference: str, as_json: bool) -> None:
    """A result's per-band figures (its ``slices`` records) as a table after it; nothing with ``--json`` (they are in
    the JSON object already)."""
    if as_json or not slices:
        return
    table = Table(title=f"slices: challenger vs {reference}")
    for name in ("slice", "band", "metric", "items", "challenger", "reference", "delta", "95% CI"):
        table.add_column(name)
    for f in slices:
        ci = f"[{_number(f['ci_low'])}, {_number(f['ci_high'])}]"
        numbers = [_number(f[k]) for k in ("challenger", "reference", "delta")]
        table.add_row(f["slice"], f["band"], f["metric"], str(f["items"]), *numbers, ci)
    console().print(table)


def emit_rows(rows: Mapping[str, Any], title: str, as_json: bool) -> None:
    """One row per key (a method's figures: a dataclass or a dict of numbers) as a table; nothing with ``--json``."""
    data = {name: jsonable(row) for name, row in rows.items()}
    if as_json or not data:
        return
    columns = list(next(iter(data.values())))
    table = Table(title=title)
    for name in ["", *columns]:
        table.add_column(name)
    for name, row in data.items():
        table.add_row(name, *(_number(row.get(c)) for c in columns))
    console().print(table)


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def error(message: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "error": message}) + "\n")
    console(stderr=True).print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


@contextmanager
def progress(description: str, total: int | None, enabled: bool = True) -> Iterator[Advance]:
    """A rich progress bar on stderr; yields ``advance(n)``. Disabled → a no-op callback."""
    if not enabled:

        def nothing(n: int = 1) -> None:
            return None

        yield nothing
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance
