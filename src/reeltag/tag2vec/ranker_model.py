"""The ranker's classifier (the only scikit-learn import): gradient-boosted trees on per-candidate features.

scikit-learn's ``HistGradientBoostingClassifier`` (LightGBM's histogram algorithm), binary target "is the hidden
tag"; its probability is the candidate's score. It early-stops on a seeded 10 % of the rows it is given. Saved
with the model it ranks for (``ranker.pkl`` beside the Tag2Vec files) when ``tag2vec train`` offers it.

Its fit and predict run on ``[tag_ranker] threads`` OpenMP threads (1 by default; a loaded model, served
beside other requests, on 1). scikit-learn would use one per core, and OpenMP threads that wait for each other spin:
with any other process busy on the cores (a second job, the test suite's other workers) the fit and the
predictions slow down many times over (docs/tests.md has the real-data leave-one-out test's time before and after).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reeltag.config import TagRankerSection
from reeltag.io import atomic_path

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier


@dataclass(frozen=True, eq=False)
class RankerModel:
    classifier: HistGradientBoostingClassifier  # fitted
    trees: int
    threads: int = 1  # OpenMP threads of its predictions

    def score(self, features: np.ndarray) -> np.ndarray:
        with openmp_threads(self.threads):
            return self.classifier.predict_proba(features)[:, 1]


def openmp_threads(threads: int) -> Any:
    """A context in which OpenMP (scikit-learn's trees) uses at most ``threads`` threads."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="openmp")


def fit_ranker_model(features: np.ndarray, labels: np.ndarray, cfg: TagRankerSection) -> RankerModel:
    """Boosted trees fitted on ``features`` → ``labels`` (1 = the hidden tag)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if labels.min(initial=1) == labels.max(initial=0):
        raise ValueError("the ranker needs candidates of both kinds (hidden tags and others) to learn from")
    classifier = HistGradientBoostingClassifier(
        learning_rate=cfg.learning_rate, max_iter=cfg.max_iter, max_leaf_nodes=cfg.max_leaf_nodes, random_state=cfg.seed
    )
    with openmp_threads(cfg.threads):
        classifier.fit(features, labels)
    return RankerModel(classifier, int(classifier.n_iter_), cfg.threads)


def save_ranker_model(model: RankerModel, path: Path) -> Path:
    """The fitted classifier as a pickle (written atomically); only reeltag's own stores load it back."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(pickle.dumps(model.classifier, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_ranker_model(path: Path) -> RankerModel:
    """A classifier :func:`save_ranker_model` wrote. A pickle runs code when loaded: callers pass only paths inside
    a registered model's own files (checked with :func:`reeltag.security.check_trusted` where a project is known)."""
    classifier = pickle.loads(path.read_bytes())  # noqa: S301 - reeltag's own model file (see the docstring)
    return RankerModel(classifier, int(classifier.n_iter_))
