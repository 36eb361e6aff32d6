from datetime import datetime, timezone

import pytest

from reeltag.tracking import naming


def test_names_follow_the_house_rules() -> None:
    when = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)
    assert naming.experiment_name("tag2vec") == "reeltag/tag2vec"
    assert naming.run_name("tag2vec", "scheduled", when) == "tag2vec-scheduled-20261121T0300Z"
    assert naming.registered_model_name("mapper") == "reeltag.mapper"
    assert naming.registered_model_name("reeltag.mapper") == "reeltag.mapper"
    assert naming.tag("decision") == "reeltag.decision"
    assert naming.metric("delta", "map") == "delta/map"


@pytest.mark.parametrize("bad", ["Tag2Vec", "tag 2 vec", "", "../x"])
def test_bad_component_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        naming.experiment_name(bad)
