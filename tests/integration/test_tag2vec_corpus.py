"""Ingest and validate on real files: re-runs add nothing, grown files add only new posts, bad rows are
quarantined with reasons, a critical contract failure stops training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.corpus.steps import ingest_posts, validate_corpus
from reeltag.errors import ContractFailed, NotFound

pytestmark = pytest.mark.integration


def test_demo_ingest_quarantines_bad_rows_and_rerun_adds_nothing(project, demo_tiny: Path) -> None:
    posts = demo_tiny / "corpus" / "posts.jsonl"
    first = ingest_posts(project, [posts])
    assert first.added > 0 and first.quarantined >= 5
    records = quarantine.read(project.paths.quarantine, "posts")
    assert len(records) == first.quarantined and all(r["reason"] and ":" in r["item"] for r in records)
    assert first.duplicates_by_content >= 1  # planted near-duplicates
    assert first.rejected_tags.get("stop-tag", 0) > 0
    again = ingest_posts(project, [posts])
    assert (again.added, again.quarantined, again.lines_read) == (0, 0, 0)
    assert again.corpus_hash == first.corpus_hash
    assert len(quarantine.read(project.paths.quarantine, "posts")) == first.quarantined


def test_grown_file_adds_only_the_new_posts_and_parts_are_parquet(project, demo_tiny: Path, tmp_path: Path) -> None:
    grown = tmp_path / "feed.jsonl"
    shutil.copy(demo_tiny / "corpus" / "posts.jsonl", grown)
    first = ingest_posts(project, [grown], source_name="feed")
    new_lines = (demo_tiny / "corpus" / "posts_new.jsonl").read_text(encoding="utf-8").splitlines()
    with open(grown, "a", encoding="utf-8") as fh:
        fh.write("\n".join(new_lines) + "\n")
    second = ingest_posts(project, [grown], source_name="feed")
    assert second.lines_read == len(new_lines)
    assert second.added + second.duplicates_by_content == len(new_lines)
    table = pq.read_table(project.paths.corpus / second.parts_written[0])
    assert table.column_names == ["id", "created_at", "source", "raw_tags", "tags", "content_hash", "seq"]
    assert table.column("seq").to_pylist()[0] == first.total_posts


def test_validate_writes_sentences_summary_and_mlflow_run(project, demo_tiny: Path) -> None:
    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    result = validate_corpus(project)
    assert result.ok and result.sentences > 0
    assert {r.suite for r in result.suites} == {"posts", "hashtag_sentences"}
    summary = json.loads((project.paths.validation / "posts.json").read_text())
    assert summary["contract_version"] == "1.0.0"
    [run] = project.tracker.runs("data-validation")
    assert run["tags"]["reeltag.contract.posts"] == "1.0.0"
    assert run["metrics"]["posts/failed_expectations"] == 0


def test_critical_contract_failure_stops_training(project, tmp_path: Path) -> None:
    from reeltag.tag2vec.steps import train_tag2vec

    few = tmp_path / "few.txt"
    few.write_text("#aa #bb\n#bb #cc\n#cc #aa\n", encoding="utf-8")
    ingest_posts(project, [few])
    with pytest.raises(ContractFailed, match="unique_value_count"):
        validate_corpus(project)
    assert not (project.paths.validation / "sentences.parquet").exists()
    with pytest.raises(NotFound, match="reeltag validate"):
        train_tag2vec(project)


def test_cli_ingest_and_validate_exit_codes(tmp_root: Path, demo_tiny: Path, tmp_path: Path) -> None:
    from reeltag.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", str(demo_tiny / "corpus" / "posts.jsonl"), "--root", str(tmp_root), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout.strip().splitlines()[-1])["added"] > 0
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.jsonl"), "--root", str(tmp_root), "--json"])
    assert missing.exit_code == 2 and "not found" in missing.stdout
    bad = runner.invoke(app, ["validate", "--dataset", "nope", "--root", str(tmp_root), "--json"])
    assert bad.exit_code == 2 and "unknown dataset" in bad.stdout


def test_missing_heldout_source_is_a_clear_error(project, demo_tiny: Path) -> None:
    from reeltag.errors import BadInput
    from reeltag.tag2vec.steps import load_split

    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    validate_corpus(project)
    with pytest.raises(BadInput, match="heldout_sources"):
        load_split(project.with_settings(corpus={"heldout_sources": ("nope",)}))
    with pytest.raises(BadInput, match="nothing is left to train"):
        load_split(project.with_settings(corpus={"heldout_sources": ("posts",)}))
