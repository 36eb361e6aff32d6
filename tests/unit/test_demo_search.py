"""The planted search signal: frame-local relevance, a holistic noisy base engine."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from reeltag.demo.plans import SegmentPlan
from reeltag.demo.search import (
    CATEGORY_COMBOS,
    holistic_score,
    pick_topics,
    plan_search_docs,
    qrels_text,
    run_text,
    topic_segments,
)
from reeltag.demo.world import Scene


def plan(seed: int = 0, n_topics: int = 8, n_pos: int = 5, n_neg: int = 3):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    topics = pick_topics(rng, n_topics)
    return rng, topics, plan_search_docs(rng, topics, n_pos, n_neg, 4, (3.0, 6.0))


def mean_ap(run: str, qrels: str) -> float:
    relevant: dict[str, set[str]] = defaultdict(set)
    for line in qrels.splitlines():
        qid, _, docid, rel = line.split()
        if int(rel) > 0:
            relevant[qid].add(docid)
    ranked: dict[str, list[str]] = defaultdict(list)
    for line in run.splitlines():
        ranked[line.split()[0]].append(line.split()[2])
    aps = []
    for qid, docs in ranked.items():
        hits = [i for i, d in enumerate(docs, 1) if d in relevant[qid]]
        aps.append(sum((k + 1) / i for k, i in enumerate(hits)) / len(relevant[qid]))
    return float(np.mean(aps))


def test_topics_are_category_combos_phrased_like_captions() -> None:
    _, topics, _ = plan()
    assert len({(t.colour, t.shape) for t in topics}) == 8
    assert all((t.colour, t.shape) in CATEGORY_COMBOS for t in topics)
    assert topics[0].qid == "q01" and topics[0].colour in topics[0].text and topics[0].shape in topics[0].text


def test_relevant_docs_show_the_topic_in_exactly_one_of_three_segments() -> None:
    _, topics, docs = plan()
    for doc in docs:
        assert len(doc.plan.segments) == 3
        counts = {t.qid: topic_segments(doc.plan.segments, t.colour, t.shape) for t in topics}
        assert sum(counts.values()) == (1 if doc.qid else 0)
        if doc.qid:
            assert counts[doc.qid] == 1
    assert sum(d.qid == topics[0].qid for d in docs) == 5


def test_hard_negatives_share_colour_or_shape_but_never_the_combo() -> None:
    _, topics, docs = plan()
    for topic in topics:
        negatives = [d for d in docs if d.qid != topic.qid]
        colours = [any(s.scene.colour == topic.colour for s in d.plan.segments) for d in negatives]
        shapes = [any(s.scene.shape == topic.shape for s in d.plan.segments) for d in negatives]
        assert sum(c and s for c, s in zip(colours, shapes)) >= 1  # a 'split' negative
        assert sum(colours) >= 2 and sum(shapes) >= 2


def test_base_score_is_holistic() -> None:
    def seg(colour: str, shape: str, start: int) -> SegmentPlan:
        return SegmentPlan(scene=Scene(colour=colour, shape=shape), start_frame=start, end_frame=start + 10, seed=0)

    relevant = [seg("orange", "circle", 0), seg("blue", "square", 10), seg("green", "ring", 20)]
    split = [seg("orange", "square", 0), seg("blue", "circle", 10), seg("green", "ring", 20)]
    unrelated = [seg("pink", "star", 0), seg("blue", "square", 10), seg("green", "ring", 20)]
    assert holistic_score(relevant, "orange", "circle", 0.0) == holistic_score(split, "orange", "circle", 0.0)
    assert holistic_score(unrelated, "orange", "circle", 0.0) == 0.0


def test_base_run_is_far_from_perfect_and_frame_local_oracle_is_perfect() -> None:
    rng, topics, docs = plan()
    qrels = qrels_text(topics, docs)
    run = run_text(rng, topics, docs)
    assert len(run.splitlines()) == len(topics) * len(docs)
    assert 0.2 < mean_ap(run, qrels) < 0.9
    oracle = "\n".join(
        f"{t.qid} Q0 {d.docid} 0 {topic_segments(d.plan.segments, t.colour, t.shape)} x"
        for t in topics
        for d in sorted(docs, key=lambda d: -topic_segments(d.plan.segments, t.colour, t.shape))
    )
    assert mean_ap(oracle, qrels) == 1.0


def test_run_lines_are_trec_and_ranked() -> None:
    rng, topics, docs = plan(seed=4, n_topics=2)
    lines = [line.split() for line in run_text(rng, topics, docs).splitlines()]
    assert all(len(parts) == 6 and parts[1] == "Q0" and parts[5] == "base" for parts in lines)
    first = [p for p in lines if p[0] == "q01"]
    assert [int(p[3]) for p in first] == list(range(1, len(docs) + 1))
    scores = [float(p[4]) for p in first]
    assert scores == sorted(scores, reverse=True)
