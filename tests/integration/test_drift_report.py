"""A drift check is logged to ``reeltag/drift`` with its ``result.json`` and read back by the report."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_check_without_a_champion_is_logged_and_read_back(project) -> None:  # noqa: ANN001 (the conftest Project)
    from reeltag.report.drift_evidence import drift_evidence
    from reeltag.tag2vec.monitor import check_tag2vec_drift

    result = check_tag2vec_drift(project)
    assert not result.alarm and result.reasons == ("no champion yet",) and result.run_id
    found = drift_evidence(project)
    assert found is not None and found.run_id == result.run_id and found.champion_version is None
    assert not found.alarm and found.reasons == ("no champion yet",) and found.drift_retrains == 0 and found.measures == {}
