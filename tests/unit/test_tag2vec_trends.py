"""Trend report between two planted versions."""

import numpy as np

from reeltag.corpus.tags import SurfaceForms
from reeltag.tag2vec.space import TagSpace
from reeltag.tag2vec.trends import trend_report


def _space(version: str, tags: tuple[str, ...], vectors: list[list[float]], counts: list[int]) -> TagSpace:
    return TagSpace(
        tags=tags,
        vectors=np.array(vectors, dtype=np.float32),
        version=version,
        output_vectors=None,
        counts=np.array(counts),
        surface=SurfaceForms(),
    )


def test_new_rising_and_moved_tags() -> None:
    old = _space("1", ("a", "b", "c", "d"), [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], [10, 10, 10, 10])
    # 'c' moves next to 'a'; 'd' grows fast; 'e' is new.
    new = _space("2", ("a", "b", "c", "d", "e"), [[1, 0], [0.1, 0.9], [0.95, 0.05], [0.1, 0.9], [0, 1]], [10, 10, 10, 40, 7])
    report = trend_report(old, new, k=1, top=2)
    assert (report.from_version, report.to_version) == ("1", "2")
    assert [t.tag for t in report.new_tags] == ["e"] and report.n_new == 1 and report.n_common == 4
    assert report.rising_tags[0].tag == "d"
    moved = {t.tag: t.value for t in trend_report(old, new, k=1, top=4).moved_tags}
    assert moved["c"] == 0.0 and moved.get("b", 0.0) == 0.0
