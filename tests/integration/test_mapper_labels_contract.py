"""The company_labels contract (great_expectations): good files pass, bad rows are quarantined with reasons,
critical failures stop before any training."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from reeltag import quarantine
from reeltag.corpus.tags import SurfaceForms
from reeltag.errors import ContractFailed
from reeltag.mapper.data import check_labels, label_normaliser

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _normalise(project):
    return label_normaliser(project, SimpleNamespace(surface=SurfaceForms({"cat": "cats"})))


def test_suite_is_versioned() -> None:
    suite = json.loads((REPO / "data_contracts" / "company_labels.json").read_text())
    assert suite["name"] == "company_labels" and suite["meta"]["contract_version"]


def test_good_rows_pass_and_bad_rows_are_quarantined(project, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "video,tags,split\n"
        "a.mp4,#Cat #cats cat #Dog,train\n"
        "b.mp4,#sun,val\n"
        "c.mp4,#!! #a,train\n"
        "d.mp4,#sky,holdout\n"
        ",#sky,test\n"
        "e.mp4,#sea,\n"
    )
    checked = check_labels(project, labels, _normalise(project))
    assert (checked.check.rows, checked.check.kept, checked.check.quarantined) == (6, 3, 3)
    assert checked.rows[0].tags == ("cats", "dog")  # #Cat, #cats and cat are one tag, shown as 'cats'
    assert checked.rows[2].split in ("train", "val", "test")  # assigned by seed
    records = quarantine.read(project.paths.quarantine, "labels")
    reasons = {r["item"].rsplit(":", 1)[1]: r["reason"] for r in records}
    assert set(reasons) == {"4", "5", "6"}
    assert "no usable tags" in reasons["4"] and "n_tags" in reasons["4"]
    assert "unknown split" in reasons["5"] and "split" in reasons["5"]
    assert "missing 'video'" in reasons["6"]


def test_missing_or_empty_label_files_stop_with_contract_failed(project, tmp_path: Path) -> None:
    with pytest.raises(ContractFailed, match="does not exist"):
        check_labels(project, tmp_path / "nope.csv", _normalise(project))
    empty = tmp_path / "empty.csv"
    empty.write_text("video,tags,split\n")
    with pytest.raises(ContractFailed, match="company_labels"):
        check_labels(project, empty, _normalise(project))


def test_mostly_unreadable_jsonl_is_a_critical_failure(project, tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"video": "a.mp4", "tags": ["#x"]}\n{broken\n{broken\n{broken\n')
    with pytest.raises(ContractFailed, match="n_tags"):
        check_labels(project, labels, _normalise(project))
