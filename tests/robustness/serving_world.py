"""A served world for the serving-lane tests: the real API state over a tiny random-weight encoder, a small
synthetic Tag2Vec space and mapper, a reranker champion and a cached catalogue, set in memory (no registry).

In process: ``world_service(root, **api)``. As a server process (the RSS test): ``python serving_world.py --serve
PORT --root ROOT [--api JSON]`` on 127.0.0.1, stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

TAGS, TAG_DIM, DOCS, FRAMES = 300, 16, 20, 4


def world_service(root: Path, **api: Any) -> Any:
    """A :class:`reeltag.api.service.Service` serving suggest and rerank from memory (``api``: ``[api]`` settings)."""
    from reeltag.api.champions import Champions, Reranker, now
    from reeltag.api.service import Service
    from reeltag.project import Project
    from reeltag.rerank.model import RerankerParams
    from reeltag.video.encoder import load_encoder

    project = Project.open(root, tracking={"enabled": False}, api={"video_root": str(root), **api})
    encoder = load_encoder(project.settings.clip.model_copy(update={"threads": 1}), project.paths)
    service = Service(project, encoder, _catalogue(root, encoder))
    params = RerankerParams(
        alpha=0.5,
        normalisation="minmax",
        pooling="max",
        top_m=2,
        depth=DOCS,
        encoder_model_id=encoder.model_id,
        encoder_weights=encoder.weights_kind,
    )
    service.champions = Champions(
        encoder=service.champions.encoder, suggester=_suggester(encoder, now()), reranker=Reranker(params, "world", now())
    )
    return service


def rerank_body(query: str) -> dict[str, Any]:
    return {"query": query, "candidates": [{"docid": f"d{i:03d}", "score": float(DOCS - i)} for i in range(DOCS)]}


def _catalogue(root: Path, encoder: Any) -> Any:
    from reeltag.rerank.catalogue import build_matrix
    from reeltag.rerank.catalogue_loader import Catalogue

    vectors = np.random.default_rng(0).normal(size=(DOCS, FRAMES, encoder.embed_dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=-1, keepdims=True)
    frames = {f"d{i:03d}": vectors[i] for i in range(DOCS)}
    return Catalogue(
        manifest=root / "catalogue.csv",
        paths={d: root / f"{d}.mp4" for d in frames},
        matrix=build_matrix(frames, encoder.embed_dim),
        not_cached=(),
        model_id=encoder.model_id,
        issues=(),
        matrix_file=None,
    )


def _suggester(encoder: Any, loaded_at: str) -> Any:
    from reeltag.api.champions import Suggester
    from reeltag.mapper.data import Champion
    from reeltag.mapper.model import MapperArgs, TagMapper
    from reeltag.tag2vec.space import TagSpace

    args = MapperArgs(
        in_dim=encoder.embed_dim, out_dim=TAG_DIM, hidden=32, loss="ranking", temperature=0.1, encoder_id=encoder.model_id
    )
    tags = tuple(f"t{i}" for i in range(TAGS))
    vectors = np.random.default_rng(3).normal(size=(TAGS, TAG_DIM)).astype(np.float32)
    space = TagSpace(tags=tags, vectors=vectors, version="world")
    mapper = Champion(SimpleNamespace(version="world"), TagMapper(args).eval(), args)
    return Suggester(space=space, mapper=mapper, tag2vec_version="world", mapper_version="world", loaded_at=loaded_at)


def main() -> None:
    import uvicorn

    from reeltag.api.app import create_app

    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--api", default="{}")
    args = parser.parse_args()
    service = world_service(Path(args.root), **json.loads(args.api))
    uvicorn.run(create_app(service, watch=False), host="127.0.0.1", port=args.serve, log_level="warning")


if __name__ == "__main__":
    main()
