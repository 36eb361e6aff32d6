"""P3: Tag2Vec training throughput, words/s through reeltag ÷ bare gensim on the same corpus file.

The corpus is the seeded demo hashtag corpus (``reeltag.demo.hashtag_corpus``, ``N_POSTS`` posts), parsed and
normalised by reeltag and written to one corpus file. "reeltag" is :func:`reeltag.tag2vec.train.train_new` with
the default settings; "gensim" is bare ``Word2Vec`` with the same parameters on that file through the same path
(``corpus_file=`` when ``tag2vec.corpus_file`` is on, else ``LineSentence``); both gensim paths are timed, for the
choice of ``tag2vec.corpus_file``. Words/s = tag tokens × epochs ÷ wall seconds; medians over ``repeats``.

    python -m bench --only P3            # or: python -m bench.bench_tag2vec
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

N_POSTS = 20_000


def demo_sentences(folder: Path, n_posts: int = N_POSTS) -> list[list[str]]:
    """Normalised tag sentences of the seeded demo corpus (what ``reeltag ingest`` would store)."""
    import numpy as np

    from reeltag.config import CorpusSection
    from reeltag.corpus.posts import Post, iter_lines, iter_raw, to_post
    from reeltag.corpus.steps import tag_rules
    from reeltag.demo.hashtag_corpus import write_corpus

    summary = write_corpus(folder, np.random.default_rng(3), n_posts, 0)
    rules, rejected, out = tag_rules(CorpusSection()), Counter(), []
    for _, raw in iter_raw(summary.posts, "jsonl", iter_lines(summary.posts)):
        post = to_post(raw, "bench", rules, 30, rejected) if raw is not None and hasattr(raw, "hashtags") else None
        if isinstance(post, Post) and post.tags:
            out.append(list(post.tags))
    return out


def _median_seconds(func: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(repeats: int = 5) -> dict[str, Any]:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    from reeltag.config import Tag2VecSection
    from reeltag.tag2vec import train

    cfg = Tag2VecSection()
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-t2v-") as tmp:
        work = Path(tmp)
        sentences = demo_sentences(work)
        corpus = train.write_corpus_file(sentences, work / "corpus.txt")
        params = train._params(cfg)
        words = sum(len(s) for s in sentences) * cfg.epochs
        seconds = {
            "reeltag": _median_seconds(lambda: train.train_new(sentences, cfg, work), repeats),
            "gensim_corpus_file": _median_seconds(lambda: Word2Vec(corpus_file=str(corpus), **params), repeats),
            "gensim_iterable": _median_seconds(lambda: Word2Vec(sentences=LineSentence(str(corpus)), **params), repeats),
        }
    wps = {name: words / s for name, s in seconds.items()}
    same_path = wps["gensim_corpus_file" if cfg.corpus_file else "gensim_iterable"]
    ratio = wps["reeltag"] / same_path
    return {
        "figure": "Tag2Vec training words/s, reeltag ÷ bare gensim (same corpus file)",
        "ratio": round(ratio, 3),
        "summary": f"{ratio:.2f}x ({wps['reeltag']:,.0f} vs {same_path:,.0f} words/s)",
        "words_per_s": {k: round(v) for k, v in wps.items()},
        "corpus_file_vs_iterable": round(wps["gensim_corpus_file"] / wps["gensim_iterable"], 3),
        "path": "corpus_file" if cfg.corpus_file else "iterable",
        "sentences": len(sentences),
        "words_per_epoch": words // cfg.epochs,
        "epochs": cfg.epochs,
        "workers": cfg.workers,
        "repeats": repeats,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(3), indent=2))
