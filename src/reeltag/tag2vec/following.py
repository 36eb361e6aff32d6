"""Does a Tag2Vec model follow the trends? Next-period scores of one model (pure numpy).

For every post of the next period with at least two distinct tags, each tag in turn is hidden and ranked by
Tag2Vec input-output from the other tags the model knows (a hidden tag the model does not know, or a post whose
other tags it does not know, is a miss). ``known_share`` is the share of the next period's tag occurrences in
the model's vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary
from reeltag.tag2vec.evaluate import Queries, ranks
from reeltag.tag2vec.space import TagSpace


@dataclass(frozen=True, kw_only=True)
class PeriodScore:
    hit_at_k: float
    known_share: float
    queries: int


def own_vocabulary(space: TagSpace) -> Vocabulary:
    """The model's own tags as a reference vocabulary (no co-occurrences needed)."""
    n = len(space.tags)
    counts = np.asarray(space.counts if space.counts is not None else np.ones(n), dtype=np.float64)
    return Vocabulary(tuple(space.tags), counts, sparse.csr_matrix((n, n), dtype=np.float32))


def next_period_score(space: TagSpace, sentences: Sequence[Sequence[str]], k: int) -> PeriodScore:
    vocab = own_vocabulary(space)
    index = {t: i for i, t in enumerate(vocab.tags)}
    canonical = [[space.surface.canonical(t) for t in dict.fromkeys(s)] for s in sentences]
    occurrences = [t for s in canonical for t in s]
    contexts, targets, misses = [], [], 0
    for tags in (s for s in canonical if len(s) >= 2):
        for i, hidden in enumerate(tags):
            context = [index[t] for j, t in enumerate(tags) if j != i and t in index]
            if hidden not in index or not context:
                misses += 1
                continue
            contexts.append(tuple(context))
            targets.append(index[hidden])
    queries = Queries(tuple(contexts), np.array(targets, dtype=np.int64), 0)
    hits = int((ranks(AlignedSpace.of(space, vocab).input_output, queries, len(vocab.tags)) <= k).sum()) if targets else 0
    total = len(targets) + misses
    known = sum(t in index for t in occurrences) / len(occurrences) if occurrences else float("nan")
    return PeriodScore(hit_at_k=hits / total if total else float("nan"), known_share=known, queries=total)
