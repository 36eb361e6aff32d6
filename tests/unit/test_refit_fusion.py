"""refit_fusion (the finetune-mapper flow's fit-fusion step): it fits only when the champion fusion does not fit the
models in use, and says in its note why nothing was fitted when the data falls short; other errors still raise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from reeltag.errors import ReeltagError, TooFewVideos
from reeltag.mapper import data as mapper_data
from reeltag.suggest import fusion_fit as fusion
from reeltag.suggest import fusion_model
from reeltag.suggest.fusion_model import Fusion, champion_fusion_mismatch

FITTED = SimpleNamespace(version="2", mapper_version="5", text_model=False, decision="GO", use_fused=True)
STALE = "fusion v1 was fitted for mapper 4 (now 5): run `reeltag fusion fit --labels L`"


def _stub(monkeypatch: pytest.MonkeyPatch, mapper: bool = True, mismatch: str = STALE, error: Exception | None = None) -> list:
    """A mapper champion for the Tag2Vec champion (or none), the champion fusion's mismatch; the fits made."""
    fits: list = []

    def fit_fusion(project: object, labels: str) -> object:
        fits.append(labels)
        if error is not None:
            raise error
        return FITTED

    monkeypatch.setattr(fusion, "space_champion", lambda project: object() if mapper else None)
    monkeypatch.setattr(fusion, "champion_fusion_mismatch", lambda project: mismatch)
    monkeypatch.setattr(fusion, "fit_fusion", fit_fusion)
    return fits


def test_a_stale_fusion_is_refitted_and_the_note_says_for_what(monkeypatch: pytest.MonkeyPatch) -> None:
    fits = _stub(monkeypatch)
    refit = fusion.refit_fusion(object(), "labels.csv")  # type: ignore[arg-type]
    assert fits == ["labels.csv"] and refit.fitted is FITTED
    assert refit.note.startswith("fusion v2 fitted for mapper v5 without a text model") and STALE in refit.note


@pytest.mark.parametrize(
    ("mapper", "mismatch", "note"),
    [
        (True, "", "fusion not refitted: its champion fits"),
        (False, STALE, "fusion not fitted: no mapper champion for the Tag2Vec champion"),
    ],
)
def test_nothing_is_fitted_when_the_champion_fits_or_there_is_no_mapper(
    monkeypatch: pytest.MonkeyPatch, mapper: bool, mismatch: str, note: str
) -> None:
    fits = _stub(monkeypatch, mapper=mapper, mismatch=mismatch)
    refit = fusion.refit_fusion(object(), "labels.csv")  # type: ignore[arg-type]
    assert fits == [] and refit.fitted is None and refit.note.startswith(note)


def test_too_few_videos_is_a_note_other_errors_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    _stub(monkeypatch, error=TooFewVideos("labels.csv: no usable videos in split(s) test"))
    refit = fusion.refit_fusion(object(), "labels.csv")  # type: ignore[arg-type]
    assert refit.fitted is None and refit.note.endswith("labels.csv: no usable videos in split(s) test")
    _stub(monkeypatch, error=ReeltagError("configured encoder differs"))
    with pytest.raises(ReeltagError, match="configured encoder differs"):
        fusion.refit_fusion(object(), "labels.csv")  # type: ignore[arg-type]


def test_a_new_mapper_champion_makes_the_champion_fusion_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    champion = Fusion(
        version="1",
        weights={},
        train_features=np.zeros((0, 2)),
        train_tags=(),
        mapper_version="4",
        tag2vec_version="3",
        encoder_id="enc",
    )
    champions = {"mapper": "4", "tag2vec": "3"}
    monkeypatch.setattr(fusion_model, "load_fusion", lambda project: champion)
    monkeypatch.setattr(fusion_model, "champion_version", lambda project, model: champions[model])
    monkeypatch.setattr(mapper_data, "configured_model_id", lambda project: "enc")
    assert champion_fusion_mismatch(object()) == ""  # type: ignore[arg-type]
    champions["mapper"] = "5"
    assert champion_fusion_mismatch(object()) == STALE  # type: ignore[arg-type]
    monkeypatch.setattr(fusion_model, "load_fusion", lambda project: fusion_model.NoFusion())
    assert champion_fusion_mismatch(object()) == fusion_model.NO_FUSION  # type: ignore[arg-type]
