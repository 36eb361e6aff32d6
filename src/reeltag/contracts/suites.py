"""Find and read contract suites (pure JSON; no great_expectations import).

A suite is ``<name>.json`` in GX 1.x shape (``name``, ``expectations`` of ``{type, kwargs, meta}``) with
``meta.contract_version``. Each expectation's ``meta`` says ``critical`` (a failure stops later steps) and
``row_level`` (failing rows are quarantined with the reason).

Where suites are looked up, per suite: ``<project root>/data_contracts/<name>.json`` first, then the shipped
``data_contracts/``: the repo's (next to ``src/``, in a source checkout and an editable install, which is what
``make`` sets up) or, installed from a wheel, the one beside the ``reeltag`` package. A project can override one
suite and keep the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reeltag.errors import BadInput, NotFound

_HERE = Path(__file__).resolve()
# The source checkout's (src/reeltag/contracts/ → repo) or the wheel's (site-packages/reeltag/contracts/ → site-packages)
SHIPPED_CONTRACTS = next(
    (folder for folder in (_HERE.parents[3] / "data_contracts", _HERE.parents[2] / "data_contracts") if folder.is_dir()),
    _HERE.parents[3] / "data_contracts",
)


def suite_path(name: str, contracts_dir: Path | None = None) -> Path:
    """The file of suite ``name``: the project's copy when present, else the shipped one."""
    for folder in (contracts_dir, SHIPPED_CONTRACTS):
        if folder is not None and (folder / f"{name}.json").is_file():
            return folder / f"{name}.json"
    raise NotFound(f"data contract {name!r} not found in {contracts_dir} or {SHIPPED_CONTRACTS}")


def load_suite(name: str, contracts_dir: Path | None = None) -> dict[str, Any]:
    """The suite as a dict; checks the shape and that ``meta.contract_version`` is set."""
    path = suite_path(name, contracts_dir)
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(suite.get("expectations"), list) or not suite.get("meta", {}).get("contract_version"):
        raise BadInput(f"{path}: a suite needs 'expectations' and 'meta.contract_version'")
    return suite
