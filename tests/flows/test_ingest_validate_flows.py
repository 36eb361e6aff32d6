"""ingest-corpus and validate-data on the demo corpus; a contract failure fails the flow."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


def test_ingest_flow_ingests_and_validates(demo_root: Path, demo_tiny: Path) -> None:
    from flows.ingest_corpus import ingest_corpus

    summary = ingest_corpus(str(demo_root), files=[str(demo_tiny / "corpus" / "posts.jsonl")], tracking={"trigger": "test"})
    assert summary.added > 0
    assert (demo_root / "data" / "validation" / "posts.json").is_file()
    again = ingest_corpus(str(demo_root), files=[str(demo_tiny / "corpus" / "posts.jsonl")], tracking={"trigger": "test"})
    assert again.added == 0
