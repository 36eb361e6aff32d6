"""TagSpace: lookups written any way, planted neighbours, save/load round trip, the pyfunc recommender."""

from pathlib import Path

import numpy as np
import pandas as pd

from reeltag.corpus.tags import SurfaceForms
from reeltag.tag2vec.baselines import Vocabulary, save_vocabulary
from reeltag.tag2vec.pyfunc import TagRecommender, load_pyfunc
from reeltag.tag2vec.space import TagSpace, load_space, save_space

TAGS = ("cats", "kitten", "dog", "puppy", "car")
VECTORS = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.1, 0.9, 0], [0, 0, 1]], dtype=np.float32)


def _space() -> TagSpace:
    surface = SurfaceForms.fit([list(TAGS), ["cats"]])
    return TagSpace(
        tags=TAGS,
        vectors=VECTORS,
        version="3",
        output_vectors=VECTORS * 2,
        counts=np.array([5, 4, 3, 2, 1]),
        surface=surface,
        meta={"corpus_hash": "abc"},
    )


def test_lookup_accepts_any_spelling_of_a_tag() -> None:
    space = _space()
    assert space.index_of("#Cat") == space.index_of("cats") == 0
    assert space.index_of("#nothing") is None


def test_planted_neighbour_is_first() -> None:
    assert [t for t, _ in _space().neighbours("#Dog", k=2)] == ["puppy", "kitten"]
    assert np.allclose(np.linalg.norm(_space().unit_vectors, axis=1), 1.0)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    save_space(_space(), tmp_path)
    loaded = load_space(tmp_path, "3")
    assert loaded.tags == TAGS and loaded.version == "3" and loaded.meta == {"corpus_hash": "abc"}
    assert np.array_equal(loaded.vectors, VECTORS) and np.array_equal(loaded.output_vectors, VECTORS * 2)
    assert loaded.surface.canonical("cat") == "cats"


def test_pyfunc_recommender_suggests_co_tags(tmp_path: Path) -> None:
    save_space(_space(), tmp_path)
    model = load_pyfunc({"tag2vec": str(tmp_path)})
    assert isinstance(model, TagRecommender)
    out = model.predict(pd.DataFrame({"tags": [["#Kitten"], "dog", []]}))
    assert out[0][0] == "cats" and "kitten" not in out[0]
    assert out[1][0] == "puppy" and out[2] == []


def test_pyfunc_serves_the_hybrid_when_training_chose_it(tmp_path: Path) -> None:
    space = _space()
    space.meta.update(recommender="hybrid", hybrid_pseudo_count=0.0)
    save_space(space, tmp_path)
    save_vocabulary(Vocabulary.fit([["cats", "car"], ["cats", "car"], ["cats", "dog"], ["dog", "puppy"]], 1), tmp_path)
    model = load_pyfunc({"tag2vec": str(tmp_path)})
    assert model.method == "hybrid"
    assert model.predict([["#cat"]])[0][:2] == ["car", "dog"]  # co-occurrence counts, not the vectors, decide here
