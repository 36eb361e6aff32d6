"""`reeltag flows run --param` parsing and the demo instructions (pure parts of the ops commands)."""

from __future__ import annotations

import pytest

from flows.cli import parse_params
from reeltag.errors import BadInput


def test_params_nest_dotted_keys_and_parse_json_values() -> None:
    params = parse_params(["tag2vec.epochs=5", "labels=data/labels.csv", 'files=["a.jsonl"]', "chain=always", "report=false"])
    assert params == {
        "tag2vec": {"epochs": 5},
        "labels": "data/labels.csv",
        "files": ["a.jsonl"],
        "chain": "always",
        "report": False,
    }


@pytest.mark.parametrize("bad", ["epochs", "=5"])
def test_params_without_key_or_value_are_refused(bad: str) -> None:
    with pytest.raises(BadInput):
        parse_params([bad])
